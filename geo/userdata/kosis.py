"""시군구 tables in KOSIS layouts (wide, long, plain) read into region values with a report of
every row not used, and a scenario's user indicator built from one.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo.errors import InputError, ScenarioError
from geo.labels import sido_key
from geo.userdata.tables import (
    MARKS, Grid, cell_text, clean_text, list_text, parse_period, read_grid, read_value, text_key,
)


REPORT_COLUMNS = ["file", "row", "column", "value", "reason", "relation", "candidates"]
DATA_COLUMNS = [
    "region_code", "year", "period", "item", "value", "flag", "raw", "rows", "column",
    "region_input", "relation", "note",
]
PILLARS = ("need", "base", "knowledge", "connectivity", "none")

# Totals that KOSIS tables carry beside the 시군구 rows (compared without spaces, case-folded).
_AGGREGATE_WORDS = frozenset({
    "전국", "계", "합계", "소계", "총계", "전체", "시부", "군부", "동부", "읍부", "면부",
    "total", "subtotal", "wholecountry", "korea", "all",
})
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


def _sido_key(name: str) -> str | None:
    return sido_key(name) if name else None


def _is_aggregate(text: str) -> bool:
    return text_key(text) in _AGGREGATE_WORDS


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


def _roles(g: Grid, region_column, value_column, item=None) -> _Roles:
    r = _Roles()
    cols = g.columns
    keys = {c: text_key(c) for c in cols}
    r.companions = {c: m.group(1).strip() for c in cols
                    if (m := _PAIR_RE.match(c)) and m.group(1).strip() in cols}
    partner = r.companions | {v: k for k, v in r.companions.items()}
    if region_column is not None:
        wanted = [region_column] if isinstance(region_column, str) else list(region_column)
        for c in wanted:
            if c not in cols:
                raise InputError(
                    "no such column", file=g.file, column=c, expected=f"one of {list_text(cols)}",
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
                expected=f"item= one of {list_text(list(labels))}", got=None,
            )
        hit = list(with_unit)
        if len(hit) > 1:
            hit = [labels[x] for x in _match_label(item, list(labels))]
            if len(hit) != 1:
                raise InputError(
                    "no such item in the header", file=g.file, row=1,
                    expected=f"one of {list_text(list(labels))}", got=item,
                )
        r.value = hit[0]
        r.value_item, r.value_unit = with_unit[hit[0]]
    if value_column is not None:
        if value_column not in cols:
            raise InputError(
                "no such column", file=g.file, column=value_column,
                expected=f"one of {list_text(cols)}", got=value_column,
            )
        if value_column in r.periods and r.time is None:
            r.periods = {value_column: r.periods[value_column]}
        else:
            r.value = value_column
            r.periods = {}
    return r


def _looks_like_codes(g: Grid, column: str) -> bool:
    j = g.col(column)
    vals = [text_key(cell_text(r[j])) for _, r in g.rows]
    vals = [v for v in vals if v]
    return bool(vals) and sum(v.replace(".0", "").isdigit() for v in vals) >= 0.8 * len(vals)


def _match_label(wanted: str, labels: Sequence[str]) -> list[str]:
    """Labels equal to ``wanted`` (spaces ignored), else those equal without a "(unit)" tail."""
    w = text_key(wanted)
    exact = [x for x in labels if text_key(x) == w]
    if exact:
        return exact
    return [x for x in labels if re.sub(r"\(.*?\)$", "", text_key(x)) == w]


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
    g = read_grid(path, sheet=sheet)
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
                expected=f"one of {list_text(roles.dims or g.columns)}", got=d,
            )
    for d in roles.dims:
        if d in dims:
            continue
        vals = list(dict.fromkeys(clean_text(cell_text(r[g.col(d)])) for _, r in g.rows))
        vals = [v for v in vals if v]
        if len(vals) > 1:
            raise InputError(
                f"column {d!r} has {len(vals)} values", file=g.file, column=d,
                expected=f"where={{{d!r}: <one of {list_text(vals)}>}}", got=vals[0],
            )
    want_period = _want_period(year, period)

    # --- rows: filters, totals, regions ------------------------------------------------------
    pending = []  # rows that name a region and pass the filters
    bad: list[tuple[int, str, str, str]] = []  # row, column, text, problem
    for n, r in g.rows:
        texts = [clean_text(cell_text(c)) for c in r]
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
            if text_key(v) != text_key(want):
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
            got = read_value(raw)
            text = cell_text(raw).strip()
            if isinstance(got, str):
                bad.append((n, col, text, got))
                continue
            v, flag, sym = got
            if mark and flag == "ok":
                flag, sym = mark, {v2: k for k, v2 in MARKS.items()}[mark]
            if flag == "provisional" and provisional == "missing":
                v, flag = math.nan, "missing"
            if not allow_negative and v < 0:
                bad.append((n, col, text, "negative value"))
                continue
            records.append({
                "region_code": reg["code"], "year": y, "period": per, "item": lab,
                "value": v, "flag": flag, "raw": text, "rows": str(n), "column": col,
                "region_input": reg["input"], "relation": reg["relation"], "note": reg["note"],
                "text_key": reg["key"], "_self": reg["self"], "_sido_row": reg["sido_row"],
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


def _wide_columns(g: Grid, roles: _Roles, year, period, item) -> list:
    cols = [(c, y, per, lab, mark) for c, (y, per, mark, lab) in roles.periods.items()]
    want = _want_period(year, period)
    if want is not None:
        keep = [x for x in cols if _period_matches((x[1], x[2]), want)]
        if not keep:
            got = list(dict.fromkeys(x[2] or str(x[1]) for x in cols))
            raise InputError(
                f"no column for {_period_text(want)}", file=g.file, row=1,
                expected=f"one of {list_text(got)}", got=period or year,
            )
        cols = keep
    labels = list(dict.fromkeys(x[3] for x in cols if x[3]))
    if labels:
        if item is not None:
            hit = _match_label(item, labels)
            if len(hit) != 1:
                raise InputError(
                    "no such item in the header" if not hit else "item matches several headers",
                    file=g.file, row=2, expected=f"one of {list_text(labels)}", got=item,
                )
            cols = [x for x in cols if x[3] == hit[0]]
        elif len(labels) > 1:
            raise InputError(
                f"the header holds {len(labels)} items", file=g.file, row=2,
                expected=f"item= one of {list_text(labels)}", got=None,
            )
    if want is not None:
        pers = list(dict.fromkeys(x[2] for x in cols))
        if len(pers) > 1:
            raise InputError(
                f"{len(pers)} periods in {want[0]}", file=g.file, row=1,
                expected=f"period= one of {list_text(pers)}", got=None,
            )
    return cols


def _item_filter(g: Grid, roles: _Roles, item, layout, cells) -> set[str] | None:
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
    labels = list(dict.fromkeys(clean_text(cell_text(r[j])) for _, r in g.rows))
    labels = [x for x in labels if x]
    if item is None:
        if len(labels) > 1:
            raise InputError(
                f"{len(labels)} items in this column", file=g.file, column=roles.item,
                expected=f"item= one of {list_text(labels)}", got=None,
            )
        return None
    hit = _match_label(item, labels)
    if not hit:
        raise InputError(
            "no such item", file=g.file, column=roles.item, expected=f"one of {list_text(labels)}",
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


def _region_parts(texts: list[str], g: Grid, roles: _Roles) -> tuple[str | None, str, bool]:
    """(sido, name, total) from the level columns: trailing 소계/계 words are dropped."""
    parts = [texts[g.col(c)] for c in roles.names]
    parts = [p for p in parts if p]
    while parts and _is_aggregate(parts[-1]):
        parts.pop()
    if not parts:
        return None, "", True
    sido = parts[0] if _sido_key(parts[0]) else None
    rest = parts[1:] if sido else parts
    rest = [p for i, p in enumerate(rest) if not (i == 0 and sido and text_key(p) == text_key(sido))]
    return sido, " ".join(rest), not rest


def _resolve_regions(g: Grid, roles: _Roles, pending, rep: _Report) -> dict[int, dict]:
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
                "key": text_key(shown) if is_sido_row else (text_key(sido or ""), text_key(value))
                if roles.codes is None else text_key(value),
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
    records: list[dict], g: Grid, roles: _Roles, rep: _Report, merge
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
            by_key.setdefault(r["text_key"], []).append(r)
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
        problems.append(f"unknown key(s) {list_text(unknown)}; allowed: {', '.join(_SPEC_REQUIRED + _SPEC_OPTIONAL)}")
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
            expected=f"period= one of {list_text(sorted(data['period'].dropna().unique()))}", got=None,
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
