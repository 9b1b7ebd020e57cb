"""Root industries (뿌리산업) per region: the legal processes, the KSIC readers, LQ.

The root-industry law (뿌리산업 진흥과 첨단화에 관한 법률, amended 2021-06-15, in force
2021-12-16) names 14 process technologies: six base processes (주조, 금형, 소성가공, 용접,
표면처리, 열처리), four of material diversification (사출·프레스, 정밀가공, 적층제조, 산업용
필름 및 지류) and four of intelligence (로봇, 센서, 산업지능형 SW, 엔지니어링 설계).
:data:`PROCESSES` lists them; :func:`processes_in` finds them in a free-text description
(the ``main_process`` of a designated cluster, the ``focus`` of an institute).

Two kinds of user data are read with a KSIC → process mapping (:func:`read_mapping`; a CSV
with one legal source per row):

- :func:`read_kosis_establishments`: a KOSIS 전국사업체조사 table (시군구 × 산업별, 사업체수
  and 종사자수) in any layout :func:`geo.userdata.read_kosis` accepts;
- :func:`read_establishments`: an establishment list (KSIC code, a region code or name or
  WGS84 coordinates, employees), streamed in chunks so that national lists of millions of
  rows stay within a small, fixed memory.

Both return a :class:`ProcessTable`: establishments and employees per region × process, the
region totals of the input (the LQ denominator) and a report of every row not counted.
Nothing is dropped silently: a KSIC code the mapping does not know is counted as "other"
industry and listed in ``ProcessTable.codes``; a code of the wrong shape, a code of the
other KSIC revision, or (with ``valid_codes=``) a code absent from the classification is
reported with its rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import InputError

# id, Korean, English, group (the law's three families); keywords found in source texts.
PROCESSES: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    ("casting", "주조", "Casting", "base", ("주조", "주물")),
    ("mold", "금형", "Mold and die", "base", ("금형", "몰드")),
    ("forming", "소성가공", "Plastic working", "base", ("소성가공", "단조")),
    ("welding", "용접", "Welding and joining", "base", ("용접",)),
    ("surface", "표면처리", "Surface treatment", "base", ("표면처리", "도금", "표면")),
    ("heat", "열처리", "Heat treatment", "base", ("열처리",)),
    ("injection_press", "사출·프레스", "Injection moulding and press", "materials", ("사출", "프레스")),
    ("precision", "정밀가공", "Precision machining", "materials", ("정밀가공",)),
    ("additive", "적층제조", "Additive manufacturing", "materials", ("적층제조", "3D프린팅", "3D 프린팅")),
    ("film_paper", "산업용 필름 및 지류", "Industrial film and paper", "materials", ("필름", "지류")),
    ("robot", "로봇", "Robotics", "intelligence", ("로봇",)),
    ("sensor", "센서", "Sensors", "intelligence", ("센서",)),
    ("industrial_sw", "산업지능형 SW", "Industrial intelligent software", "intelligence", ("산업지능형",)),
    ("engineering_design", "엔지니어링 설계", "Engineering design", "intelligence",
     ("엔지니어링설계", "엔지니어링 설계")),
]
PROCESS_IDS = [p[0] for p in PROCESSES]
PROCESS_KO = {p[0]: p[1] for p in PROCESSES}
PROCESS_EN = {p[0]: p[2] for p in PROCESSES}
BASE_SIX = [p[0] for p in PROCESSES if p[3] == "base"]
# "6대 뿌리기술" (the six base processes as a whole) in a source text.
_SIX = re.compile(r"6대\s*뿌리")
_LINKED = re.compile(r"\(([^()]*?)\s*연계\)")  # "(조선 연계)": the base industry served

MAPPING_COLUMNS = ["ksic_revision", "ksic_code", "process", "source", "source_url"]
REVISIONS = (10, 11)


def processes_in(text: object) -> list[str]:
    """The legal processes named in a free text, in :data:`PROCESSES` order.

    >>> processes_in("정밀가공(금형·엔지니어링설계 포함)")
    ['mold', 'precision', 'engineering_design']
    >>> processes_in("6대 뿌리기술")
    ['casting', 'mold', 'forming', 'welding', 'surface', 'heat']
    """
    if not isinstance(text, str) or not text.strip():
        return []
    if _SIX.search(text):
        return list(BASE_SIX)
    return [pid for pid, _, _, _, words in PROCESSES if any(w in text for w in words)]


def linked_industries(text: object) -> list[str]:
    """Base industries a source text says a cluster serves: ``"용접 (조선 연계)"`` → ``["조선"]``."""
    if not isinstance(text, str):
        return []
    return [m.strip() for m in _LINKED.findall(text) if m.strip()]


# ---------------------------------------------------------------------------------------------
# the KSIC → process mapping


def read_mapping(path) -> pd.DataFrame:
    """Read and check a KSIC → root-process mapping.

    Columns: ``ksic_revision`` (10 or 11), ``ksic_code`` (2–5 digits; a shorter code covers
    every code that starts with it), ``process`` (an id of :data:`PROCESSES` or its Korean
    name), ``source`` (the legal text, e.g. the 별표 of the rules) and ``source_url``.

    Raises
    ------
    InputError
        Listing every bad row (file, row, column, expected, got).
    """
    path = Path(path)
    try:
        m = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read the mapping: {err}", file=path.name) from None
    missing = [c for c in MAPPING_COLUMNS if c not in m.columns]
    if missing:
        raise InputError("missing columns", file=path.name, row=1, expected=", ".join(MAPPING_COLUMNS),
                         got=list(m.columns))
    by_ko = {ko: pid for pid, ko, *_ in PROCESSES}
    m["process"] = m["process"].str.strip().map(lambda p: by_ko.get(p, p))
    bad = []
    for i, r in m.iterrows():
        row = i + 2
        if r["ksic_revision"].strip() not in {str(v) for v in REVISIONS}:
            bad.append((row, "ksic_revision", "10 or 11", r["ksic_revision"]))
        if not re.fullmatch(r"\d{2,5}", r["ksic_code"].strip()):
            bad.append((row, "ksic_code", "2 to 5 digits", r["ksic_code"]))
        if r["process"] not in PROCESS_IDS:
            bad.append((row, "process", "one of " + ", ".join(PROCESS_IDS), r["process"]))
        if not r["source_url"].strip().startswith(("http://", "https://")):
            bad.append((row, "source_url", "a public URL", r["source_url"]))
    if bad:
        row, col, exp, got = bad[0]
        more = f" (and {len(bad) - 1} more: rows {', '.join(str(b[0]) for b in bad[1:8])})" if len(bad) > 1 else ""
        raise InputError("bad mapping row" + more, file=path.name, row=row, column=col, expected=exp, got=got)
    m["ksic_revision"] = m["ksic_revision"].str.strip().astype(int)
    m["ksic_code"] = m["ksic_code"].str.strip()
    return m[MAPPING_COLUMNS].reset_index(drop=True)


def classify_codes(codes, mapping: pd.DataFrame, *, revision: int,
                   valid_codes=None) -> pd.DataFrame:
    """Classify KSIC codes: one row per distinct input code.

    Returns columns ``ksic_code``, ``processes`` (";"-joined ids, empty for other industry)
    and ``status``: ``root``, ``other`` (a well-formed code the mapping does not list),
    ``other_revision`` (listed only under the other revision: retired or renumbered),
    ``unknown`` (absent from ``valid_codes`` when given) or ``malformed``. The longest
    mapping prefix wins, so a 4-digit row covers its 5-digit codes.
    """
    if revision not in REVISIONS:
        raise InputError("unknown KSIC revision", column="revision", expected="10 or 11", got=revision)
    codes = pd.Index(pd.Series(list(codes), dtype=object).astype(str).str.strip().unique())
    mine = mapping[mapping["ksic_revision"] == revision]
    other = mapping[mapping["ksic_revision"] != revision]
    prefixes = {}
    for code, proc in zip(mine["ksic_code"], mine["process"]):
        prefixes.setdefault(code, []).append(proc)
    other_codes = set(other["ksic_code"])
    valid = None if valid_codes is None else {str(c).strip() for c in valid_codes}
    rows = []
    for c in codes:
        if not re.fullmatch(r"[A-Z]?\d{2,5}", c):
            rows.append((c, "", "malformed"))
            continue
        digits = c.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        hit = next((prefixes[digits[:n]] for n in range(len(digits), 1, -1) if digits[:n] in prefixes), None)
        if hit:
            procs = [p for p in PROCESS_IDS if p in hit]
            rows.append((c, ";".join(procs), "root"))
        elif valid is not None and digits not in valid:
            rows.append((c, "", "unknown"))
        elif any(digits[:n] in other_codes for n in range(len(digits), 1, -1)):
            rows.append((c, "", "other_revision"))
        else:
            rows.append((c, "", "other"))
    return pd.DataFrame(rows, columns=["ksic_code", "processes", "status"])


# ---------------------------------------------------------------------------------------------
# the result


@dataclass
class ProcessTable:
    """Root-industry counts read from one user file.

    Attributes
    ----------
    counts
        Index ``region_code``; columns ``<measure>_<process>`` (measures ``establishments``,
        ``employees``) and ``<measure>_root`` (each establishment counted once even if its
        code maps to two processes).
    totals
        Index ``region_code``: ``establishments`` and ``employees`` of every row of the input
        (all industries present), the denominator of :func:`location_quotient`.
    codes
        Every distinct KSIC code read with its ``processes``, ``status``, ``rows`` and
        ``employees``.
    report
        Rows not counted (or counted with a note): file, row, column, value, reason.
    source
        The file name; ``revision`` the KSIC revision read.
    """

    counts: pd.DataFrame
    totals: pd.DataFrame
    codes: pd.DataFrame
    report: pd.DataFrame
    source: str
    revision: int
    rows_read: int = 0
    attrs: dict = field(default_factory=dict)


REPORT_COLUMNS = ["file", "row", "column", "value", "reason"]


def _tables(per_code: pd.DataFrame, classes: pd.DataFrame, measures: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """region × code sums → (counts per process, totals)."""
    totals = per_code.groupby("region_code")[measures].sum()
    cl = classes.set_index("ksic_code")
    pc = per_code.join(cl["processes"], on="ksic_code")
    pc = pc[pc["processes"].fillna("") != ""]
    out = pd.DataFrame(index=totals.index)
    long = pc.assign(process=pc["processes"].str.split(";")).explode("process")
    for m in measures:
        wide = long.pivot_table(index="region_code", columns="process", values=m, aggfunc="sum")
        for p in PROCESS_IDS:
            out[f"{m}_{p}"] = wide[p] if p in wide else 0.0
        out[f"{m}_root"] = pc.groupby("region_code")[m].sum()
    out = out.reindex(totals.index).fillna(0.0)
    out.index.name = totals.index.name = "region_code"
    return out.sort_index(), totals.sort_index()


def _code_summary(per_code: pd.DataFrame, classes: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    s = per_code.groupby("ksic_code")[["employees"]].sum() if "employees" in per_code else None
    out = classes.set_index("ksic_code")
    out["rows"] = rows.reindex(out.index).fillna(0).astype(int)
    if s is not None:
        out["employees"] = s["employees"].reindex(out.index)
    return out.reset_index().sort_values("ksic_code", kind="stable").reset_index(drop=True)


_CODE_IN_LABEL = re.compile(r"(?<![\d~])([A-Z]?\d{2,5})(?![\d~])")


def _label_code(label: str) -> str | None:
    """The KSIC code in a KOSIS 산업별 label ("금속 열처리업(25921)", "C25921 금속 열처리업");
    None for ranges ("제조업(10~34)") and labels without a code."""
    if re.search(r"\d\s*~\s*\d", label):
        return None
    found = _CODE_IN_LABEL.findall(label)
    return found[-1] if len(found) == 1 or (found and label.rstrip().endswith(")")) else (found[0] if found else None)


def read_kosis_establishments(
    path,
    mapping: pd.DataFrame,
    *,
    revision: int,
    industry_column: str = "산업별",
    establishments_item: str = "사업체수",
    employees_item: str = "종사자수",
    year: int | None = None,
    valid_codes=None,
    **kosis_options,
) -> ProcessTable:
    """Read a KOSIS 전국사업체조사 table of 시군구 × 산업별 (establishments and employees).

    Parameters
    ----------
    path
        The downloaded table (CSV or XLSX, any layout of :func:`geo.userdata.read_kosis`)
        with an industry column whose labels carry KSIC codes ("금속 열처리업(25921)").
    mapping
        From :func:`read_mapping`.
    revision
        The KSIC revision of the table (10: 2017–2023 surveys; 11: from the 2024 survey).
    industry_column, establishments_item, employees_item
        The industry dimension and the two items as the table names them.
    year
        The year to read when the table holds several.
    valid_codes
        Optional list of the revision's codes: codes absent from it are reported.
    **kosis_options
        Passed to :func:`geo.userdata.read_kosis` (``region_column``, ``merge``, ``sheet``).

    Returns
    -------
    ProcessTable
        Industry rows without a code (totals such as 제조업(10~34)) are set aside and reported;
        they are not added to the totals, so the totals are the sum of the coded rows.
    """
    from geo.userdata import read_kosis, read_table

    raw = read_table(path, sheet=kosis_options.get("sheet"))
    if industry_column not in raw.columns:
        raise InputError("no industry column", file=Path(path).name, row=1, column=industry_column,
                         expected="the 산업별 dimension of the table", got=list(raw.columns),
                         hint="pass industry_column=")
    import tempfile

    from geo import io

    name = Path(path).name
    values = raw[industry_column].astype(str).str.strip()
    labels = list(dict.fromkeys(v for v in values if v))
    report, parts = [], []
    # One small file per industry label, read with read_kosis (which reads one slice of a
    # table at a time): a national table is read in one pass over its rows.
    with tempfile.TemporaryDirectory() as tmp:
        for k, label in enumerate(labels):
            code = _label_code(label)
            sub = raw[values == label]
            if code is None:
                for row in sub.index:
                    report.append((name, int(row), industry_column, label, "industry label without a single "
                                   "KSIC code (a total or range): not counted"))
                continue
            piece = Path(tmp) / f"{k}.csv"
            io.write_text(sub.to_csv(index=False), piece)
            rows = list(sub.index)  # piece row r+2 is source row rows[r]
            for measure, item in (("establishments", establishments_item), ("employees", employees_item)):
                t = read_kosis(piece, item=item, year=year, **kosis_options)
                parts.append(t.data[["region_code", "value"]].assign(ksic_code=code, measure=measure))
                for r in t.report.itertuples():
                    if "not selected" in str(r.reason):
                        continue
                    src = rows[int(r.row) - 2] if isinstance(r.row, (int, np.integer)) and r.row >= 2 else None
                    report.append((name, src, r.column, r.value, f"{label}, {item}: {r.reason}"))
                for r in t.data[t.data["value"].isna()].itertuples():
                    src = ";".join(str(rows[int(x) - 2]) for x in str(r.rows).split("|") if x.isdigit())
                    report.append((name, src, item, r.raw, f"{label}: value missing in the source; counted as 0"))
    if not parts:
        raise InputError("no industry rows with a KSIC code", file=name, column=industry_column,
                         expected="labels such as '금속 열처리업(25921)'", got=labels.tolist()[:5])
    long = pd.concat(parts, ignore_index=True)
    long["value"] = long["value"].fillna(0.0)
    per_code = long.pivot_table(index=["region_code", "ksic_code"], columns="measure", values="value",
                                aggfunc="sum").reset_index()
    per_code.columns.name = None
    classes = classify_codes(per_code["ksic_code"], mapping, revision=revision, valid_codes=valid_codes)
    for r in classes[classes["status"].isin(["malformed", "unknown", "other_revision"])].itertuples():
        report.append((name, None, industry_column, r.ksic_code, _status_reason(r.status, revision)))
    counts, totals = _tables(per_code, classes, ["establishments", "employees"])
    rows = per_code.groupby("ksic_code").size()
    return ProcessTable(counts, totals, _code_summary(per_code, classes, rows),
                        pd.DataFrame(report, columns=REPORT_COLUMNS), name, revision, rows_read=len(raw))


def _status_reason(status: str, revision: int) -> str:
    other = 21 - revision  # 10 ↔ 11
    return {"malformed": "not a KSIC code; counted as other industry",
            "unknown": f"not a code of KSIC revision {revision}; counted as other industry",
            "other_revision": f"listed in the mapping only for KSIC revision {other} (retired or "
                              f"renumbered); counted as other industry — check the revision"}[status]


def read_establishments(
    path,
    mapping: pd.DataFrame,
    *,
    revision: int,
    code_column: str = "ksic",
    employees_column: str = "employees",
    region_column: str | None = "region",
    lat_column: str | None = None,
    lon_column: str | None = None,
    units=None,
    sido_column: str | None = None,
    chunksize: int = 500_000,
    valid_codes=None,
    encoding: str = "utf-8-sig",
    region_system: str = "auto",
) -> ProcessTable:
    """Stream an establishment list (one row per establishment) into process counts.

    Parameters
    ----------
    path
        CSV with a KSIC code column, an employees column and either a region column (any
        code or name :mod:`geo.codes` translates, e.g. the factory registry's 시군구) or
        WGS84 latitude/longitude columns.
    mapping, revision, valid_codes
        As for :func:`read_kosis_establishments`.
    region_column, sido_column
        The region column (and a 시도 column to resolve names such as 중구).
    lat_column, lon_column, units
        Coordinates instead of a region, placed in ``units`` (the analysis units, EPSG:5179)
        with :func:`geo.regions.assign_points`.
    chunksize
        Rows per chunk; memory stays proportional to it, not to the file.
    region_system
        The code system of the region column (see :func:`geo.codes.translate`); "auto"
        detects it from the first chunk's distinct values (KOSTAT and MOIS codes overlap).

    Returns
    -------
    ProcessTable
        Rows with no code, an unplaceable region or bad employees are in ``report`` (one
        line per row) and not counted; establishments are counted once per row.
    """
    from geo.codes import translate, translate_many

    path = Path(path)
    coords = lat_column is not None or lon_column is not None
    if coords and (lat_column is None or lon_column is None or units is None):
        raise InputError("coordinates need lat_column, lon_column and units", file=path.name)
    need = [code_column, employees_column] + ([lat_column, lon_column] if coords else [region_column])
    if sido_column and not coords:
        need.append(sido_column)
    try:
        header = pd.read_csv(path, nrows=0, encoding=encoding).columns
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise InputError(f"cannot read: {err}", file=path.name) from None
    missing = [c for c in need if c not in header]
    if missing:
        raise InputError("missing columns", file=path.name, row=1, expected=", ".join(need), got=list(header))
    region_cache: dict[str, str | None] = {}
    system = None
    sums, rows_by_code, reports = [], [], []
    n = 0
    reader = pd.read_csv(path, usecols=need, dtype={code_column: str, region_column or "": str,
                                                     sido_column or "": str},
                         encoding=encoding, chunksize=chunksize, keep_default_na=True)
    for chunk in reader:
        start = n + 2  # file row of the chunk's first row (header = row 1)
        n += len(chunk)
        rown = np.arange(start, start + len(chunk))
        code = chunk[code_column].astype("string").str.strip()
        emp = pd.to_numeric(chunk[employees_column], errors="coerce")
        bad_emp = emp.isna() & chunk[employees_column].notna() | (emp < 0)
        if coords:
            import geopandas as gpd

            from geo.config import CRS, KOREA_BBOX
            from geo.regions import assign_points

            lat = pd.to_numeric(chunk[lat_column], errors="coerce")
            lon = pd.to_numeric(chunk[lon_column], errors="coerce")
            lon0, lat0, lon1, lat1 = KOREA_BBOX
            ok = lat.between(lat0, lat1) & lon.between(lon0, lon1)
            region = pd.Series(None, index=chunk.index, dtype=object)
            if ok.any():
                pts = gpd.GeoSeries(gpd.points_from_xy(lon[ok], lat[ok]), crs="EPSG:4326").to_crs(CRS)
                a = assign_points(pts.x.to_numpy(), pts.y.to_numpy(), units)
                region[ok.to_numpy()] = a["region_code"].to_numpy()
            where_bad = "coordinates missing, outside Korea or outside every unit"
            region_col = f"{lat_column}/{lon_column}"
        else:
            key = chunk[region_column].fillna("").astype(str).str.strip()
            sido = chunk[sido_column].fillna("").astype(str).str.strip() if sido_column else None
            pair = key if sido is None else key + "\x1f" + sido
            if system is None:
                # A code such as 11110 means different units in KOSTAT and MOIS: detect the
                # column's system once, from the first chunk, and read every chunk with it.
                first = [k.partition("\x1f")[0] for k in pair.unique() if k]
                system = region_system if region_system != "auto" else (
                    translate_many(first).attrs.get("system") or "auto")
            for k in pair.unique():
                if k not in region_cache:
                    name, _, sd = k.partition("\x1f")
                    region_cache[k] = (translate(name, sido=sd or None, system=system).region_code
                                       if name else None)
            region = pair.map(region_cache)
            where_bad = "region not translatable to an analysis unit"
            region_col = region_column
        no_code = code.isna() | (code == "")
        bad = no_code | region.isna() | bad_emp
        for mask, col, reason, vals in (
                (no_code, code_column, "no KSIC code", chunk[code_column]),
                (region.isna() & ~no_code, region_col, where_bad,
                 chunk[region_column] if not coords else chunk[lat_column].astype(str) + ", " + chunk[lon_column].astype(str)),
                (bad_emp & ~no_code & region.notna(), employees_column, "employees not a number ≥ 0",
                 chunk[employees_column])):
            m = mask.to_numpy()
            if m.any():
                reports.append(pd.DataFrame({"file": path.name, "row": rown[m], "column": col,
                                             "value": vals.to_numpy()[m].astype(str), "reason": reason}))
        good = ~bad.to_numpy()
        d = pd.DataFrame({"region_code": region.to_numpy()[good], "ksic_code": code.to_numpy()[good],
                          "employees": emp.fillna(0.0).to_numpy()[good]})
        d["establishments"] = 1.0
        sums.append(d.groupby(["region_code", "ksic_code"], sort=False)[["establishments", "employees"]].sum())
        rows_by_code.append(d.groupby("ksic_code").size())
        if len(sums) > 8:  # fold partial sums so memory does not grow with the file
            sums = [pd.concat(sums).groupby(level=[0, 1]).sum()]
    if not sums:
        raise InputError("no rows", file=path.name)
    per_code = pd.concat(sums).groupby(level=[0, 1]).sum().reset_index()
    classes = classify_codes(per_code["ksic_code"], mapping, revision=revision, valid_codes=valid_codes)
    rows = pd.concat(rows_by_code).groupby(level=0).sum()
    odd = classes[classes["status"].isin(["malformed", "unknown", "other_revision"])]
    if len(odd):
        # the rows of odd codes: a second pass over the code column only
        want = set(odd["ksic_code"])
        reason = dict(zip(odd["ksic_code"], odd["status"]))
        m = 0
        for chunk in pd.read_csv(path, usecols=[code_column], dtype=str, encoding=encoding, chunksize=chunksize):
            c = chunk[code_column].astype("string").str.strip()
            hit = c.isin(want).to_numpy()
            if hit.any():
                rr = np.arange(m + 2, m + 2 + len(chunk))[hit]
                vals = c.to_numpy()[hit]
                reports.append(pd.DataFrame({"file": path.name, "row": rr, "column": code_column,
                                             "value": vals.astype(str),
                                             "reason": [_status_reason(reason[v], revision) for v in vals]}))
            m += len(chunk)
    counts, totals = _tables(per_code, classes, ["establishments", "employees"])
    report = pd.concat(reports, ignore_index=True) if reports else pd.DataFrame(columns=REPORT_COLUMNS)
    report = report.sort_values("row", kind="stable").reset_index(drop=True)
    return ProcessTable(counts, totals, _code_summary(per_code, classes, rows), report, path.name, revision,
                        rows_read=n)


# ---------------------------------------------------------------------------------------------
# measures


def location_quotient(table: ProcessTable, *, measure: str = "employees") -> pd.DataFrame:
    """LQ of each process in each region: (region's process share) / (all regions' share).

    Shares are of the region totals of the input (all industries the file holds), so an LQ
    of 2 means the process weighs twice as much in the region's establishments or jobs as
    in those of all regions read. NaN where a region has no total or a process none at all.
    """
    if measure not in ("employees", "establishments"):
        raise InputError("unknown measure", column="measure", expected="employees or establishments", got=measure)
    tot = table.totals[measure]
    out = pd.DataFrame(index=table.counts.index)
    for p in PROCESS_IDS + ["root"]:
        c = table.counts[f"{measure}_{p}"]
        national = c.sum() / tot.sum() if tot.sum() else np.nan
        share = c / tot.where(tot > 0)
        out[f"lq_{p}"] = share / national if national else np.nan
    return out


def root_employment(table: ProcessTable, units_index=None) -> pd.Series:
    """Employees in root-industry establishments per region (an indicator for the base
    pillar); regions of ``units_index`` absent from the input are NaN, not 0."""
    s = table.counts["employees_root"].rename("root_employment")
    return s if units_index is None else s.reindex(units_index)


def write_indicator_file(series: pd.Series, path) -> Path:
    """Write a region → value table (``region_code,value``) that a scenario's
    ``indicators.user`` entry reads (plain layout), through :func:`geo.io.write_csv`."""
    from geo import io

    path = Path(path)
    frame = series.rename("value").rename_axis("region_code").reset_index()
    io.write_csv(frame, path, index=False)
    return path
