"""Tables from files: CSV (UTF-8 or cp949, detected) and XLSX sheets read into a grid of
text cells with their spreadsheet row numbers, header rows found, numbers and KOSIS marks
(``1,234p)``) parsed, periods (``2015 년``, ``2015.1/4``) read. Errors name the file, row and column.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import numbers
import re
import sys
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.errors import InputError


_HEADER_SCAN = 30  # rows searched for an XLSX header
_MISSING_TEXT = frozenset({"-", "x", "…", "...", "..", "nan", "na", "n/a", "#n/a", "null", "none"})
MARKS = {"p)": "provisional", "e)": "estimate", "r)": "revised"}
_MARK_RE = re.compile(r"^(?:(?P<pre>[per]\))\s*(?P<a>.+)|(?P<b>.+?)\s*(?P<post>[per]\)))$", re.I)
NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
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


def text_key(text: object) -> str:
    """Comparison key of a cell or header: NFKC, case-folded, without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


def clean_text(text: object) -> str:
    """A cell's text, NFKC, with runs of spaces made one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text))).strip()


def rows_text(rows: Sequence[int], limit: int = 8) -> str:
    """Spreadsheet rows for a message: 'rows 2, 5, 9 and 3 more'."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def list_text(items: Sequence[object], limit: int = 12) -> str:
    """Items for a message, quoted, at most ``limit`` of them."""
    items = list(items)
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f", … ({len(items)} in all)" if len(items) > limit else "")


def cell_text(v: object) -> str:
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


def parse_period(text: object) -> tuple[int, str | None, str | None] | None:
    """Read a KOSIS period label.

    Returns ``(year, period, mark)`` or None: ``period`` is None for a year, else a canonical
    label (``"2015.1/4"``, ``"2015.01"``, ``"2015.1/2"``); ``mark`` is "provisional",
    "estimate" or "revised" for a ``p)``/``e)``/``r)`` mark, else None.

    >>> parse_period("2023 p)")
    (2023, None, 'provisional')
    """
    s = clean_text(cell_text(text))
    mark = None
    m = _MARK_RE.match(s)
    if m:
        tag = (m.group("pre") or m.group("post")).lower()
        s, mark = (m.group("a") or m.group("b")).strip(), MARKS[tag]
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


@dataclass
class Grid:
    """A table file read as text cells, each row with its spreadsheet row number."""

    file: str  # the name used in messages
    encoding: str  # utf-8-sig | utf-8 | cp949 | xlsx
    columns: list[str]
    rows: list[tuple[int, list]]  # (spreadsheet row, cells)
    header_rows: list[int] = field(default_factory=list)
    sheet: str | None = None

    def col(self, name: str) -> int:
        return self.columns.index(name)


def check_path(path) -> tuple[Path, str]:
    """The path of an input file and the name used in messages; a missing file is an error."""
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


def read_grid(
    path, *, sheet: str | int | None = None, header_rows: Sequence[int] | int | None = None,
    kosis_header: bool = True,
) -> Grid:
    """Read a CSV or XLSX file into a :class:`Grid` (encoding detected, header rows found)."""
    p, name = check_path(path)
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


def _grid_from_rows(rows, name, enc, header_rows, *, kosis_header: bool) -> Grid:
    rows = [(n, r) for n, r in rows]
    nonblank = [i for i, (_, r) in enumerate(rows) if any(cell_text(c).strip() for c in r)]
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
        extra = [c for c in r[hwidth:] if cell_text(c).strip()]
        if extra:
            raise InputError(
                f"row has {len(r)} cells but the header has {hwidth}", file=name, row=n,
                expected=f"at most {hwidth} cells", got=cell_text(extra[0]),
                hint="a comma inside a value must be quoted (\"1,234\")",
            )
    width = max(len(r) for _, r in rows)
    heads = [[clean_text(cell_text(c)) for c in rows[i][1]] + [""] * width for i in hidx]
    columns = []
    for j in range(width):
        parts: list[str] = []
        for h in heads:
            if h[j] and (not parts or parts[-1] != h[j]):
                parts.append(h[j])
        columns.append(" / ".join(parts))
    data = [(n, list(r) + [""] * (width - len(r))) for n, r in rows[max(hidx) + 1:]]
    # columns with neither a header nor data (trailing commas) are dropped
    keep = [j for j in range(width) if columns[j] or any(cell_text(r[j]).strip() for _, r in data)]
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
    if not data or not any(any(cell_text(c).strip() for c in r) for _, r in data):
        raise InputError(
            "has a header but no data rows", file=name, row=rows[max(hidx)][0] + 1,
            expected="at least one data row below the header",
        )
    return Grid(name, enc, columns, data, [rows[i][0] for i in hidx])


def _continues_header(first: list, nxt: list) -> bool:
    """KOSIS writes a second header row that repeats the row-dimension names."""
    a = [clean_text(cell_text(c)) for c in first]
    b = [clean_text(cell_text(c)) for c in nxt] + [""] * max(0, len(a) - len(nxt))
    dims = [j for j, h in enumerate(a) if h and parse_period(h) is None]
    if not dims or len(dims) == len(a) or any(b[j] != a[j] for j in dims):
        return False
    rest = [b[j] for j in range(len(a)) if j not in dims and b[j]]
    return bool(rest) and not any(_parse_number(x) is not None for x in rest)


def _xlsx_grid(p: Path, name: str, sheet, header_rows) -> Grid:
    ws = _worksheet(p, name, sheet)
    _check_formulas(p, name, ws.title)
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    shown = [list(r) for r in values]
    for rng in ws.merged_cells.ranges:  # what a person sees: the merged value in every cell
        v = values[rng.min_row - 1][rng.min_col - 1]
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                shown[r - 1][c - 1] = v
    while shown and not any(cell_text(c).strip() for c in shown[-1]):
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
    g.rows = [(n, r) for n, r in g.rows if any(cell_text(c).strip() for c in r)]
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
                expected=f"sheet= one of {list_text(wb.sheetnames)}", got=None,
            )
        return visible[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(wb.worksheets):
            raise InputError(
                "no such sheet", file=name, column="sheet",
                expected=f"0–{len(wb.worksheets) - 1} or one of {list_text(wb.sheetnames)}", got=sheet,
            )
        return wb.worksheets[sheet]
    if sheet not in wb.sheetnames:
        raise InputError(
            "no such sheet", file=name, column="sheet",
            expected=f"one of {list_text(wb.sheetnames)}", got=sheet,
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
        cells = [c for c in r if cell_text(c).strip()]
        texts = {clean_text(cell_text(c)) for c in cells}
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


def read_table(path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8 with or without BOM, or cp949) or XLSX table as text.

    Returns
    -------
    pandas.DataFrame
        One column per header (multi-row headers flattened to ``"상위 / 하위"``), every cell
        as text (empty string when empty), indexed by the spreadsheet row number (``row``).
        ``attrs["encoding"]`` says how the file was read.
    """
    g = read_grid(path, sheet=sheet, kosis_header=False)
    df = pd.DataFrame(
        [[cell_text(c) for c in r] for _, r in g.rows], columns=g.columns,
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
            expected=f"one of {list_text(list(df.columns))}", got=column,
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
    p, name = check_path(path)
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


def _parse_number(text: str) -> float | None:
    s = unicodedata.normalize("NFKC", text).strip()
    if _GROUPED_RE.fullmatch(s):
        v = float(s.replace(",", ""))
    elif NUMBER_RE.fullmatch(s):
        v = float(s)
    else:
        return None
    return v if math.isfinite(v) else None  # 1e400


def _out_of_float_range(text: str) -> str | None:
    """The problem with a number that a float cannot hold: 1e400 (overflows to infinity) or
    1e-400 (a nonzero number that would silently become 0 or lose its precision)."""
    s = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    if not NUMBER_RE.fullmatch(s):
        return None
    v = float(s)
    if not math.isfinite(v):
        return "number too large for a float"
    mantissa = re.split(r"[eE]", s)[0]
    if abs(v) < sys.float_info.min and any(ch in "123456789" for ch in mantissa):
        return "number too small for a float"
    return None


def read_value(cell: object) -> tuple[float, str, str | None] | str:
    """(value, flag, symbol) or, when the cell is not a value, the kind of problem."""
    if isinstance(cell, numbers.Number) and not isinstance(cell, bool):
        v = float(cell)
        if math.isnan(v):
            return math.nan, "missing", "NaN"
        return (v, "ok", None) if math.isfinite(v) else "not a finite number"
    written = cell_text(cell).strip()
    s = clean_text(written)
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
            return v, MARKS[tag], tag
        if inner.casefold() in _MISSING_TEXT:
            return math.nan, "missing", written
        return "not a number"
    v = _parse_number(s)
    if v is None or abs(v) < sys.float_info.min:  # 1e400, 1e-400: refused, never rounded
        problem = _out_of_float_range(s)
        if problem or v is None:
            return problem or "not a number"
    return v, "ok", None
