"""The set-up promises: one dependency list, README commands, CI calling the test command."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES = {"python-igraph": "igraph"}  # conda-forge name → PyPI name


def _name(req: str) -> str:
    return re.split(r"[<>=!~ ]", req.strip(), maxsplit=1)[0].lower()


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_deps = {_name(d) for d in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = set()
    for d in env["dependencies"]:
        items = d["pip"] if isinstance(d, dict) else [d]
        conda |= {CONDA_NAMES.get(_name(i), _name(i)) for i in items}
    assert conda - {"python", "pip"} == pip_deps


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme, flags=re.S)
    assert blocks[0].strip().splitlines() == ["python3 tasks.py run", "python3 tasks.py test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 tasks.py test" in ci


def test_every_cli_command_is_documented_in_readme():
    from geo.cli import COMMANDS

    readme = (ROOT / "README.md").read_text()
    missing = [c[0] for c in COMMANDS if f"python -m geo {c[0]}" not in readme]
    assert not missing
