"""The tutorials in docs/tutorials run from a fresh clone, each in a fresh kernel, quietly.

Every code cell runs without error and writes nothing to stderr (no warnings, log lines or
progress bars); only cells that call ``print`` write to stdout; and every plotting call shows
as one PNG image, with no ``%matplotlib`` anywhere. The kernel is the one
test_notebook_display.py starts.
"""

import ast
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from test_notebook_display import PNG_SIGNATURE, _execute, _images  # noqa: E402

# each notebook starts a kernel of its own and fits up to three models: they share nothing
pytestmark = [pytest.mark.slow, pytest.mark.independent]
TUTORIALS = sorted((Path(__file__).parents[1] / "docs" / "tutorials").glob("*.ipynb"))
# the fit's plotting methods, each returning one figure
PLOT_CALL = re.compile(r"\.(pp_check|conditional_effects|plot|plot_ranef|plot_shrinkage)\(")


def _code_sources(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def _calls_print(source: str) -> bool:
    return any(isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
               for node in ast.walk(ast.parse(source)))


def _stream(cell, name: str) -> str:
    return "".join(output["text"] for output in cell.outputs
                   if output["output_type"] == "stream" and output["name"] == name)


def test_the_tutorials_are_there():
    assert len(TUTORIALS) >= 8, TUTORIALS


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda path: path.stem)
def test_tutorial_runs_quietly_and_shows_its_plots(path, tmp_path):
    sources = _code_sources(path)
    assert not [source for source in sources if "%matplotlib" in source]
    # from a directory of its own, so that nothing it reads can come from docs/
    cells = _execute(sources, tmp_path)
    plots = 0
    for source, cell in zip(sources, cells, strict=True):
        assert _stream(cell, "stderr") == "", (source, _stream(cell, "stderr"))
        if not _calls_print(source):
            assert _stream(cell, "stdout") == "", (source, _stream(cell, "stdout"))
        calls = len(PLOT_CALL.findall(source))
        images = _images(cell)
        assert len(images) == calls, (source, cell.outputs)
        assert all(image.startswith(PNG_SIGNATURE) for image in images), source
        plots += calls
    assert plots > 0, f"{path.name} shows no plot"
