#!/usr/bin/env python3
"""Set-up and everyday tasks, with nothing but Python 3.11 and pip on the machine.

    python3 tasks.py run     # install what is missing, run the national scenario
    python3 tasks.py test    # install what is missing, run the whole test suite
    python3 tasks.py bench   # speed and size against the reference tools → bench/results.md
    python3 tasks.py setup   # only the install step

The install step is idempotent: a `.venv` is created if missing, pip runs only when
pyproject.toml changed since the last install, and Debian packages (headless chromium for
the map tests and the PDF report, Noto CJK fonts for Korean text, poppler for PDF checks,
LibreOffice Calc for the workbook's print test) are installed with apt-get only when missing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"
STAMP = VENV / ".installed"
DEBIAN = {  # package: a file it installs
    "chromium": "/usr/bin/chromium",
    "fonts-noto-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "poppler-utils": "/usr/bin/pdftoppm",
    "libreoffice-calc": "/usr/lib/libreoffice/program/scalc",
}


def sh(*cmd, **kw) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run(cmd, check=True, **kw)


def setup() -> None:
    if not PY.exists():
        sh(sys.executable, "-m", "venv", VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != want:
        sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(PY, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]")
        STAMP.write_text(want)
    if not list((ROOT / "geo" / "__pycache__").glob("kernels.*.nbi")):
        # the solver's compiled loops, compiled once here rather than in the first run
        sh(PY, "-c", "from geo.kernels import warm; warm()")
    missing = [pkg for pkg, path in DEBIAN.items() if not Path(path).exists()]
    if missing:
        if os.geteuid() != 0 and not shutil.which("sudo"):
            sys.exit(f"missing Debian packages {missing}: install them with apt-get as root")
        pre = [] if os.geteuid() == 0 else ["sudo"]
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        sh(*pre, "apt-get", "update", "-qq", env=env)
        sh(*pre, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "help"
    if task not in {"setup", "run", "test", "bench"}:
        print(__doc__)
        return 0 if task == "help" else 2
    setup()
    rest = argv[1:]
    if task == "run":
        return subprocess.call([PY, "-m", "geo", "run", "--scenario", "data/scenarios/national.yaml", *rest], cwd=ROOT)
    if task == "test":
        return subprocess.call([PY, "-m", "pytest", "-q", *rest], cwd=ROOT)
    if task == "bench":
        return subprocess.call([PY, "-m", "bench", *rest], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
