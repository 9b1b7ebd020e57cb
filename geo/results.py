"""What each stage hands the next: one small frozen result per stage, and the run's result.

    Regions → Indicators → Network → Scores → Siting → Plan

:func:`geo.pipeline.run` and :func:`geo.pipeline.run_in_memory` return a :class:`RunResult`
holding the results of the stages that ran (the others are None) and the folders written.
The frames inside are the tables the stages write (``scores.csv`` is ``Scores.table``,
``hubs.csv`` is ``Plan.hubs`` or, without a plan, ``Siting.hubs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # only for the annotations: importing them here would load every stage
    import geopandas as gpd
    import networkx as nx

    from geo.network import RailPlacement
    from geo.plan import NetworkPlan
    from geo.scenario import Scenario
    from geo.scoring import Audit, Uncertainty


@dataclass(frozen=True)
class Regions:
    """The analysis units: index ``region_code``, EPSG:5179, names, 시도, 권역."""

    units: gpd.GeoDataFrame


@dataclass(frozen=True)
class Indicators:
    """The indicator tables of the built-in and the scenario's user indicators.

    Attributes
    ----------
    values
        One row per unit (index ``region_code``, the units' order), one column per indicator.
    metadata
        One row per indicator (index ``id``): labels, unit, formula, direction, pillar, source.
    assets
        The points counted (universities, research, root_complexes, industrial_complexes).
    unmatched
        The match-report parts of this stage (built-in sources, then each user table).
    organisations
        The existing organisations (technoparks, KITECH, centres, …) placed on the units
        (:func:`geo.plan.organisations`), for the siting and the plan.
    """

    values: pd.DataFrame
    metadata: pd.DataFrame
    assets: Mapping[str, gpd.GeoDataFrame]
    unmatched: tuple[pd.DataFrame, ...]
    organisations: pd.DataFrame | None = None


@dataclass(frozen=True)
class Network:
    """The region graph, the cost matrices, the connectivity pillar and the hot spots.

    Attributes
    ----------
    graph
        Region graph (:func:`geo.network.build_network`).
    rail
        Where the KORAIL stations were placed (None without rail).
    cost
        Region × region road-distance proxy, km.
    times
        Region × region door-to-door minutes (:mod:`geo.traveltime`), the units' order.
    centrality
        ``centrality.csv``: graph centralities with the connectivity columns.
    connectivity, connectivity_metadata
        The connectivity pillar's indicators (index ``region_code``) and their metadata rows.
    lisa, moran
        Local hot spots (``hotspots.csv``) and global Moran's I (``moran.json``).
    unmatched
        The match-report parts of this stage (unplaced stations, user OD matrix rows).
    """

    graph: nx.Graph
    rail: RailPlacement | None
    cost: pd.DataFrame
    times: pd.DataFrame
    centrality: pd.DataFrame
    connectivity: pd.DataFrame
    connectivity_metadata: pd.DataFrame
    lisa: pd.DataFrame
    moran: pd.Series
    unmatched: tuple[pd.DataFrame, ...]


@dataclass(frozen=True)
class Scores:
    """The need and capability indices.

    Attributes
    ----------
    table
        ``scores.csv``: names, pillar scores, indices, ranks and intervals, by rank.
    uncertainty
        The Monte Carlo rank intervals and sensitivity indices (:func:`geo.scoring.monte_carlo`).
    audit
        Outlier treatment, correlations and effective weights (:func:`geo.scoring.audit`).
    """

    table: pd.DataFrame
    uncertainty: Uncertainty
    audit: Audit


@dataclass(frozen=True)
class Siting:
    """The hubs, their spokes and what the choice rests on.

    Attributes
    ----------
    hubs, assignments
        ``hubs.csv`` (as sited, before the plan's themes) and ``assignments.csv``.
    frontier, policy_costs, robustness
        The access/capability frontier, the price of each programme rule and each region's
        selection frequency per family of draws.
    info
        The solve as ``siting.json`` holds it: model, k, demand, bounds, gap, optimal, method,
        limits (named in the cost unit), the capability trade-off and ``cost_unit``.
    cost_unit
        ``"minutes"`` when sited on travel times, else ``"km"``.
    k_curve
        The objective for each k when the scenario asks for ``k: auto``, else None.
    """

    hubs: pd.DataFrame
    assignments: pd.DataFrame
    frontier: pd.DataFrame
    policy_costs: pd.DataFrame
    robustness: pd.DataFrame
    info: Mapping[str, object]
    cost_unit: str
    k_curve: pd.DataFrame | None = None


@dataclass(frozen=True)
class Plan:
    """The network plan and the hub table with its themes.

    Attributes
    ----------
    network
        Themes, hub-to-hub links and organisations (:class:`geo.plan.NetworkPlan`).
    hubs
        The sited hubs with the plan's columns (``hubs.csv`` after the plan).
    """

    network: NetworkPlan
    hubs: pd.DataFrame


@dataclass(frozen=True)
class RunResult:
    """The results of one run: one field per stage (None when the stage did not run).

    ``units``, ``values``, ``metadata``, ``scores``, ``uncertainty``, ``hubs`` and
    ``assignments`` are shortcuts to the tables most readers want; ``values`` and
    ``metadata`` include the connectivity indicators once the network stage has run.

    Attributes
    ----------
    scenario
        The scenario run.
    out, maps
        The published output and map folders (None for an in-memory run).
    stages
        The stages run, in order; ``seconds`` their wall time and ``wall_seconds`` the whole
        run's (less than their sum when the maps stage ran beside the report).
    """

    scenario: Scenario
    regions: Regions | None = None
    indicators: Indicators | None = None
    network: Network | None = None
    scoring: Scores | None = None
    siting: Siting | None = None
    plan: Plan | None = None
    out: Path | None = None
    maps: Path | None = None
    stages: tuple[str, ...] = ()
    seconds: Mapping[str, float] = field(default_factory=dict)
    wall_seconds: float | None = None

    @property
    def units(self) -> gpd.GeoDataFrame | None:
        return None if self.regions is None else self.regions.units

    # computed once per result (a frozen dataclass keeps a cached_property in its __dict__)
    @cached_property
    def values(self) -> pd.DataFrame | None:
        """Indicator values, with the connectivity columns after the network stage (a copy)."""
        return None if self.indicators is None else with_connectivity(self.indicators, self.network)[0]

    @cached_property
    def metadata(self) -> pd.DataFrame | None:
        """Indicator metadata, with the connectivity rows after the network stage (a copy)."""
        return None if self.indicators is None else with_connectivity(self.indicators, self.network)[1]

    @property
    def scores(self) -> pd.DataFrame | None:
        return None if self.scoring is None else self.scoring.table

    @property
    def uncertainty(self) -> Uncertainty | None:
        return None if self.scoring is None else self.scoring.uncertainty

    @property
    def hubs(self) -> pd.DataFrame | None:
        """The hub table as last written: with the plan's themes when the plan ran."""
        if self.plan is not None:
            return self.plan.hubs
        return None if self.siting is None else self.siting.hubs

    @property
    def assignments(self) -> pd.DataFrame | None:
        return None if self.siting is None else self.siting.assignments


def with_connectivity(indicators: Indicators, network: Network | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Indicator values and metadata with the network's connectivity indicators appended."""
    values, metadata = indicators.values.copy(), indicators.metadata.copy()
    if network is None:
        return values, metadata
    for col in network.connectivity_metadata.index:
        values[col] = network.connectivity[col]
    return values, pd.concat([metadata, network.connectivity_metadata])
