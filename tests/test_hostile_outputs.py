"""Hostile text and hostile output folders (the bad-input corpus, output side).

Text from a scenario or a data file is data: it is never rendered as a template and never
written as a live spreadsheet formula. Output folders: the tool only ever replaces what it
made, publishes crash-safely, and says so in one line (exit 2) when it may not write.
Every message is asserted exactly. (The national scenario with these payloads in every text
field runs end to end in test_pipeline.py, on the runs that check the run contract.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geo import io, maps, pipeline
from geo.errors import OutputError
from geo.regions import load_units
from payloads import FORMULAS, JINJA, rce

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "data" / "scenarios" / "national.yaml"


def cli(*args, cwd=ROOT, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geo", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env=env)


# --------------------------------------------------------------------------- text never runs


def test_map_text_is_never_a_template(tmp_path):
    """Every text that reaches a map — title, layer labels, units, sources, region names,
    attributions — arrives verbatim, and nothing in it runs or breaks the page."""
    marker = tmp_path / "pwned"
    units = load_units()
    units = units[units["sido_code"] == "11"].copy()  # Seoul's 25 구: small and quick
    units["score"] = np.linspace(0, 100, len(units))  # obviously synthetic
    units["need"] = units["score"][::-1].to_numpy()
    units.loc[units.index[0], "name_ko"] = JINJA[0] + " " + JINJA[1]
    meta = pd.DataFrame({"label_ko": [JINJA[2]], "label_en": [rce(marker)], "unit": ["{#"],
                         "source": [FORMULAS[0]]}, index=pd.Index(["need"], name="id"))
    title = f"{JINJA[1]} · {rce(marker)}"
    [page] = maps.build_maps(units, hubs=None, assignments=None, assets={}, indicator_metadata=meta,
                             attributions=["{{ 8*8 }}"], out_dir=tmp_path / "maps", title=title,
                             pillar_maps=False)
    text = page.read_text(encoding="utf-8")
    for s in JINJA + ["{{ 8*8 }}", "popen('touch"]:
        assert s in text, s
    assert not marker.exists()
    assert "XXX" not in text and ">49<" not in text


def test_spreadsheet_cells_are_never_formulas(tmp_path):
    from geo.report import write_workbook

    df = pd.DataFrame({"region_code": ["11010", "11020"] + ["11030"] * (len(FORMULAS) - 2),
                       "label": FORMULAS, "value": np.arange(len(FORMULAS)) - 3.5})
    io.write_csv(df, tmp_path / "t.csv", index=False)
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["label"].tolist()[:5] == ["'" + f for f in FORMULAS[:5]]
    assert back["value"].tolist()[:2] == ["-3.5", "-2.5"]  # numbers stay numbers
    write_workbook(tmp_path / "t.xlsx", {"Sheet": df})
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx").active
    cells = [c for row in ws.iter_rows(min_row=3) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    labels = [ws.cell(r, 2) for r in range(3, 3 + len(FORMULAS))]
    # (XML reads a stored CR back as LF)
    assert [c.value for c in labels[:-1]] == FORMULAS[:-1] and all(c.quotePrefix for c in labels)
    assert [ws.cell(r, 3).value for r in (3, 4)] == [-3.5, -2.5] and ws.cell(3, 3).data_type == "n"


def test_io_spreadsheet_text():
    assert io.spreadsheet_text("=1+1") == "'=1+1"
    assert io.spreadsheet_text("안산시") == "안산시"
    assert io.spreadsheet_text(-3) == -3


# --------------------------------------------------------------------------- output folders


def test_user_folder_is_never_replaced(tmp_path):
    docs = tmp_path / "Documents"
    docs.mkdir()
    (docs / "budget.xlsx").write_bytes(b"mine")
    done = cli("regions", "--out", docs, "--maps-dir", tmp_path / "m")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == (f"error: --out {docs} is a folder of other files, not an earlier output of this tool; "
                           "nothing was changed: give a new or empty folder\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Documents"]
    assert (docs / "budget.xlsx").read_bytes() == b"mine"


@pytest.mark.parametrize("case", ["file", "same", "nested_maps", "nested_out"])
def test_bad_targets_refused_before_any_work(tmp_path, case):
    f = tmp_path / "report.docx"
    f.write_bytes(b"mine")
    a = tmp_path / "a"
    args, message = {
        "file": (("--out", f, "--maps-dir", a), f"--out {f} is a file, not a folder; give a folder path"),
        "same": (("--out", a, "--maps-dir", a),
                 f"--out {a} and --maps-dir {a} must be separate folders, neither inside the other "
                 "(publishing one would replace the other)"),
        "nested_maps": (("--out", a, "--maps-dir", a / "maps"),
                        f"--out {a} and --maps-dir {a / 'maps'} must be separate folders, neither inside the "
                        "other (publishing one would replace the other)"),
        "nested_out": (("--out", a / "out", "--maps-dir", a),
                       f"--out {a / 'out'} and --maps-dir {a} must be separate folders, neither inside the "
                       "other (publishing one would replace the other)"),
    }[case]
    done = cli("regions", *args)
    assert (done.returncode, done.stderr) == (2, f"error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.docx"] and f.read_bytes() == b"mine"


def _fake_run(folder: Path, stages: list[str]) -> None:
    """A folder as an earlier run leaves it (synthetic content, the real marker format)."""
    folder.mkdir(parents=True)
    (folder / "scores.csv").write_text("synthetic\n")
    io.write_json({"tool": "geo", "kind": "outputs", "stages": stages}, folder / io.MARKER)


def test_single_stage_never_replaces_a_complete_run(tmp_path):
    out = tmp_path / "out"
    _fake_run(out, pipeline.STAGES)
    with pytest.raises(OutputError) as err:
        io.check_targets(out, tmp_path / "maps", stages=pipeline.STAGES[:1], replace_maps=False)
    assert str(err.value) == (f"{out} holds a run up to the report stage; writing only 'regions' there would "
                              "remove the indicators, network, scoring, siting, plan, maps, report outputs: give another "
                              "--out, or run 'geo run'")
    io.check_targets(out, tmp_path / "maps", stages=pipeline.STAGES)  # a full run may replace it
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    io.write_json({"scenario_file": "x.yaml", "stage_seconds": {"regions": 1.0}}, earlier / "manifest.json")
    assert io.is_own(earlier)  # outputs of versions before the marker: their manifest


def test_regions_stage_republishes_its_own_folder(tmp_path):
    out, m = tmp_path / "out", tmp_path / "maps"
    for _ in range(2):
        assert pipeline.run(NATIONAL, until="regions", out=out, maps_dir=m).out == out
    assert sorted(p.name for p in out.iterdir()) == [io.MARKER, "manifest.json", "regions.gpkg",
                                                     "scenario.resolved.json"]
    assert json.loads((out / io.MARKER).read_text()) == {"tool": "geo", "scenario": "national",
                                                         "stages": ["regions"], "kind": "outputs"}
    assert not m.exists()  # no maps stage: the maps folder is not made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporaries, no lock left


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temporaries_are_cleaned_and_an_interrupted_publish_restored(tmp_path):
    final = tmp_path / "out"
    dead, alive = _dead_pid(), os.getppid()
    stale = tmp_path / ".out.tmp-0123abcd"
    running = tmp_path / ".out.tmp-89abcdef"
    old = tmp_path / ".out.old-00000000"
    foreign = tmp_path / ".out.tmp-ffffffff"  # the same name pattern, but not the tool's
    for d, pid in ((stale, dead), (running, alive), (old, dead)):
        d.mkdir()
        io.write_json({"tool": "geo", "pid": pid}, d / io.MARKER)
    (old / "scores.csv").write_text("previous complete run\n")
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    removed = io.clean_stale(final)
    assert removed == [stale]
    assert (final / "scores.csv").read_text() == "previous complete run\n"  # put back at the published path
    assert running.exists() and (foreign / "notes.txt").read_text() == "mine" and not old.exists()


def test_publish_swaps_atomically(tmp_path):
    final = tmp_path / "out"
    _fake_run(final, ["regions"])
    tmp = io.staging_dir(final)
    (tmp / "scores.csv").write_text("new\n")
    io.publish(tmp, final, info={"stages": ["regions"]})
    assert (final / "scores.csv").read_text() == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_lock_held_by_a_live_run_and_stale_lock_recovered(tmp_path):
    out = tmp_path / "out"
    lock = tmp_path / ".out.lock"
    lock.write_text(str(os.getppid()))  # a live process holds it
    with pytest.raises(OutputError) as err, io.locked(out):
        pass
    assert str(err.value) == (f"another run (pid {os.getppid()}) is writing {out}; wait for it to finish, "
                              "or give another --out")
    lock.write_text(str(_dead_pid()))
    with io.locked(out):
        assert lock.read_text() == str(os.getpid())
    assert not lock.exists()


def test_two_runs_publishing_at_once_do_not_crash_or_lose_both(tmp_path):
    out, m = tmp_path / "out", tmp_path / "maps"
    procs = [subprocess.Popen([sys.executable, "-m", "geo", "regions", "--out", str(out), "--maps-dir", str(m)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(), p.communicate()[1]) for p in procs]
    assert sorted(rc for rc, _ in results) in ([0, 0], [0, 2])
    for rc, err in results:
        assert rc == 0 or err.startswith("error: another run (pid ")
    assert (out / "regions.gpkg").exists() and io.is_own(out)


def test_disk_full_is_one_line_and_keeps_previous_outputs(tmp_path, monkeypatch):
    out, m = tmp_path / "out", tmp_path / "maps"
    pipeline.run(NATIONAL, until="regions", out=out, maps_dir=m)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full(*args, **kw):
        raise OSError(28, "No space left on device", str(args[1]))

    monkeypatch.setattr(io, "write_gpkg", full)
    with pytest.raises(OutputError) as err:
        pipeline.run(NATIONAL, until="regions", out=out, maps_dir=m)
    assert str(err.value).startswith(f"cannot write {tmp_path}/.out.tmp-")
    assert str(err.value).endswith("regions.gpkg: No space left on device")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_unwritable_target_is_one_line():
    done = cli("regions", "--out", "/proc/geo-outputs", "--maps-dir", "/proc/geo-maps")
    assert done.returncode == 2 and done.stderr.startswith("error: cannot write /proc")
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
