"""Every plot shows as one image in a fresh Jupyter kernel, with and without the inline backend.

The figures are built without pyplot, so IPython's inline integration, which registers its PNG
formatter only once pyplot's backend loads, never sees them; they show through their own
``_repr_png_``. After ``%matplotlib inline`` matplotlib_inline's formatter draws them instead,
and the cell must still hold a single image rather than two. Each notebook runs in a real kernel
through nbclient; the first fits the model and saves it, the second loads it when both run.
"""

import base64

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

# each check executes a notebook in a new kernel that fits a model
pytestmark = pytest.mark.slow
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLOTS = ("fit.pp_check()", "fit.conditional_effects()", "fit.plot()", "fit.plot_ranef()",
         "fit.plot_shrinkage()", "fit.mcmc_plot()", "fit.hypothesis('Days > 5').plot()")


@pytest.fixture(scope="module")
def fit_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("sleepstudy_fit")


def _setup_cell(fit_dir) -> str:
    return f"""\
import warnings

import multilevel as ml

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # few draws: ESS warnings are expected
    fit = ml.brm("Reaction ~ Days + (Days | Subject)", data=ml.load_dataset("sleepstudy"),
                 chains=2, draws=200, warmup=200, seed=1, progressbar=False,
                 file={str(fit_dir)!r})"""


def _execute(sources: list[str], cwd) -> list:
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources])
    # the outputs are all a test reads: the kernel is stopped, not asked to exit and
    # awaited while it finalizes its objects
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     shutdown_kernel="immediate",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return notebook.cells


def _images(cell) -> list[bytes]:
    return [base64.b64decode(output["data"]["image/png"]) for output in cell.outputs
            if "image/png" in output.get("data", {})]


# The inline variant pays for a second kernel; the PNG formatter's precedence it relies on is
# also checked without a kernel in test_plots.py.
@pytest.mark.parametrize("first", [
    pytest.param([], id="fresh"),
    pytest.param(["%matplotlib inline"], id="inline"),
])
def test_every_plot_shows_as_one_image(first, fit_dir, tmp_path):
    leftover = "import matplotlib.pyplot as plt\nplt.get_fignums()"
    cells = _execute([*first, _setup_cell(fit_dir), *PLOTS, "display(fit.pp_check())",
                      leftover], tmp_path)
    cells = cells[len(first) + 1:]
    for source, cell in zip([*PLOTS, "display"], cells, strict=False):
        images = _images(cell)
        assert len(images) == 1, (source, cell.outputs)
        assert images[0].startswith(PNG_SIGNATURE), source
    for cell in cells[:len(PLOTS)]:
        assert [output["output_type"] for output in cell.outputs] == ["execute_result"]
    assert [output["output_type"] for output in cells[len(PLOTS)].outputs] == ["display_data"]
    # the figures never entered pyplot's figure list
    assert cells[-1].outputs[0]["data"]["text/plain"] == "[]"
