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
