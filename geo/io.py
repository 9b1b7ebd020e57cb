"""Writers. Every output goes to a staging folder first; ``publish`` swaps it into place only
when the whole run succeeded, so a failed run leaves the previous outputs intact.

Tables for people are ``utf-8-sig`` CSV (Excel shows Korean), with ``\\n`` line ends and
fixed float formatting so two runs of the same inputs give byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import shutil
import sys
import uuid
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.errors import OutputError


MARKER = ".geo-output.json"  # in every folder the tool publishes: what it is and which run made it
_OWN_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-[0-9a-f]{8}$")


def check_targets(out: Path, maps_dir: Path | None = None, *, stages: list[str] | None = None,
                  replace_maps: bool = True) -> None:
    """Refuse output folders the tool may not replace, before any work is done.

    A target may be missing, an empty folder, or a folder the tool published itself (it holds
    :data:`MARKER`, or the ``manifest.json`` of an earlier run). Anything else — a file, a
    folder of the user's own files, ``out`` and ``maps_dir`` equal or nested — is an
    :class:`~geo.errors.OutputError`. With ``stages``, a folder holding the outputs of later
    stages than these is refused too, since replacing it would lose them.
    """
    targets = [("--out", Path(out))] + ([("--maps-dir", Path(maps_dir))] if maps_dir is not None else [])
    if maps_dir is not None:
        a, b = (Path(os.path.abspath(p)) for _, p in targets)
        if a == b or a in b.parents or b in a.parents:
            raise OutputError(f"--out {out} and --maps-dir {maps_dir} must be separate folders, neither inside "
                              "the other (publishing one would replace the other)")
    for flag, path in targets[: None if replace_maps else 1]:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{flag} {path} is a file, not a folder; give a folder path")
        if path.is_dir() and any(path.iterdir()) and not is_own(path):
            raise OutputError(f"{flag} {path} is a folder of other files, not an earlier output of this tool; "
                              "nothing was changed: give a new or empty folder")
    if stages is not None and Path(out).is_dir():
        done = _earlier_stages(Path(out))
        lost = [s for s in done if s not in stages]
        if lost:
            raise OutputError(f"{out} holds a run up to the {lost[-1]} stage; writing only "
                              f"{stages[-1]!r} there would remove the {', '.join(lost)} outputs: "
                              f"give another --out, or run 'geo run'")


def is_own(folder: Path) -> bool:
    """Whether ``folder`` was published by this tool (its marker, or an earlier run's manifest)."""
    if (folder / MARKER).is_file():
        return True
    manifest = folder / "manifest.json"
    try:
        return "stage_seconds" in json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        pass
    # Map folders of earlier versions had no marker: every file one of this tool's map pages.
    files = list(folder.iterdir())
    return bool(files) and all(p.suffix == ".html" and p.is_file() and _is_own_map(p) for p in files)


def _is_own_map(page: Path) -> bool:
    try:
        with page.open(encoding="utf-8", errors="replace") as f:
            return "/* hubmap.js */" in f.read()
    except OSError:
        return False


def _earlier_stages(folder: Path) -> list[str]:
    for name in (MARKER, "manifest.json"):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        stages = data.get("stages") or list(data.get("stage_seconds", {}))
        if stages:
            return list(stages)
    return []


def staging_dir(final: Path, *, info: dict | None = None) -> Path:
    """A fresh hidden sibling of ``final`` to write into (``.<name>.tmp-<id>``), carrying the
    tool's marker (with the writer's pid, so a later run can tell a stale one)."""
    final = Path(final)
    _guard(final.parent.mkdir, final.parent, parents=True, exist_ok=True)
    clean_stale(final)
    tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    _guard(tmp.mkdir, tmp)
    write_json({"tool": "geo", "pid": os.getpid(), **(info or {})}, tmp / MARKER)
    return tmp


def clean_stale(final: Path) -> list[Path]:
    """Remove the tool's own leftovers beside ``final`` from runs that died: staging folders
    (``.<name>.tmp-*``) and superseded outputs (``.<name>.old-*``) whose process is gone. If a
    run died between the two renames of a publish, ``final`` is missing and its previous
    version is put back first. Folders without the tool's marker are never touched."""
    final = Path(final)
    removed = []
    if not final.parent.is_dir():
        return removed
    for p in sorted(final.parent.iterdir()):
        m = _OWN_TEMP.match(p.name)
        if not m or m["name"] != final.name or not p.is_dir() or not is_own(p):
            continue
        try:
            pid = json.loads((p / MARKER).read_text(encoding="utf-8")).get("pid")
        except (OSError, ValueError):
            pid = None
        if m["kind"] == "tmp" and _alive(pid):
            continue
        if m["kind"] == "old" and not final.exists():
            os.replace(p, final)  # an interrupted publish: the previous complete output returns
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(tmp: Path, final: Path, *, info: dict | None = None) -> None:
    """Put the finished folder ``tmp`` at ``final``; its marker is rewritten with ``info``
    (no pid, so reruns stay byte-identical).

    On Linux the two folders are exchanged atomically (``renameat2(RENAME_EXCHANGE)``), so the
    path always holds either the previous complete output or the new one. Elsewhere two renames
    are used, and :func:`clean_stale` puts the previous output back if a run dies between them.
    """
    tmp, final = Path(tmp), Path(final)
    check_targets(final)  # checked before the run too; the folder may have changed since
    write_json({"tool": "geo", **(info or {})}, tmp / MARKER)
    if final.exists() and _exchange(tmp, final):
        shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous output
        return
    old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
    if final.exists():
        _guard(os.replace, final, final, old)
    _guard(os.replace, final, tmp, final)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ≥ 3.15); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def discard(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def locked(*folders: Path):
    """Hold ``.<name>.lock`` beside each output folder for the duration of a run.

    The lock file holds the pid of its run; a lock whose process is gone is stale and taken
    over. If another live run holds one, :class:`~geo.errors.OutputError` says so.
    """
    taken = []
    try:
        for folder in folders:
            folder = Path(folder)
            _guard(folder.parent.mkdir, folder.parent, parents=True, exist_ok=True)
            lock = folder.parent / f".{folder.name}.lock"
            for _ in range(2):
                try:
                    fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    try:
                        pid = int(lock.read_text().strip() or 0)
                    except (OSError, ValueError):
                        pid = 0
                    if _alive(pid):
                        raise OutputError(f"another run (pid {pid}) is writing {folder}; wait for it to finish, "
                                          f"or give another --out") from None
                    lock.unlink(missing_ok=True)  # stale: its run is gone
                    continue
                except OSError as err:
                    raise OutputError(f"cannot write {lock.parent}: {err.strerror}") from None
                with os.fdopen(fd, "w") as f:
                    f.write(str(os.getpid()))
                taken.append(lock)
                break
        yield
    finally:
        for lock in taken:
            lock.unlink(missing_ok=True)


def _guard(fn, path, *args, **kw):
    """Call ``fn``; an OSError (permission, read-only, disk full) becomes one line naming ``path``."""
    try:
        return fn(*args, **kw) if args else fn(**kw)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None


# A cell starting with one of these is run as a formula by Excel/LibreOffice (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value):
    """``value`` made inert for a spreadsheet: text that a spreadsheet would read as a formula
    gets a leading ``'``; numbers and other values are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _inert(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, index and headers cannot run as formulas."""
    text = [c for c in df.columns if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype)]
    out = df.copy(deep=False)
    for c in text:
        col = df[c]
        if isinstance(col.dtype, pd.StringDtype):  # test the whole column at once, change only the hits
            hit = col.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
            if hit.any():
                out[c] = col.where(~hit, "'" + col)
        else:
            out[c] = col.map(spreadsheet_text)
    if out.index.dtype == object:
        out.index = out.index.map(spreadsheet_text)
    return out.rename(columns=lambda c: spreadsheet_text(c) if isinstance(c, str) else c)


def write_csv(df: pd.DataFrame, path: Path, *, index: bool = True) -> Path:
    """A table for people: ``utf-8-sig``, ``\\n`` line ends, fixed float format, and text that a
    spreadsheet would run as a formula neutralised (:func:`spreadsheet_text`)."""
    _inert(df).to_csv(path, index=index, encoding="utf-8-sig", lineterminator="\n", float_format="%.10g")
    return path


def write_json(obj, path: Path) -> Path:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def write_text(text: str, path: Path, *, encoding: str = "utf-8") -> Path:
    """A text file (an HTML page, a data table kept in its own format)."""
    Path(path).write_text(text, encoding=encoding)
    return Path(path)


def write_png(fig, path: Path, *, dpi: int = 130) -> Path:
    """A matplotlib figure as PNG on a white background, cropped to its content."""
    fig.savefig(path, dpi=dpi, bbox_inches="tight", facecolor="white")
    return Path(path)


# Outputs carry no run time (it is in manifest.json), so reruns are byte-identical.
FIXED_TIME = datetime.datetime(2000, 1, 1)


def write_workbook(wb, path: Path) -> Path:
    """Save an openpyxl workbook dated :data:`FIXED_TIME` (its properties and every zip
    member; openpyxl stamps "modified" into docProps/core.xml on save)."""
    import zipfile

    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            info.date_time = FIXED_TIME.timetuple()[:6]
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), data)
            z.writestr(info, data)
    return Path(path)


def reproducible_pdf(path: Path) -> Path:
    """Make a chromium PDF reproducible, every edit keeping the byte length (so the
    cross-reference offsets stay valid): /CreationDate and /ModDate become FIXED_TIME, and the
    tagged-PDF element ids (``(node00000058)``: DOM node numbers, which vary between browser
    runs) are renumbered 1, 2, … in their numeric order, which keeps the id tree sorted."""
    data = Path(path).read_bytes()
    stamp = FIXED_TIME.strftime("(D:%Y%m%d%H%M%S+00'00')").encode()
    data = re.sub(rb"\(D:\d{14}\+00'00'\)", stamp, data)
    ids = sorted({int(m) for m in re.findall(rb"\(node(\d{8})\)", data)})
    new = {old: f"{i:08d}".encode() for i, old in enumerate(ids, start=1)}
    data = re.sub(rb"\(node(\d{8})\)", lambda m: b"(node" + new[int(m.group(1))] + b")", data)
    Path(path).write_bytes(data)
    return Path(path)


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write several layers into one GeoPackage (index written as a column).

    GDAL stamps the write time into ``gpkg_contents``; OGR_CURRENT_DATE fixes it so that
    reruns are byte-identical (the run time is in manifest.json).
    """
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})
    for name, gdf in layers.items():
        gdf.reset_index().to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    styles = {}
    if "regions" in layers and "score" in layers["regions"]:
        styles["regions"] = qml_score_choropleth(layers["regions"]["score"])
    if "hub_spokes" in layers:
        styles["hub_spokes"] = QML_SPOKES
    if styles:
        write_gpkg_styles(path, styles)
    return path


# The maps' score palette (ColorBrewer YlGnBu, 5 classes; geo.maps.PALETTES["YlGnBu"]).
SCORE_COLORS = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
_QML_HEAD = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.28\" styleCategories=\"Symbology|Labeling\">\n"


def _rgba(hex_color: str, alpha: int = 255) -> str:
    h = hex_color.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def qml_score_choropleth(score: pd.Series, *, label_field: str = "name_ko") -> str:
    """A QGIS style (QML) for the regions layer: the overall score in the maps' five quantile
    classes and colours, white borders, region names as labels."""
    import html as _html

    import numpy as np

    v = pd.to_numeric(score, errors="coerce").dropna().to_numpy(dtype=float)
    breaks = np.unique(np.quantile(v, np.linspace(0, 1, len(SCORE_COLORS) + 1))) if v.size else np.array([0.0, 100.0])
    if breaks.size == 1:
        breaks = np.array([breaks[0], breaks[0]])
    ranges, symbols = [], []
    for i, (lo, hi) in enumerate(zip(breaks[:-1], breaks[1:])):
        color = SCORE_COLORS[min(i, len(SCORE_COLORS) - 1)]
        ranges.append(f'   <range lower="{lo:.6f}" upper="{hi:.6f}" symbol="{i}" label="{lo:.1f} – {hi:.1f}" render="true"/>')
        symbols.append(
            f'   <symbol type="fill" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">\n'
            f'    <layer class="SimpleFill" pass="0" locked="0" enabled="1">\n'
            f'     <prop k="color" v="{_rgba(color)}"/><prop k="style" v="solid"/>\n'
            f'     <prop k="outline_color" v="255,255,255,255"/><prop k="outline_style" v="solid"/>\n'
            f'     <prop k="outline_width" v="0.2"/><prop k="outline_width_unit" v="MM"/>\n'
            f'    </layer>\n   </symbol>')
    field = _html.escape(label_field, quote=True)
    return (_QML_HEAD
            + ' <renderer-v2 type="graduatedSymbol" attr="score" graduatedMethod="GraduatedColor" symbollevels="0"'
              ' enableorderby="0" forceraster="0">\n  <ranges>\n' + "\n".join(ranges) + "\n  </ranges>\n"
            + "  <symbols>\n" + "\n".join(symbols) + "\n  </symbols>\n"
              '  <mode name="quantile"/>\n </renderer-v2>\n'
            + ' <labeling type="simple">\n  <settings calloutType="simple">\n'
              f'   <text-style fieldName="{field}" isExpression="0" fontSize="7" textColor="40,40,40,255"/>\n'
              '   <text-buffer bufferDraw="1" bufferSize="0.6" bufferColor="255,255,255,255"/>\n'
              '   <placement placement="0"/>\n  </settings>\n </labeling>\n</qgis>\n')


# Hub → spoke lines as in the maps (thin dark lines), with a gold star at each line's first
# vertex: the hub.
QML_SPOKES = (_QML_HEAD + """ <renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" forceraster="0">
  <symbols>
   <symbol type="line" name="0" alpha="0.9" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleLine" pass="0" locked="0" enabled="1">
     <prop k="line_color" v="27,27,27,255"/><prop k="line_style" v="solid"/>
     <prop k="line_width" v="0.35"/><prop k="line_width_unit" v="MM"/>
    </layer>
    <layer class="MarkerLine" pass="0" locked="0" enabled="1">
     <prop k="placement" v="firstvertex"/><prop k="rotate" v="0"/>
     <symbol type="marker" name="@0@1" alpha="1" clip_to_extent="1" force_rhr="0">
      <layer class="SimpleMarker" pass="0" locked="0" enabled="1">
       <prop k="name" v="star"/><prop k="color" v="255,210,31,255"/>
       <prop k="outline_color" v="35,35,35,255"/><prop k="outline_width" v="0.3"/>
       <prop k="size" v="5"/><prop k="size_unit" v="MM"/>
      </layer>
     </symbol>
    </layer>
   </symbol>
  </symbols>
 </renderer-v2>
</qgis>
""")


def write_gpkg_styles(path: Path, styles: dict[str, str]) -> None:
    """Store QGIS styles (QML) in a GeoPackage's ``layer_styles`` table, the table QGIS reads
    when it opens a layer: each layer opens styled (its default style).

    The table is registered in ``gpkg_contents`` as attributes, as QGIS does; times are fixed
    so that reruns stay byte-identical.
    """
    import sqlite3

    stamp = "2000-01-01T00:00:00.000Z"
    con = sqlite3.connect(path)
    try:
        geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        con.execute("""CREATE TABLE IF NOT EXISTS layer_styles (
            id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
            f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
            styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
            update_time DATETIME DEFAULT CURRENT_TIMESTAMP)""")
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, last_change) "
                    "VALUES ('layer_styles', 'attributes', 'layer_styles', ?)", (stamp,))
        for name in sorted(styles):
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (name,))
            con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                        "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                        "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '', ?)",
                        (name, geom.get(name, "geom"), name, styles[name], f"geo: {name} as in the maps", stamp))
        con.commit()
    finally:
        con.close()


def progress(**kw):
    """A tqdm progress bar on an interactive terminal; silent in CI, logs and files.

    tqdm's plain text bar: the notebook widget bar needs ipywidgets and warns without it."""
    from tqdm import tqdm

    quiet = not sys.stderr.isatty() or bool(os.environ.get("CI"))
    return tqdm(disable=quiet, leave=False, **kw)


class StageLog:
    """Each stage's start and end on stderr: a progress bar on a terminal, plain lines
    otherwise (logs, CI, notebooks). Use :func:`stage_log`."""

    def __init__(self, names: list[str], desc: str, stream=None):
        self.desc, self.n, self.i = desc, len(names), 0
        self.stream = stream or sys.stderr
        self.bar = None
        self.at: dict[str, int] = {}  # stage -> its number (a stage may end after the next one started)
        if self.stream.isatty() and not os.environ.get("CI"):
            from tqdm import tqdm

            self.bar = tqdm(total=self.n, desc=desc, unit="stage", leave=False, file=self.stream)

    def start(self, name: str) -> None:
        self.i += 1
        self.at[name] = self.i
        if self.bar is not None:
            self.bar.set_postfix_str(name)
        else:
            print(f"{self.desc}: [{self.i}/{self.n}] {name} ...", file=self.stream, flush=True)

    def done(self, name: str, seconds: float, *, cached: bool = False) -> None:
        how = "reused from an earlier run" if cached else f"{seconds:.1f} s"
        if self.bar is not None:
            self.bar.update()
            self.bar.write(f"{self.desc}: {name} done ({how})", file=self.stream)
        else:
            print(f"{self.desc}: [{self.at.get(name, self.i)}/{self.n}] {name} done ({how})", file=self.stream,
                  flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def stage_log(names: list[str], *, desc: str, stream=None):
    """Context manager giving a :class:`StageLog` for the stages ``names``."""
    log = StageLog(list(names), desc, stream)
    try:
        yield log
    finally:
        log.close()
