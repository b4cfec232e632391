"""The example notebooks, executed for real with nbclient and an IPython kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def execute(name: str):
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    return notebook


def outputs(notebook) -> list[dict]:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


def text_of(notebook) -> str:
    return "".join(o.get("text", "") for o in outputs(notebook))


def test_lecture_notebook():
    nb = execute("lecture.ipynb")
    assert "-14 [-3, -4, 3]" in text_of(nb)
    assert "0.73 {'w0': -0.2, 'w1': -0.39, 'w2': 0.2, 'x0': 0.39, 'x1': -0.59}" in text_of(nb)
    rich = [o["data"] for o in outputs(nb) if o.get("output_type") == "execute_result"]
    assert any("image/svg+xml" in d and "<svg" in d["image/svg+xml"] for d in rich)  # the graph
    assert any("<svg" in d.get("text/html", "") and "<td>-14</td>" in d.get("text/html", "") for d in rich)
    assert any("\\begin{aligned}" in d.get("text/latex", "") and "chain rule" in d.get("text/latex", "")
               for d in rich)  # derivations typeset
    assert any("The chain rule with partial derivatives" in d.get("text/markdown", "") for d in rich)
    assert "def forward_backward(x, y, z):" in text_of(nb)


def test_grading_notebook():
    nb = execute("grading.ipynb")
    rich = [o["data"] for o in outputs(nb) if o.get("output_type") == "execute_result"]
    html = [d.get("text/html", "") for d in rich]
    assert any(">correct</b>" in h for h in html)
    assert any(">incorrect</b>" in h and "inner derivative" in h for h in html)
    assert "correct (\"'xe' is not a name here: read as x*e\",)" in text_of(nb)
    assert "ada 7 of 7" in text_of(nb) and "carol 5 of 5" in text_of(nb)


def test_without_graphviz_objects_say_how_to_get_pictures(monkeypatch):
    import symgrad.draw

    monkeypatch.setattr(symgrad.draw, "have_graphviz", lambda: False)
    s = __import__("symgrad").solve("x*y", {"x": 2, "y": 3})
    assert s._repr_svg_() is None
    assert "install Graphviz" in s._repr_html_()
    assert "\\begin{tabular}" in s._repr_latex_()
