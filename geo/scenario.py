"""Scenario files: every choice an analyst may change, validated once.

A scenario is a YAML file (see ``data/scenarios/``). :func:`load_scenario` reads it,
:func:`validate` checks the parsed mapping and raises one :class:`~geo.errors.ScenarioError`
that lists *every* problem with its key path (and the YAML line when known), e.g.::

    national.yaml: 2 problems: pillars.need.indicators.mfg_loss (line 31): unknown indicator
    id; did you mean 'mfg_loss_share_grdp_2015'?; siting.k (line 88): expected a positive
    integer or 'auto', got 0

A file is read as UTF-8 (with or without a byte-order mark) or UTF-16/UTF-32 with one; its
size, nesting, alias expansion, counts, distances and texts are bounded by the ``MAX_*``
limits below, each named in the message that refuses it.

The result is a frozen :class:`Scenario`; :meth:`Scenario.to_dict` gives the fully resolved
scenario (defaults filled in) to save beside the outputs. ``validate(s.to_dict())`` gives
back an equal scenario.

Layout (defaults in brackets; see ``data/scenarios/national.yaml`` for a commented example)::

    name, title_ko, title_en, description      [name: the file stem]
    units: sgg | emd                           [sgg]
    indicators:                                (options of the indicators stage)
      access_half_km [30]                      half-distance of the university/research access decay
      decline_weights {component: weight}      [geo.indicators.DECLINE_WEIGHTS] of decline_index
      user: [ {file, id, label_ko, ...}, ... ] [none] user tables (geo.userdata.user_indicator);
                                               their ids may be used in the pillars
    pillars:                                   (any non-empty subset of the four pillars)
      need|base|knowledge|connectivity:
        weight: number >= 0                    (relative; normalised to sum 1)
        indicators: {indicator_id: weight >= 0, ...}   or a list of ids (weight 1 each)
    scoring:
      normalisation: minmax | zscore | rank    [minmax]
      outliers: qtreat | winsorise | none      [winsorise if winsorise is given, else none]
                                               qtreat: COINr's rule (geo.indices.treat_column)
      winsorise: null | {lower: q, upper: q}   [null] quantiles of the raw values (rule winsorise)
      at_stake_size: indicator id              [mfg_va_2015] at_stake = need_index / 100 × size
      target_effective_weights:                [none] solve nominal weights for these targets
        {<pillar>: {indicator: share}, capability: {pillar: share}}
      aggregation: linear | geometric          [linear] pillars → overall score
      missing: {policy: mean_of_available | error, max_missing_share: 0 <= s < 1}
                                               [mean_of_available, 0.5]
    uncertainty:
      draws [10000], seed [20250101], concentration [20.0],
      indicator_concentration [null = indicator weights fixed],
      normalisations [minmax, zscore, rank], aggregations [linear, geometric],
      outlier_rules [the scoring rule only], drop_one [false] (leave one indicator out),
      periods {name: {indicator: substitute}} [none] alternative periods of decline,
      access {name: {indicator: substitute}} [none] alternative access half-distances
    network: circuity [1.26], rail [true], knowledge_top_n [5], od_matrix [none]   (as geo/network.py, geo/traveltime.py)
    siting:
      model: pmedian | mclp                    [pmedian]
      k: positive int | auto                   [10];  k_range: [lo, hi] (needed for auto)
      demand: pillar name | score | indicator id | uniform     [need]
      eligibility: {min_need, min_base, min_knowledge, min_connectivity, min_score}
                                               [none] minimums on the 0–100 scores
      per_megaregion: {max: int | {권역: int}, min: int | {권역: int}}   [no limits]
      fixed: [region codes], excluded: [region codes]           [none]
      max_spoke_km [null = no limit], reach_km [null; needed for mclp],
      robustness_draws [200]
      near_organisation: {within_minutes: x, within_km: x, min_hubs: n}   [none] at least n
                                               hubs within x of an existing organisation
"""

from __future__ import annotations

import codecs
import copy
import difflib
import math
import re
from collections.abc import Iterable, Mapping
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from geo.config import SCENARIO_DIR
from geo.errors import InputError, ScenarioError

PILLARS = ("need", "base", "knowledge", "connectivity")
NORMALISATIONS = ("minmax", "zscore", "rank")
AGGREGATIONS = ("linear", "geometric")
MISSING_POLICIES = ("mean_of_available", "error")
OUTLIER_RULES = ("qtreat", "winsorise", "none")
MODELS = ("pmedian", "mclp")
UNITS = ("sgg", "emd")
MEGAREGIONS = ("수도권", "충청권", "호남권", "대경권", "동남권", "강원권", "제주권")
ELIGIBILITY_KEYS = tuple(f"min_{p}" for p in PILLARS) + ("min_score",)


_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# Upper limits. A real scenario is a few KB with a handful of nesting levels; these limits are
# far above any real one and keep a damaged or hostile file from exhausting memory or time
# (a 900-byte YAML alias bomb expands to a billion values; draws × units ranks are held in
# memory; every robustness draw and every k of k_range is a full siting solve).
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 20  # nested mappings and lists
MAX_VALUES = 20_000  # values in the file once YAML aliases are expanded
MAX_DIGITS = 100  # of an integer (Python refuses to read more than 4,300)
MAX_TEXT = {"name": 100, "title_ko": 300, "title_en": 300, "description": 20_000}
MAX_SPEC_TEXT = 1_000  # each text of a user-indicator spec (labels, unit, source, ...)
MAX_USER_INDICATORS = 100
MAX_DRAWS = 100_000
MAX_ROBUSTNESS_DRAWS = 10_000
MAX_K = 1_000
MAX_K_SPAN = 100  # values of k tried by k: auto
MAX_TOP_N = 1_000
MAX_WEIGHT = 1e6  # relative weights; larger ones could overflow their sum
MAX_CONCENTRATION = 1e15  # Dirichlet concentration; 1e12 already fixes the weights
MAX_KM = 10_000  # distances (Korea spans about 1,000 km)
MAX_CIRCUITY = 10


# ---------------------------------------------------------------------------------------------
# The resolved scenario
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pillar:
    """One pillar: its weight among pillars and its indicators with their weights.

    Weights are kept as written (relative); :meth:`indicator_weights` and
    :meth:`Scenario.pillar_weights` give them normalised to sum 1.
    """

    name: str
    weight: float
    indicators: tuple[str, ...]
    weights: tuple[float, ...]

    def indicator_weights(self) -> dict[str, float]:
        """Indicator id → weight normalised to sum 1 within the pillar."""
        total = sum(self.weights)
        return {i: w / total for i, w in zip(self.indicators, self.weights)}


@dataclass(frozen=True)
class IndicatorOptions:
    """Options of the indicators stage (:mod:`geo.indicators`, :mod:`geo.userdata`).

    ``decline_weights`` is ((component, weight), ...); ``dict(...)`` gives the mapping.
    ``user`` holds the user-indicator specs as written (checked by
    :func:`geo.userdata.user_indicator` when the indicators are built; a relative ``file`` is
    relative to :attr:`Scenario.path`'s folder).
    """

    access_half_km: float = 30.0
    decline_weights: tuple[tuple[str, float], ...] = ()
    user: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Winsorise:
    """Clip each indicator's raw values to these quantiles before normalising."""

    lower: float = 0.0
    upper: float = 1.0


@dataclass(frozen=True)
class ScoringOptions:
    """``target_effective_weights`` is ((group, ((id, share), ...)), ...), group a pillar
    name (its indicators) or ``capability`` (the capability pillars)."""

    normalisation: str = "minmax"
    aggregation: str = "linear"
    winsorise: Winsorise | None = None
    missing: str = "mean_of_available"
    max_missing_share: float = 0.5
    outliers: str = "none"
    at_stake_size: str = "mfg_va_2015"
    target_effective_weights: tuple = ()


@dataclass(frozen=True)
class UncertaintyOptions:
    draws: int = 10_000
    seed: int = 20250101
    concentration: float = 20.0
    indicator_concentration: float | None = None
    normalisations: tuple[str, ...] = NORMALISATIONS
    aggregations: tuple[str, ...] = AGGREGATIONS
    outlier_rules: tuple[str, ...] = ()       # () = the scoring rule only
    drop_one: bool = False
    periods: tuple = ()                       # ((name, ((indicator, substitute), ...)), ...)
    access: tuple = ()                        # the same, for the access half-distance


@dataclass(frozen=True)
class NetworkOptions:
    """Options of the network stage. Defaults as in :mod:`geo.network`: road distance ≈
    great-circle × 1.26 (Korea's national road circuity factor, Kim et al. 2015) and the 5
    strongest knowledge-gravity partners per region."""

    circuity: float = 1.26
    rail: bool = True
    knowledge_top_n: int | None = 5
    od_matrix: str | None = None  # a user OD matrix (origin, destination, minutes[, mode]); geo.traveltime


@dataclass(frozen=True)
class Eligibility:
    """Minimum 0–100 scores a region needs to be a hub candidate (None = no minimum)."""

    min_need: float | None = None
    min_base: float | None = None
    min_knowledge: float | None = None
    min_connectivity: float | None = None
    min_score: float | None = None

    def minimums(self) -> dict[str, float]:
        """Score column (``need``, …, ``score``) → minimum, for the minimums that are set."""
        out = {}
        for key in ELIGIBILITY_KEYS:
            v = getattr(self, key)
            if v is not None:
                out[key.removeprefix("min_")] = v
        return out


@dataclass(frozen=True)
class MegaregionLimits:
    """Hub counts per 권역: ``max``/``min`` as ((권역, n), ...) for the 권역 that have one."""

    max: tuple[tuple[str, int], ...] = ()
    min: tuple[tuple[str, int], ...] = ()

    def max_for(self, megaregion: str) -> int | None:
        return dict(self.max).get(megaregion)

    def min_for(self, megaregion: str) -> int:
        return dict(self.min).get(megaregion, 0)


@dataclass(frozen=True)
class NearOrganisation:
    """Consolidation rule: at least ``min_hubs`` hubs within reach of an existing organisation.

    ``within_minutes`` applies on a travel-time matrix, ``within_km`` on the road-km proxy.
    """

    min_hubs: int
    within_minutes: float | None = None
    within_km: float | None = None


@dataclass(frozen=True)
class SitingOptions:
    model: str = "pmedian"
    k: int | str = 10
    k_range: tuple[int, int] | None = None
    demand: str = "at_stake"
    eligibility: Eligibility = field(default_factory=Eligibility)
    per_megaregion: MegaregionLimits = field(default_factory=MegaregionLimits)
    fixed: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    max_spoke_km: float | None = None
    reach_km: float | None = None
    robustness_draws: int = 200
    # travel-time limits (used instead of the km ones when the run has a minutes matrix)
    max_spoke_minutes: float | None = None
    reach_minutes: float | None = None
    # capability/access trade-off: ("knee", None), ("min_capability", x) or
    # ("max_access_increase", share); see geo.siting.pick_frontier
    frontier: tuple = ("knee", None)
    frontier_points: int = 8
    near_organisation: NearOrganisation | None = None


class _Pillars:
    """Pillar look-ups of a class with a ``pillars`` field."""

    pillars: tuple[Pillar, ...]

    @property
    def pillar_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.pillars)

    def pillar(self, name: str) -> Pillar:
        for p in self.pillars:
            if p.name == name:
                return p
        raise KeyError(name)

    def pillar_weights(self) -> dict[str, float]:
        """Pillar → weight normalised to sum 1."""
        total = sum(p.weight for p in self.pillars)
        return {p.name: p.weight / total for p in self.pillars}

    @property
    def indicator_ids(self) -> tuple[str, ...]:
        """Every indicator the pillars use, pillar by pillar."""
        return tuple(i for p in self.pillars for i in p.indicators)


@dataclass(frozen=True)
class ScoringSpec(_Pillars):
    """What the scoring stage (:mod:`geo.scoring`) reads of a scenario: the pillars with their
    weights, the scoring options and the uncertainty options (:meth:`Scenario.scoring_spec`)."""

    pillars: tuple[Pillar, ...]
    scoring: ScoringOptions = field(default_factory=ScoringOptions)
    uncertainty: UncertaintyOptions = field(default_factory=UncertaintyOptions)


@dataclass(frozen=True)
class Scenario(_Pillars):
    """A validated scenario. Build it with :func:`load_scenario` or :func:`validate`."""

    name: str
    title_ko: str
    title_en: str
    description: str
    units: str
    pillars: tuple[Pillar, ...]
    indicators: IndicatorOptions = field(default_factory=IndicatorOptions)
    scoring: ScoringOptions = field(default_factory=ScoringOptions)
    uncertainty: UncertaintyOptions = field(default_factory=UncertaintyOptions)
    network: NetworkOptions = field(default_factory=NetworkOptions)
    siting: SitingOptions = field(default_factory=SitingOptions)
    path: str | None = field(default=None, compare=False)  # the file it came from, if any

    def scoring_spec(self) -> ScoringSpec:
        """The part of the scenario the scoring stage reads."""
        return ScoringSpec(pillars=self.pillars, scoring=self.scoring, uncertainty=self.uncertainty)

    def to_dict(self) -> dict:
        """The fully resolved scenario as plain YAML/JSON types (defaults filled in)."""
        s, u, n, t = self.scoring, self.uncertainty, self.network, self.siting
        return {
            "name": self.name,
            "title_ko": self.title_ko,
            "title_en": self.title_en,
            "description": self.description,
            "units": self.units,
            "indicators": {
                "access_half_km": self.indicators.access_half_km,
                "decline_weights": dict(self.indicators.decline_weights),
                "user": [copy.deepcopy(spec) for spec in self.indicators.user],
            },
            "pillars": {
                p.name: {"weight": p.weight, "indicators": dict(zip(p.indicators, p.weights))}
                for p in self.pillars
            },
            "scoring": {
                "normalisation": s.normalisation,
                "winsorise": None
                if s.winsorise is None
                else {"lower": s.winsorise.lower, "upper": s.winsorise.upper},
                "aggregation": s.aggregation,
                "missing": {"policy": s.missing, "max_missing_share": s.max_missing_share},
                "outliers": s.outliers,
                "at_stake_size": s.at_stake_size,
                "target_effective_weights": {g: dict(t) for g, t in s.target_effective_weights} or None,
            },
            "uncertainty": {
                "draws": u.draws,
                "seed": u.seed,
                "concentration": u.concentration,
                "indicator_concentration": u.indicator_concentration,
                "normalisations": list(u.normalisations),
                "aggregations": list(u.aggregations),
                "outlier_rules": list(u.outlier_rules),
                "drop_one": u.drop_one,
                "periods": {name: dict(sub) for name, sub in u.periods},
                "access": {name: dict(sub) for name, sub in u.access},
            },
            "network": {"circuity": n.circuity, "rail": n.rail, "knowledge_top_n": n.knowledge_top_n,
                        "od_matrix": n.od_matrix},
            "siting": {
                "model": t.model,
                "k": t.k,
                "k_range": None if t.k_range is None else list(t.k_range),
                "demand": t.demand,
                "eligibility": {k: getattr(t.eligibility, k) for k in ELIGIBILITY_KEYS},
                "per_megaregion": {
                    "max": dict(t.per_megaregion.max),
                    "min": dict(t.per_megaregion.min),
                },
                "fixed": list(t.fixed),
                "excluded": list(t.excluded),
                "max_spoke_km": t.max_spoke_km,
                "reach_km": t.reach_km,
                "max_spoke_minutes": t.max_spoke_minutes,
                "reach_minutes": t.reach_minutes,
                "robustness_draws": t.robustness_draws,
                "frontier": t.frontier[0] if t.frontier[1] is None else {t.frontier[0]: t.frontier[1]},
                "frontier_points": t.frontier_points,
                "near_organisation": None if t.near_organisation is None else {
                    "min_hubs": t.near_organisation.min_hubs,
                    "within_minutes": t.near_organisation.within_minutes,
                    "within_km": t.near_organisation.within_km,
                },
            },
        }


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def shipped_scenarios() -> dict[str, Path]:
    """Name → path of the scenarios shipped in ``data/scenarios/``."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.yaml"))}


def load_scenario(path: str | Path, *, indicator_ids: Iterable[str] | None = None) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path
        The YAML file.
    indicator_ids
        If given, the indicator ids that exist; any other id in the scenario is a problem.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        If the file does not exist or is a folder (the hint lists the shipped scenarios), is
        larger than :data:`MAX_FILE_BYTES`, or is not UTF-8/UTF-16/UTF-32 text.
    ScenarioError
        Listing every problem in the file, each with its key path and line; also YAML syntax
        errors, nesting deeper than :data:`MAX_DEPTH` and more than :data:`MAX_VALUES` values
        once aliases are expanded.
    """
    path = Path(path)
    file = str(path)
    text = _read_text(path)
    try:
        try:
            _check_structure(text, file, loader=_FAST_LOADER)
        except yaml.YAMLError:
            # again with PyYAML's own parser: its messages are the documented ones, and libyaml
            # stops at its own nesting limit (1,000) before the depth check here has its say
            _check_structure(text, file, loader=yaml.SafeLoader)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        if isinstance(err, yaml.reader.ReaderError):  # a control character: position, no mark
            where = f"line {text.count(chr(10), 0, err.position) + 1}: "
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(file, [f"{where}YAML syntax error: {problem}"]) from None
    except ValueError as err:  # PyYAML's int() of a number with more than 4,300 digits
        if isinstance(err, ScenarioError):
            raise
        raise ScenarioError(file, [f"a value cannot be read ({str(err).split(':')[0]})"]) from None
    except RecursionError:  # unreachable after _check_structure; never let it escape
        raise ScenarioError(file, [f"nested too deeply; expected at most {MAX_DEPTH} levels"]) from None
    lines: dict[str, int] = {}
    dup: list[str] = []
    if node is not None:
        _walk_lines(node, "", lines, dup)
    if raw is None:
        raw = {}
    if isinstance(raw, dict) and "name" not in raw:
        raw = {"name": path.stem, **raw}
    scenario = _validate(raw, file=file, indicator_ids=indicator_ids, lines=lines, extra=dup)
    return dataclasses.replace(scenario, path=str(path))


_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"), (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def _read_text(path: Path) -> str:
    """The scenario file as text: UTF-8 (with or without a byte-order mark), or UTF-16/32
    with one (Windows Notepad's "Unicode"), within :data:`MAX_FILE_BYTES`.

    A cp949 (EUC-KR) file is refused, not read with a notice: YAML is defined on Unicode
    encodings only, and a legacy-encoding guess cannot be verified (most byte strings decode
    as cp949, so a file in another encoding would turn into wrong Korean titles on the maps
    and in the report without any error). Unlike a KOSIS download (read in cp949 because
    nobody can change how KOSIS writes it), the scenario is the analyst's own file, so saving
    it once as UTF-8 fixes it for good.
    """
    file = str(path)
    if path.is_dir():
        raise InputError("scenario path is a folder", file=file, expected="a scenario YAML file",
                         hint=f"shipped scenarios: {_shipped_text()}")
    if not path.is_file():
        raise InputError("scenario file not found", file=file, hint=f"shipped scenarios: {_shipped_text()}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"scenario file is too large ({size:,} bytes)", file=file,
                expected=f"at most {MAX_FILE_BYTES:,} bytes (a scenario is a few KB)",
            )
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"cannot be read ({type(err).__name__}: {err.strerror})", file=file,
                         expected="a readable scenario YAML file") from None
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as err:
                raise InputError(
                    f"starts with a {label} byte-order mark but is not valid {label} text (offset "
                    f"{err.start})", file=file, expected="a scenario YAML text file in UTF-8",
                ) from None
    binary = InputError(
        "is not a text file (a binary file, or UTF-16 without a byte-order mark)", file=file,
        expected="a scenario YAML text file in UTF-8",
    )
    if b"\x00" in raw:
        raise binary
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("cp949")
    except UnicodeDecodeError:
        raise binary from None
    raise InputError(
        "is saved in cp949 (EUC-KR), not UTF-8", file=file, expected="a scenario YAML file in UTF-8",
        got="cp949", hint="open it in Notepad and choose 'Save as' with encoding UTF-8",
    )


def _shipped_text() -> str:
    return ", ".join(str(p) for p in shipped_scenarios().values()) or "none"


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed
_DECIMAL_RE = re.compile(r"[-+]?[0-9][0-9_]*")


def _check_structure(text: str, file: str, *, loader) -> None:
    """Refuse, from the stream of parser events and before anything is built: nesting deeper
    than :data:`MAX_DEPTH` (PyYAML's recursive composer would raise RecursionError on 40 KB of
    brackets), more than :data:`MAX_VALUES` values once aliases are expanded (a 342-byte alias
    bomb holds 597,871; each alias adds the size of what it names, so nothing is expanded),
    an alias inside what it names, and integers of more than :data:`MAX_DIGITS` digits."""
    def refuse(event, problem: str):
        raise ScenarioError(file, [f"line {event.start_mark.line + 1}: {problem}"])

    count = 0
    sizes: dict[str, int] = {}  # anchor → values it stands for
    open_: list[tuple[str | None, int]] = []  # (anchor, count before) of each open collection
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            count += 1
            open_.append((event.anchor, count - 1))
            if len(open_) > MAX_DEPTH:
                refuse(event, f"nested more than {MAX_DEPTH} levels deep; expected at most "
                              f"{MAX_DEPTH} levels of mappings and lists")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            anchor, before = open_.pop()
            if anchor is not None:
                sizes[anchor] = count - before
        elif isinstance(event, yaml.ScalarEvent):
            count += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
            if (not event.style and len(event.value) > MAX_DIGITS
                    and _DECIMAL_RE.fullmatch(event.value)):
                refuse(event, f"a number with {len(event.value):,} digits; expected at most "
                              f"{MAX_DIGITS} digits")
        elif isinstance(event, yaml.AliasEvent):
            if any(a == event.anchor for a, _ in open_):
                refuse(event, "a YAML alias refers to the list or mapping that holds it; expected "
                              "a file without recursive aliases")
            count += sizes.get(event.anchor, 1)  # an undefined alias is reported by the composer
        if count > MAX_VALUES:
            refuse(event, f"holds more than {MAX_VALUES:,} values once YAML aliases (*name) are "
                          f"expanded; expected at most {MAX_VALUES:,} values (an alias bomb?)")


def _walk_lines(node, prefix: str, lines: dict[str, int], dup: list[str]) -> None:
    """Record the line of every key path; note duplicate keys (PyYAML keeps the last silently)."""
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for k, v in node.value:
            key = str(k.value)
            path = f"{prefix}.{key}" if prefix else key
            if key in seen:
                dup.append(f"{path} (line {k.start_mark.line + 1}): duplicate key")
            seen.add(key)
            lines.setdefault(path, k.start_mark.line + 1)
            _walk_lines(v, path, lines, dup)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            path = f"{prefix}[{i}]"
            lines.setdefault(path, v.start_mark.line + 1)
            _walk_lines(v, path, lines, dup)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


class _Checker:
    """Collects problems as ``"<key path> (line n): message"``."""

    def __init__(self, lines: Mapping[str, int] | None):
        self.lines = lines or {}
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        line = self.lines.get(path)
        where = path or "top level"
        if line is not None:
            where += f" (line {line})"
        self.problems.append(f"{where}: {message}")

    def mapping(self, value, path: str, allowed: Iterable[str]) -> dict:
        """Check a mapping and its keys; return it (or {} if it is not a mapping)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(path, f"expected a mapping, got {_kind(value)}")
            return {}
        allowed = list(allowed)
        for key in value:
            if key not in allowed:
                sub = f"{path}.{key}" if path else str(key)
                self.add(sub, "unknown key" + _suggest(str(key), allowed, "valid keys"))
        return value

    def number(self, value, path: str, *, minimum=None, maximum=None, strict_min=False,
               strict_max=False, integer=False, allow_none=False, limit=None):
        """A number in range; ``limit`` is this tool's upper limit (said as such)."""
        if value is None:
            if not allow_none:
                self.add(path, "a value is required")
            return None
        ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type or (isinstance(value, float) and not math.isfinite(value)):
            self.add(path, f"expected {'an integer' if integer else 'a number'}, got {_show(value)}")
            return None
        bad = (
            (minimum is not None and (value <= minimum if strict_min else value < minimum))
            or (maximum is not None and (value >= maximum if strict_max else value > maximum))
        )
        if bad:
            lo = "" if minimum is None else f"{'>' if strict_min else '>='} {minimum}"
            hi = "" if maximum is None else f"{'<' if strict_max else '<='} {maximum}"
            kind = "an integer" if integer else "a number"
            self.add(path, f"expected {kind} {' and '.join(x for x in (lo, hi) if x)}, got {_show(value)}")
            return None
        if limit is not None and value > limit:
            self.add(path, f"expected at most {_num(limit)} (the upper limit), got {_show(value)}")
            return None
        return int(value) if integer else float(value)

    def choice(self, value, path: str, options: Iterable[str]):
        options = list(options)
        if not isinstance(value, str) or value not in options:
            hint = _suggest(str(value), options, "") if isinstance(value, str) else ""
            self.add(path, f"expected one of {', '.join(options)}, got {_show(value)}{hint}")
            return None
        return value

    def text(self, value, path: str, *, limit: int | None = None):
        if not isinstance(value, str):
            self.add(path, f"expected text, got {_show(value)}")
            return None
        if limit is not None and len(value) > limit:
            self.add(path, f"expected text of at most {limit:,} characters (the upper limit), got "
                           f"{len(value):,} characters")
            return None
        return value

    def boolean(self, value, path: str):
        if not isinstance(value, bool):
            self.add(path, f"expected true or false, got {_show(value)}")
            return None
        return value


def _num(x) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _show(value, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters with a count (a 4,000-digit number or a
    50 MB text must not become the error line)."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "a number with more than 4,300 digits"
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "text"}.get(type(value), repr(value))


def _suggest(word: str, options: Iterable[str], label: str) -> str:
    options = list(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.7)
    if close:
        return f"; did you mean {close[0]!r}?"
    if label and len(options) <= 12:
        return f"; {label}: {', '.join(options)}"
    return ""


def validate(raw: dict, *, file: str, indicator_ids: Iterable[str] | None = None) -> Scenario:
    """Validate a parsed scenario mapping and resolve its defaults.

    Parameters
    ----------
    raw
        The mapping as read from YAML (or :meth:`Scenario.to_dict`).
    file
        Name used in the error message.
    indicator_ids
        If given, the indicator ids that exist; any other id in the scenario is a problem.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every problem at once, each starting with its key path.
    """
    return _validate(raw, file=file, indicator_ids=indicator_ids, lines=None, extra=[])


_TOP_KEYS = ("name", "title_ko", "title_en", "description", "units", "indicators", "pillars",
             "scoring", "uncertainty", "network", "siting")


def _validate(raw, *, file, indicator_ids, lines, extra) -> Scenario:
    c = _Checker(lines)
    c.problems.extend(extra)
    known_ids = None if indicator_ids is None else list(dict.fromkeys(indicator_ids))
    if not isinstance(raw, dict):
        raise ScenarioError(file, c.problems + [f"top level: expected a mapping, got {_kind(raw)}"])
    raw = c.mapping(raw, "", _TOP_KEYS)

    name = raw.get("name")
    if name is None:
        c.add("name", "a value is required (used as the output folder name)")
    elif not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > MAX_TEXT["name"]:
        c.add("name", f"expected letters, digits, '_', '-' or '.' (a folder name of at most "
                      f"{MAX_TEXT['name']} characters), got {_show(name)}")
        name = None
    title_ko = c.text(raw.get("title_ko", name or ""), "title_ko", limit=MAX_TEXT["title_ko"])
    title_en = c.text(raw.get("title_en", name or ""), "title_en", limit=MAX_TEXT["title_en"])
    description = c.text(raw.get("description", ""), "description", limit=MAX_TEXT["description"])
    units = c.choice(raw.get("units", "sgg"), "units", UNITS)

    indicators = _indicators(c, raw.get("indicators"))
    if known_ids is not None and indicators is not None:
        known_ids += [spec["id"] for spec in indicators.user if spec["id"] not in known_ids]
    pillars = _pillars(c, raw.get("pillars"), known_ids)
    scoring = _scoring(c, raw.get("scoring"), pillars, known_ids)
    uncertainty = _uncertainty(c, raw.get("uncertainty"), known_ids)
    network = _network(c, raw.get("network"))
    siting = _siting(c, raw.get("siting"), units=units, pillars=pillars, known_ids=known_ids,
                     draws=None if uncertainty is None else uncertainty.draws)

    if c.problems:
        raise ScenarioError(file, c.problems)
    return Scenario(
        name=name, title_ko=title_ko, title_en=title_en, description=description, units=units,
        pillars=pillars, indicators=indicators, scoring=scoring, uncertainty=uncertainty,
        network=network, siting=siting,
    )


def _pillars(c: _Checker, value, known_ids) -> tuple[Pillar, ...]:
    if value is None:
        c.add("pillars", f"a mapping of pillars is required (any of {', '.join(PILLARS)})")
        return ()
    value = c.mapping(value, "pillars", PILLARS)
    out = []
    owner: dict[str, str] = {}
    weight_ok = True
    for pname in PILLARS:
        if pname not in value:
            continue
        path = f"pillars.{pname}"
        spec = c.mapping(value[pname], path, ("weight", "indicators"))
        if not isinstance(value[pname], dict):
            weight_ok = False
            continue
        w = c.number(spec.get("weight"), f"{path}.weight", minimum=0, limit=MAX_WEIGHT)
        if w is None:
            weight_ok = False
        ind = spec.get("indicators")
        ids, ws = [], []
        ipath = f"{path}.indicators"
        if ind is None:
            c.add(ipath, "at least one indicator is required")
        elif isinstance(ind, list):
            items = [(i, 1.0) for i in ind]
        elif isinstance(ind, dict):
            items = list(ind.items())
        else:
            c.add(ipath, f"expected a mapping of indicator id → weight (or a list of ids), got {_show(ind)}")
            ind = None
        if ind is not None:
            if not items:
                c.add(ipath, "at least one indicator is required")
            for key, iw in items:
                kpath = f"{ipath}.{key}"
                if not isinstance(key, str):
                    c.add(kpath, f"expected an indicator id (text), got {_show(key)}")
                    continue
                if known_ids is not None and key not in known_ids:
                    c.add(kpath, "unknown indicator id" + _suggest(key, known_ids, ""))
                if key in owner:
                    c.add(kpath, f"indicator already used in pillar {owner[key]!r} (it would count twice)")
                owner.setdefault(key, pname)
                iwv = c.number(iw, kpath, minimum=0, limit=MAX_WEIGHT)
                if iwv is not None and key not in ids:
                    ids.append(key)
                    ws.append(iwv)
            if items and ws and len(ws) == len(items) and sum(ws) == 0:
                c.add(ipath, "all indicator weights are zero")
        out.append(Pillar(pname, w if w is not None else 0.0, tuple(ids), tuple(ws)))
    if isinstance(value, dict) and not any(p in value for p in PILLARS):
        c.add("pillars", f"at least one pillar is required (any of {', '.join(PILLARS)})")
    if out and weight_ok and sum(p.weight for p in out) == 0:
        c.add("pillars", "all pillar weights are zero")
    return tuple(out)


def _indicators(c: _Checker, value) -> IndicatorOptions | None:
    from geo.indicators import DECLINE_WEIGHTS, HALF_DISTANCE_KM  # the stage's own defaults

    p = "indicators"
    v = c.mapping(value, p, ("access_half_km", "decline_weights", "user"))
    n0 = len(c.problems)
    half = c.number(v.get("access_half_km", HALF_DISTANCE_KM), f"{p}.access_half_km", minimum=0,
                    strict_min=True, limit=MAX_KM)
    dw = v.get("decline_weights")
    weights = dict(DECLINE_WEIGHTS)
    if dw is not None:
        dv = c.mapping(dw, f"{p}.decline_weights", DECLINE_WEIGHTS)
        weights = {}
        for key, w in dv.items():
            wv = c.number(w, f"{p}.decline_weights.{key}", minimum=0, limit=MAX_WEIGHT)
            if wv is not None and key in DECLINE_WEIGHTS:
                weights[key] = wv
        if dv and len(c.problems) == n0 and sum(weights.values()) == 0:
            c.add(f"{p}.decline_weights", "all weights are zero")
    user = v.get("user")
    specs = []
    if user is not None:
        if not isinstance(user, list):
            c.add(f"{p}.user", f"expected a list of user-indicator specs, got {_kind(user)}")
        elif len(user) > MAX_USER_INDICATORS:
            c.add(f"{p}.user", f"expected at most {MAX_USER_INDICATORS} user indicators (the upper "
                               f"limit), got {len(user):,}")
        else:
            ids = []
            for i, spec in enumerate(user):
                sp = f"{p}.user[{i}]"
                if not isinstance(spec, dict):
                    c.add(sp, f"expected a mapping (file, id, label_ko, ...), got {_kind(spec)}")
                elif not isinstance(spec.get("id"), str) or not spec["id"]:
                    c.add(f"{sp}.id", f"expected an indicator id (text), got {_show(spec.get('id'))}")
                elif spec["id"] in ids:
                    c.add(f"{sp}.id", f"indicator id {spec['id']!r} used twice")
                else:
                    long = [k for k, x in spec.items() if isinstance(x, str) and len(x) > MAX_SPEC_TEXT]
                    for k in long:
                        c.add(f"{sp}.{k}", f"expected text of at most {MAX_SPEC_TEXT:,} characters "
                                           f"(the upper limit), got {len(spec[k]):,} characters")
                    ids.append(spec["id"])
                    specs.append(copy.deepcopy(spec))
    if len(c.problems) > n0:
        return None
    return IndicatorOptions(half, tuple(weights.items()), tuple(specs))


def _scoring(c: _Checker, value, pillars=(), known_ids=None) -> ScoringOptions | None:
    d = ScoringOptions()
    v = c.mapping(value, "scoring", ("normalisation", "winsorise", "aggregation", "missing", "outliers",
                                     "at_stake_size", "target_effective_weights"))
    norm = c.choice(v.get("normalisation", d.normalisation), "scoring.normalisation", NORMALISATIONS)
    agg = c.choice(v.get("aggregation", d.aggregation), "scoring.aggregation", AGGREGATIONS)
    win = None
    if v.get("winsorise") is not None:
        wv = c.mapping(v["winsorise"], "scoring.winsorise", ("lower", "upper"))
        lo = c.number(wv.get("lower", 0.0), "scoring.winsorise.lower", minimum=0, maximum=1)
        hi = c.number(wv.get("upper", 1.0), "scoring.winsorise.upper", minimum=0, maximum=1)
        if lo is not None and hi is not None:
            if lo >= hi:
                c.add("scoring.winsorise", f"expected lower < upper, got lower={lo}, upper={hi}")
            else:
                win = Winsorise(lo, hi)
    mv = c.mapping(v.get("missing"), "scoring.missing", ("policy", "max_missing_share"))
    policy = c.choice(mv.get("policy", d.missing), "scoring.missing.policy", MISSING_POLICIES)
    share = c.number(mv.get("max_missing_share", d.max_missing_share),
                     "scoring.missing.max_missing_share", minimum=0, maximum=1, strict_max=True)
    default_rule = "winsorise" if win is not None else d.outliers
    rule = c.choice(v.get("outliers", default_rule), "scoring.outliers", OUTLIER_RULES)
    size = v.get("at_stake_size", d.at_stake_size)
    if not isinstance(size, str) or not size:
        c.add("scoring.at_stake_size", f"expected an indicator id, got {size!r}")
        size = None
    elif known_ids is not None and "at_stake_size" in v and size not in known_ids:
        c.add("scoring.at_stake_size", "unknown indicator id" + _suggest(size, known_ids, ""))
    targets = _targets(c, v.get("target_effective_weights"), pillars)
    if None in (norm, agg, policy, share, rule, size, targets):
        return None
    return ScoringOptions(norm, agg, win, policy, share, rule, size, targets)


def _targets(c: _Checker, value, pillars) -> tuple | None:
    """``scoring.target_effective_weights``: {pillar: {indicator: share}, capability: {pillar: share}}."""
    if value is None:
        return ()
    p = "scoring.target_effective_weights"
    names = [pl.name for pl in pillars]
    v = c.mapping(value, p, names + ["capability"])
    n0 = len(c.problems)
    out = []
    for group, spec in v.items():
        gp = f"{p}.{group}"
        if group == "capability":
            allowed = [q for q in names if q in ("base", "knowledge", "connectivity")]
        elif group in names:
            allowed = list(next(pl for pl in pillars if pl.name == group).indicators)
        else:
            continue
        sv = c.mapping(spec, gp, allowed)
        if not isinstance(spec, dict) or not spec:
            c.add(gp, f"expected a mapping of {'pillar' if group == 'capability' else 'indicator'} → share")
            continue
        shares = []
        for key, t in sv.items():
            tv = c.number(t, f"{gp}.{key}", minimum=0)
            if tv is not None and key in allowed:
                shares.append((key, tv))
        if len(shares) == len(sv) and sum(t for _, t in shares) == 0:
            c.add(gp, "all targets are zero")
        out.append((group, tuple(shares)))
    return None if len(c.problems) > n0 else tuple(out)


def _uncertainty(c: _Checker, value, known_ids=None) -> UncertaintyOptions | None:
    d = UncertaintyOptions()
    p = "uncertainty"
    v = c.mapping(value, p, ("draws", "seed", "concentration", "indicator_concentration",
                             "normalisations", "aggregations", "outlier_rules", "drop_one", "periods",
                             "access"))
    draws = c.number(v.get("draws", d.draws), f"{p}.draws", minimum=1, integer=True, limit=MAX_DRAWS)
    seed = c.number(v.get("seed", d.seed), f"{p}.seed", minimum=0, integer=True)
    conc = c.number(v.get("concentration", d.concentration), f"{p}.concentration", minimum=0,
                    strict_min=True, limit=MAX_CONCENTRATION)
    iconc = c.number(v.get("indicator_concentration", d.indicator_concentration),
                     f"{p}.indicator_concentration", minimum=0, strict_min=True, allow_none=True,
                     limit=MAX_CONCENTRATION)
    lists = []
    for key, options in (("normalisations", NORMALISATIONS), ("aggregations", AGGREGATIONS),
                         ("outlier_rules", OUTLIER_RULES)):
        items = v.get(key, list(getattr(d, key)))
        if key == "outlier_rules" and items in (None, []):
            lists.append(())
            continue
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not items:
            c.add(f"{p}.{key}", f"expected a non-empty list of {', '.join(options)}, got {_show(items)}")
            lists.append(None)
            continue
        good = [c.choice(x, f"{p}.{key}[{i}]", options) for i, x in enumerate(items)]
        lists.append(None if None in good else tuple(dict.fromkeys(good)))
    drop = c.boolean(v.get("drop_one", d.drop_one), f"{p}.drop_one")
    n0 = len(c.problems)
    subs = {key: _substitutions(c, v.get(key), f"{p}.{key}", known_ids) for key in ("periods", "access")}
    if (None in (draws, seed, conc, drop, *lists) or len(c.problems) > n0
            or (iconc is None and v.get("indicator_concentration") is not None)):
        return None
    return UncertaintyOptions(draws, seed, conc, iconc, lists[0], lists[1], lists[2], drop, subs["periods"],
                              subs["access"])


def _substitutions(c: _Checker, value, path: str, known_ids) -> tuple:
    """{option name: {indicator id: substitute id}} → ((name, ((id, substitute), ...)), ...)."""
    out = []
    pv = c.mapping(value, path, list(value) if isinstance(value, dict) else [])
    for name, sub in pv.items():
        pp = f"{path}.{name}"
        if not isinstance(name, str) or name == "nominal":
            c.add(pp, "expected a name other than 'nominal'")
            continue
        if not isinstance(sub, dict) or not sub:
            c.add(pp, "expected a mapping of indicator id → substitute indicator id")
            continue
        pairs = []
        for a, b in sub.items():
            if not isinstance(b, str):
                c.add(f"{pp}.{a}", f"expected an indicator id, got {b!r}")
                continue
            for key in (a, b):
                if known_ids is not None and key not in known_ids:
                    c.add(f"{pp}.{a}", f"unknown indicator id {key!r}" + _suggest(str(key), known_ids, ""))
            pairs.append((a, b))
        out.append((name, tuple(pairs)))
    return tuple(out)


def _network(c: _Checker, value) -> NetworkOptions | None:
    d = NetworkOptions()
    v = c.mapping(value, "network", ("circuity", "rail", "knowledge_top_n", "od_matrix"))
    circ = c.number(v.get("circuity", d.circuity), "network.circuity", minimum=1, limit=MAX_CIRCUITY)
    rail = c.boolean(v.get("rail", d.rail), "network.rail")
    top = c.number(v.get("knowledge_top_n", d.knowledge_top_n), "network.knowledge_top_n",
                   minimum=1, integer=True, allow_none=True, limit=MAX_TOP_N)
    od = v.get("od_matrix")
    if od is not None:
        od = c.text(od, "network.od_matrix", limit=1000)
        if od is None or not od.strip():
            if od is not None:
                c.add("network.od_matrix", "expected a file path (origin, destination, minutes[, mode]), got ''")
            return None
    if circ is None or rail is None or (top is None and v.get("knowledge_top_n", 1) is not None):
        return None
    return NetworkOptions(circ, rail, top, od)


def _codes(c: _Checker, value, path: str, units: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        value = [value]
    lengths = {"sgg": (5,), "emd": (7,)}.get(units or "sgg", (5,))
    out = []
    for i, code in enumerate(value):
        text = str(code) if isinstance(code, int) and not isinstance(code, bool) else code
        if not isinstance(text, str) or not text.isdigit() or len(text) not in lengths:
            want = " or ".join(str(n) for n in lengths)
            c.add(f"{path}[{i}]", f"expected a {want}-digit region code for units {units!r}, got {_show(code)}")
            continue
        if text in out:
            c.add(f"{path}[{i}]", f"region code {text} listed twice")
            continue
        out.append(text)
    return tuple(out)


def _per_megaregion(c: _Checker, value, path: str):
    v = c.mapping(value, path, ("max", "min"))
    out = {}
    for key in ("max", "min"):
        item = v.get(key)
        kp = f"{path}.{key}"
        if item is None:
            out[key] = {}
        elif isinstance(item, dict):
            res = {}
            for mr, n in item.items():
                if mr not in MEGAREGIONS:
                    c.add(f"{kp}.{mr}", "unknown 권역" + _suggest(str(mr), MEGAREGIONS, "valid 권역"))
                    continue
                nv = c.number(n, f"{kp}.{mr}", minimum=0, integer=True, limit=MAX_K)
                if nv is not None:
                    res[mr] = nv
            out[key] = res
        else:
            nv = c.number(item, kp, minimum=0, integer=True, limit=MAX_K)
            out[key] = {} if nv is None else {mr: nv for mr in MEGAREGIONS}
    for mr, lo in out["min"].items():
        hi = out["max"].get(mr)
        if hi is not None and lo > hi:
            c.add(path, f"{mr}: min {lo} is more than max {hi}")
    return MegaregionLimits(tuple(out["max"].items()), tuple(out["min"].items()))


def _siting(c: _Checker, value, *, units, pillars, known_ids, draws) -> SitingOptions | None:
    d = SitingOptions()
    p = "siting"
    v = c.mapping(value, p, ("model", "k", "k_range", "demand", "eligibility", "per_megaregion",
                             "fixed", "excluded", "max_spoke_km", "reach_km", "robustness_draws",
                             "max_spoke_minutes", "reach_minutes", "frontier", "frontier_points",
                             "near_organisation"))
    n0 = len(c.problems)
    model = c.choice(v.get("model", d.model), f"{p}.model", MODELS)
    k = v.get("k", d.k)
    if k != "auto" and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        c.add(f"{p}.k", f"expected a positive integer or 'auto', got {_show(k)}")
        k = None
    elif isinstance(k, int) and k > MAX_K:
        c.add(f"{p}.k", f"expected at most {MAX_K:,} hubs (the upper limit), got {_show(k)}")
        k = None
    k_range = v.get("k_range")
    if k_range is not None:
        if (not isinstance(k_range, list) or len(k_range) != 2
                or any(isinstance(x, bool) or not isinstance(x, int) for x in k_range)
                or not 1 <= k_range[0] <= k_range[1]):
            c.add(f"{p}.k_range", f"expected [low, high] with 1 <= low <= high (integers), got {_show(k_range)}")
            k_range = None
        elif k_range[1] > MAX_K or k_range[1] - k_range[0] + 1 > MAX_K_SPAN:
            c.add(f"{p}.k_range", f"expected high <= {MAX_K:,} and at most {MAX_K_SPAN} values of k "
                                  f"(the upper limits; each is a full siting solve), got {_show(k_range)}")
            k_range = None
        else:
            k_range = (k_range[0], k_range[1])
    elif k == "auto":
        c.add(f"{p}.k_range", "required when k is 'auto' (the range of k to try), e.g. [6, 14]")

    pillar_names = [pl.name for pl in pillars]
    demand = v.get("demand", d.demand)
    demand_options = ["at_stake"] + pillar_names + ["score", "uniform"]
    if not isinstance(demand, str):
        c.add(f"{p}.demand", f"expected 'at_stake', a pillar name, 'score', 'uniform' or an indicator id, "
              f"got {_show(demand)}")
    elif demand == "at_stake" and "need" not in pillar_names:
        c.add(f"{p}.demand", "'at_stake' (need × manufacturing size) needs the need pillar")
    elif demand not in demand_options:
        if demand in PILLARS:
            c.add(f"{p}.demand", f"pillar {demand!r} is not in pillars")
        elif known_ids is not None and demand not in known_ids:
            c.add(f"{p}.demand", "expected a pillar name, 'score', 'uniform' or an indicator id, got "
                  f"{_show(demand)}" + _suggest(demand, demand_options + list(known_ids), ""))

    ev = c.mapping(v.get("eligibility"), f"{p}.eligibility", ELIGIBILITY_KEYS)
    mins = {}
    for key in ELIGIBILITY_KEYS:
        kp = f"{p}.eligibility.{key}"
        mins[key] = c.number(ev.get(key), kp, minimum=0, maximum=100, allow_none=True)
        pname = key.removeprefix("min_")
        if ev.get(key) is not None and pname in PILLARS and pname not in pillar_names:
            c.add(kp, f"pillar {pname!r} is not in pillars")
    eligibility = Eligibility(**mins)

    limits = _per_megaregion(c, v.get("per_megaregion"), f"{p}.per_megaregion")
    fixed = _codes(c, v.get("fixed"), f"{p}.fixed", units)
    excluded = _codes(c, v.get("excluded"), f"{p}.excluded", units)
    both = sorted(set(fixed) & set(excluded))
    if both:
        c.add(f"{p}.excluded", f"region codes both fixed and excluded: {', '.join(both)}")
    if isinstance(k, int):
        if len(fixed) > k:
            c.add(f"{p}.fixed", f"{len(fixed)} fixed hubs but k is {k}")
        lo_sum = sum(n for _, n in limits.min)
        if lo_sum > k:
            c.add(f"{p}.per_megaregion.min", f"the minimums add up to {lo_sum} hubs but k is {k}")
        if len(limits.max) == len(MEGAREGIONS):
            hi_sum = sum(n for _, n in limits.max)
            if hi_sum < k:
                c.add(f"{p}.per_megaregion.max", f"the maximums allow only {hi_sum} hubs but k is {k}")
    if k == "auto" and k_range is not None and len(fixed) > k_range[1]:
        c.add(f"{p}.fixed", f"{len(fixed)} fixed hubs but k_range allows at most {k_range[1]}")

    spoke = c.number(v.get("max_spoke_km"), f"{p}.max_spoke_km", minimum=0, strict_min=True,
                     allow_none=True, limit=MAX_KM)
    reach = c.number(v.get("reach_km"), f"{p}.reach_km", minimum=0, strict_min=True, allow_none=True,
                     limit=MAX_KM)
    if model == "mclp" and v.get("reach_km") is None:
        c.add(f"{p}.reach_km", "required for model 'mclp' (the coverage distance in km)")
    rd = c.number(v.get("robustness_draws", d.robustness_draws), f"{p}.robustness_draws",
                  minimum=0, integer=True, limit=MAX_ROBUSTNESS_DRAWS)
    if rd is not None and draws is not None and rd > draws:
        c.add(f"{p}.robustness_draws", f"expected at most uncertainty.draws ({draws}), got {rd}")
    spoke_min = c.number(v.get("max_spoke_minutes"), f"{p}.max_spoke_minutes", minimum=0, strict_min=True,
                         allow_none=True)
    reach_min = c.number(v.get("reach_minutes"), f"{p}.reach_minutes", minimum=0, strict_min=True,
                         allow_none=True)
    fr = v.get("frontier", "knee")
    frontier = ("knee", None)
    if isinstance(fr, dict) and len(fr) == 1 and next(iter(fr)) in ("min_capability", "max_access_increase"):
        key = next(iter(fr))
        x = c.number(fr[key], f"{p}.frontier.{key}", minimum=0,
                     maximum=100 if key == "min_capability" else None)
        frontier = (key, x)
    elif fr != "knee":
        c.add(f"{p}.frontier", "expected 'knee', {min_capability: <0-100>} or {max_access_increase: "
              f"<share, e.g. 0.05>}}, got {_show(fr)}")
    npts = c.number(v.get("frontier_points", d.frontier_points), f"{p}.frontier_points", minimum=2,
                    integer=True)
    near = _near_organisation(c, v.get("near_organisation"), f"{p}.near_organisation",
                              k=k if isinstance(k, int) else None,
                              k_low=k_range[0] if k == "auto" and k_range is not None else None)
    if len(c.problems) > n0:
        return None
    return SitingOptions(model, k, k_range, demand, eligibility, limits, fixed, excluded, spoke,
                         reach, rd, spoke_min, reach_min, frontier, npts, near)


def _near_organisation(c: _Checker, value, path: str, *, k: int | None,
                       k_low: int | None = None) -> NearOrganisation | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        c.add(path, f"expected {{within_minutes: <minutes>, min_hubs: <n>}} (or within_km), got {_show(value)}")
        return None
    v = c.mapping(value, path, ("within_minutes", "within_km", "min_hubs"))
    minutes = c.number(v.get("within_minutes"), f"{path}.within_minutes", minimum=0, allow_none=True,
                       limit=MAX_KM)
    km = c.number(v.get("within_km"), f"{path}.within_km", minimum=0, allow_none=True, limit=MAX_KM)
    if v.get("within_minutes") is None and v.get("within_km") is None:
        c.add(path, "expected within_minutes (travel-time runs) or within_km (road-km runs), got neither")
    n = c.number(v.get("min_hubs"), f"{path}.min_hubs", minimum=1, integer=True, limit=MAX_K)
    if n is not None and k is not None and n > k:
        c.add(f"{path}.min_hubs", f"expected at most k ({k}) hubs, got {n}")
    if n is not None and k_low is not None and n > k_low:
        c.add(f"{path}.min_hubs", f"expected at most the lowest k of k_range ({k_low}) hubs, got {n}")
    if n is None or (minutes is None and km is None):
        return None
    return NearOrganisation(n, minutes, km)
