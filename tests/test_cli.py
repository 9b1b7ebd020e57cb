"""The command line as a user meets it: help with examples, one-line errors, exit codes."""

import subprocess
import sys
from pathlib import Path

import pytest

from geo.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", [c[0] for c in COMMANDS])
def test_every_help_ends_with_an_example(name, capsys):
    with pytest.raises(SystemExit) as e:
        main([name, "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out.rstrip()
    assert out.splitlines()[-2].strip() == "example:"
    assert out.splitlines()[-1].strip().startswith("python -m geo " + name)


def test_top_level_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    assert all(c[0] in out for c in COMMANDS)


def test_user_error_is_one_line_exit_2_no_traceback(tmp_path):
    p = subprocess.run([sys.executable, "-m", "geo", "run", "--scenario", str(tmp_path / "nope.yaml")],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nope.yaml" in lines[0]


def test_catalogue_command_ok(capsys):
    assert main(["catalogue"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out


def test_translate_hint_names_the_option_and_english_names_work(capsys):
    assert main(["translate", "중구", "Changwon", "Buk-gu Busan", "북구 부산"]) == 1  # 중구 is ambiguous
    out = capsys.readouterr().out
    rows = {line.split(",")[0]: line for line in out.splitlines()[1:]}
    assert "pass --sido" in rows["중구"] and "sido=" not in rows["중구"]
    assert rows["Changwon"].startswith("Changwon,38110,")
    assert rows["Buk-gu Busan"].startswith("Buk-gu Busan,21080,") and rows["북구 부산"].startswith("북구 부산,21080,")


def test_stage_log_prints_plain_lines_off_a_terminal():
    import io as _io

    from geo import io

    buf = _io.StringIO()
    with io.stage_log(["regions", "indicators"], desc="demo", stream=buf) as log:
        log.start("regions")
        log.done("regions", 1.25)
        log.start("indicators")
        log.done("indicators", 0.0, cached=True)
    assert buf.getvalue().splitlines() == ["demo: [1/2] regions ...", "demo: [1/2] regions done (1.2 s)",
                                           "demo: [2/2] indicators ...",
                                           "demo: [2/2] indicators done (reused from an earlier run)"]


def test_run_summary_comes_from_the_result(tmp_path, monkeypatch, capsys):
    """The summary is printed from the run's result: no output file is read back (the
    folders named here do not exist)."""
    import pandas as pd

    from geo import pipeline
    from geo.results import RunResult, Siting

    hubs = pd.DataFrame({"hub_rank": [1, 2], "name_ko": ["구미시", "창원시"]},
                        index=pd.Index(["37050", "38110"], name="region_code"))
    siting = Siting(hubs=hubs, assignments=pd.DataFrame(), frontier=pd.DataFrame(),
                    policy_costs=pd.DataFrame(), robustness=pd.DataFrame(), info={}, cost_unit="minutes")

    def fake_run(scenario, *, until, out, maps_dir):
        return RunResult(scenario=None, siting=siting, out=out, maps=None,
                         stages=("regions", "siting"), seconds={"regions": 1.25, "siting": 2.5})

    monkeypatch.setattr(pipeline, "run", fake_run)
    assert main(["hubs", "--out", str(tmp_path / "none"), "--maps-dir", str(tmp_path / "nomaps")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"wrote {tmp_path / 'none'}",
                     "hubs: 1. 경상북도 구미시 (37050), 2. 경상남도 창원시 (38110)",
                     "done: 2 stages in 3.8 s (regions 1.2 s, siting 2.5 s)"]
