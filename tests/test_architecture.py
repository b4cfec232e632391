"""The house: data flows one way. The engine never imports the documents layer, no module imports
itself in a circle, and grading a CSV never loads Jinja2."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "symgrad"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports() -> dict[str, set[str]]:
    """module -> the symgrad modules it imports (anywhere in the file, lazy imports too)."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("symgrad"):
                    found.add(target)
                    found.update(f"{target}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("symgrad"))
        graph[name] = found
    modules = set(graph)
    return {m: {t for t in targets if t in modules and t != m} for m, targets in graph.items()}


def test_the_engine_never_imports_the_documents_layer():
    """Layers, bottom up: the engine, symgrad.documents, symgrad.serve (the practice server), the CLI."""
    graph = imports()
    engine = [m for m in graph if not m.startswith(("symgrad.documents", "symgrad.serve")) and m not in
              ("symgrad", "symgrad.cli", "symgrad.grade", "symgrad.__main__")]
    upward = {(m, t) for m in engine for t in graph[m] if t.startswith(("symgrad.documents", "symgrad.serve"))}
    assert upward == set()
    documents = [m for m in graph if m.startswith("symgrad.documents")]
    assert {(m, t) for m in documents for t in graph[m] if t.startswith("symgrad.serve")} == set()


def test_no_import_circles():
    graph = {m: {t for t in ts if t != "symgrad"} for m, ts in imports().items() if m != "symgrad"}
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph.get(m, ())):
            if t.startswith(m + "."):
                continue  # a package's __init__ may name its own modules
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t] if t in stack else [m, t])
            elif t not in state:
                visit(t, stack + [t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_grading_a_csv_does_not_import_jinja2(tmp_path):
    rows = tmp_path / "answers.csv"
    rows.write_text("student,problem,part,answer\ns1,grad-xy,partial.x,y\n", encoding="utf-8")
    code = ("import sys; from pathlib import Path; from symgrad.cli import main; "
            f"code = main(['grade', {str(rows)!r}, '--out', {str(tmp_path / 'out.csv')!r}]); "
            "print(code, 'jinja2' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.split()[-2:] == ["0", "False"], result.stdout + result.stderr
    assert "correct" in (tmp_path / "out.csv").read_text(encoding="utf-8")
