"""Paths and constants, defined once and imported everywhere.

``GEO_DATA_DIR`` (environment) points the tool at another copy of ``data/``. Otherwise the data
are the checkout's ``data/`` folder, or the copy installed with the package (``geo/_data``,
the same files mapped into the wheel by ``pyproject.toml``). Outputs go under the checkout when
the tool runs from one, else under the current folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE.parent
IN_CHECKOUT = (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "data" / "catalogue.csv").is_file()


def _data_dir() -> Path:
    env = os.environ.get("GEO_DATA_DIR")
    if env:
        return Path(env).expanduser().resolve()
    if IN_CHECKOUT:
        return _CHECKOUT / "data"
    return PACKAGE / "_data"  # installed from a wheel


DATA_DIR = _data_dir()
SCENARIO_DIR = DATA_DIR / "scenarios"
ROOT = _CHECKOUT if IN_CHECKOUT else Path.cwd()  # where outputs/ and maps/ go by default
OUTPUTS_DIR = ROOT / "outputs"
MAPS_DIR = ROOT / "maps"

#: Metres for every geometry computation (Korea 2000 / Unified CS); maps draw in EPSG:4326.
CRS = "EPSG:5179"
#: Korea's extent in degrees, a quick first filter before the land test
#: (마라도 33.11 N, 백령도 124.6 E, 독도 131.87 E, 강원 고성 38.6 N).
KOREA_BBOX = (124.5, 33.0, 131.9, 38.7)  # lon_min, lat_min, lon_max, lat_max
