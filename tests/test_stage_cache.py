"""The in-memory stage cache of geo.pipeline: what a change recomputes, what a stage's key
holds.

With the parallel runner this file goes to the worker of the session's national run, after
it (conftest.py, ``TOGETHER``): the national regions, indicators and network are then in the
cache already, as in a notebook session."""

import dataclasses
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "data" / "scenarios" / "national.yaml"


def test_analyst_loop_recomputes_only_what_changed():
    """A weights change reuses regions, indicators and network; the cached result equals a
    fresh computation; the cache hands out copies."""
    from geo.pipeline import CACHE, run_in_memory, variant

    base = variant(NATIONAL, draws=300, robustness_draws=0)
    first = run_in_memory(base, until="scoring")
    CACHE.hits.clear()
    CACHE.misses.clear()
    heavier = variant(base, pillar_weights={"need": 2})
    again = run_in_memory(heavier, until="scoring")
    assert CACHE.hits == ["regions", "indicators", "network"] and CACHE.misses == ["scoring"]
    fresh = run_in_memory(heavier, until="scoring", cache=False)
    pd.testing.assert_frame_equal(again.scores, fresh.scores)
    assert not again.scores["rank"].equals(first.scores["rank"])  # the weights did change the ranking
    again.values.iloc[:, 0] = -1.0  # a caller editing a result does not edit the cache
    again.indicators.values.iloc[:, 0] = -1.0
    third = run_in_memory(heavier, until="scoring")
    pd.testing.assert_frame_equal(third.values, fresh.values)


def test_stage_cache_key_follows_its_inputs(tmp_path, monkeypatch):
    """Each stage's key holds the scenario sections it (and the stages before it) read, and the
    data files: a changed data file changes every key."""
    from geo import config
    from geo.pipeline import StageCache, load, variant

    cache = StageCache()
    sc = load(NATIONAL)
    k8 = variant(sc, k=8)
    heavier = variant(sc, pillar_weights={"need": 2})
    assert cache.key(sc, "network") == cache.key(k8, "network") == cache.key(heavier, "network")
    assert cache.key(sc, "scoring") == cache.key(k8, "scoring") != cache.key(heavier, "scoring")
    assert cache.key(sc, "siting") != cache.key(k8, "siting")
    fewer = variant(sc, robustness_draws=3)  # the scoring stage keeps that many draws for the siting
    assert cache.key(sc, "network") == cache.key(fewer, "network") and cache.key(sc, "scoring") != cache.key(fewer, "scoring")
    data = tmp_path / "data"
    data.mkdir()
    (data / "table.csv").write_text("a\n1\n")
    monkeypatch.setattr(config, "DATA_DIR", data)
    before = cache.key(sc, "regions")
    (data / "table.csv").write_text("a\n2\n3\n")
    assert cache.key(sc, "regions") != before


def test_stage_cache_key_reads_files_not_prose():
    """Scenario text that is no path (a long description with dots, NUL) never breaks the key;
    a user table the scenario names is part of it."""
    from geo.pipeline import StageCache, load

    sc = load(NATIONAL)
    sc = dataclasses.replace(sc, description="Hubs. " * 2000, title_en="a\x00b.")
    assert "catalogue.csv" in StageCache().key(sc, "regions")
