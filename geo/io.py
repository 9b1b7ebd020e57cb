"""Writers. Every output goes to a staging folder first; ``publish`` swaps it into place only
when the whole run succeeded, so a failed run leaves the previous outputs intact.

Tables for people are ``utf-8-sig`` CSV (Excel shows Korean), with ``\\n`` line ends and
fixed float formatting so two runs of the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import os
import sys
import shutil
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd


def staging_dir(final: Path) -> Path:
    """A fresh sibling folder of ``final`` to write into (``.<name>.tmp-<id>``)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


def publish(tmp: Path, final: Path) -> None:
    """Replace ``final`` by ``tmp`` with two renames (the old folder is removed last)."""
    old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    if old.exists():
        shutil.rmtree(old)


def discard(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)


def write_csv(df: pd.DataFrame, path: Path, *, index: bool = True) -> Path:
    df.to_csv(path, index=index, encoding="utf-8-sig", lineterminator="\n", float_format="%.10g")
    return path


def write_json(obj, path: Path) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write several layers into one GeoPackage (index written as a column).

    GDAL stamps the write time into ``gpkg_contents``; OGR_CURRENT_DATE fixes it so that
    reruns are byte-identical (the run time is in manifest.json).
    """
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    for name, gdf in layers.items():
        gdf.reset_index().to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def progress(**kw):
    """A tqdm progress bar on an interactive terminal; silent in CI, logs and files."""
    from tqdm.auto import tqdm

    quiet = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    return tqdm(disable=quiet, leave=False, **kw)
