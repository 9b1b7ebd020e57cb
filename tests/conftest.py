"""Shared fixtures, built once per test session.

- ``browser``: one headless Debian chromium (driven by playwright).
- ``grid``, ``grid_graph``: the tiny synthetic fixture of the logic tests, a 3×3 grid of 1 km
  squares plus one island square, and its region network.
- ``national_scenario``, ``national_run``: the shipped national scenario with few Monte Carlo
  draws, run in memory through the siting. The pillar scores, the need index and the hubs do
  not depend on the number of draws; the stage cache of ``geo.pipeline`` keeps the regions,
  indicators and network of this run for every later in-memory run of the session.

Session fixtures are shared: a test that wants to change one works on a copy.

With the parallel runner (pyproject.toml: two workers, ``--dist=loadfile``) each file goes
whole to one worker, so that its module fixtures are built once; a session fixture is built
once in each worker that uses it, and the files sharing the national run go together
(:data:`TOGETHER`). The files go out slowest first (:data:`SLOWEST_FIRST`).
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "data" / "scenarios" / "national.yaml"
NATIONAL_DRAWS = {"draws": 300, "robustness_draws": 10}  # few: only the intervals depend on them

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
X0, Y0 = 1_000_000.0, 1_800_000.0  # a point in southern Korea, EPSG:5179 metres

# The files that take longest, slowest first (seconds of one worker, measured). The parallel
# runner hands its units of work (a file, or the files of one group below) to the workers in
# collection order (``--no-loadscope-reorder``; its default orders them by their number of
# tests), so the long ones start at once and the short ones fill the end: a long file handed
# out last would keep one worker busy alone.
SLOWEST_FIRST = [
    "tests/test_pipeline.py",  # two national runs by the CLI, side by side
    "tests/test_notebooks.py",  # a kernel running the four notebooks and one with parameters
    "tests/test_siting.py",  # spopt and PuLP (CBC) on 229 x 229 real distances
    "tests/test_siting_orlib.py",
    "tests/test_maps.py",
    "tests/test_siting_scenarios.py",
    "tests/test_monitor.py",
    "tests/test_scoring.py",
    "tests/test_bad_inputs_files.py",
    "tests/test_hostile_outputs.py",
    "tests/test_setup.py",
    "tests/test_report.py",
    "tests/test_traveltime.py",
    "tests/test_network.py",
    "tests/test_bad_inputs.py",
]
# Files that go to one worker together (every other file is a unit of its own): the users of
# ``national_run`` and of the stage cache it fills, so that the national stages are computed
# once, not once in each worker.
TOGETHER = {
    "tests/test_siting_scenarios.py": "national_run",
    "tests/test_monitor.py": "national_run",
    "tests/test_stage_cache.py": "national_run",
    "geo/pipeline.py": "national_run",
}


def pytest_collection_modifyitems(items):
    """Put the files of :data:`SLOWEST_FIRST` first, in its order; the others keep theirs."""
    order = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: order.get(item.nodeid.split("::")[0], len(order)))


def pytest_xdist_make_scheduler(config, log):
    """With ``--dist=loadfile``: whole files to the workers, the files of one group of
    :data:`TOGETHER` as one unit. (The runner's own ``loadgroup`` marks do not reach its
    scheduler under pytest 9: it renames a test id attribute pytest no longer reads.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class Together(LoadFileScheduling):
        def _split_scope(self, nodeid):
            path = super()._split_scope(nodeid)
            return TOGETHER.get(path, path)

    return Together(config, log)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def grid_units():
    """Cells ``r{row}{col}`` of a 3×3 grid of 1 km squares (row 0 at the top), plus a
    1 × 0.5 km island ``isl`` 2 km east of r12 (and 2.016 km from the corners of r02 and r22)."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    rows = []
    for r in range(3):
        for c in range(3):
            x, y = X0 + c * 1000, Y0 - r * 1000
            rows.append((f"r{r}{c}", f"셀{r}{c}", f"cell {r}{c}", shapely.box(x, y - 1000, x + 1000, y)))
    x = X0 + 3000 + 2000
    rows.append(("isl", "섬", "island", shapely.box(x, Y0 - 1750, x + 1000, Y0 - 1250)))
    df = pd.DataFrame(rows, columns=["region_code", "name_ko", "name_en", "geometry"]).set_index("region_code")
    return gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:5179")


@pytest.fixture(scope="session")
def grid():
    return grid_units()


@pytest.fixture(scope="session")
def grid_graph(grid):
    from geo import network

    return network.build_network(grid, rail=False)


@pytest.fixture(scope="session")
def few_draws():
    """The Monte Carlo draws of the session's in-memory runs, as :func:`geo.pipeline.variant` takes them."""
    return dict(NATIONAL_DRAWS)


@pytest.fixture(scope="session")
def national_scenario():
    from geo.pipeline import variant

    return variant(NATIONAL, **NATIONAL_DRAWS)


@pytest.fixture(scope="session")
def national_run(national_scenario):
    from geo.pipeline import run_in_memory

    return run_in_memory(national_scenario, until="siting")
