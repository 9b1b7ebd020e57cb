"""The set-up promises: one dependency list, README commands, CI calling the test command."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONDA_NAMES: dict[str, str] = {}  # conda-forge name → PyPI name, where they differ


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


def test_wheel_installs_and_runs_outside_a_checkout(tmp_path):
    """``pip install`` of the built wheel into a fresh venv, then ``geo`` from another folder:
    the shipped data and scenarios come with the package. (The venv borrows this environment's
    third-party packages through a path file, so nothing is downloaded but the build backend.)"""
    import site
    import subprocess
    import sys
    import sysconfig

    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT), "-w", str(wheels)],
                   check=True, capture_output=True)
    [wheel] = wheels.glob("geo_hubs_kr-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    purelib = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    deps = [p for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]] if Path(p).is_dir()]
    (purelib / "borrowed_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n")  # plain paths only
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    where = subprocess.run([py, "-c", "import geo.config as c; print(c.PACKAGE, c.DATA_DIR, c.IN_CHECKOUT)"],
                           cwd=elsewhere, env=env, check=True, capture_output=True, text=True).stdout.split()
    assert where[0].startswith(str(venv)) and where[1] == str(Path(where[0]) / "_data") and where[2] == "False"
    cat = subprocess.run([venv / "bin" / "geo", "catalogue"], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert cat.returncode == 0, cat.stdout + cat.stderr
    assert re.search(r"^\d+ ok, 0 problem\(s\)$", cat.stdout.strip().splitlines()[-1])
    tr = subprocess.run([venv / "bin" / "geo", "translate", "47720"], cwd=elsewhere, env=env,
                        capture_output=True, text=True)
    assert tr.returncode == 0, tr.stderr
    assert tr.stdout.splitlines()[1].startswith("47720,37310,경상북도 군위군,")
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # nothing written where it ran
