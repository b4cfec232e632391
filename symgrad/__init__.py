"""symgrad: teach and test the chain rule and backpropagation.

The public API: ``solve`` (stage, forward and backward passes), ``differentiate`` (step-by-step
derivations), ``check`` / ``check_matrix`` (answers), ``load_problem`` / ``load_bank`` / ``view`` / ``render``
(the problem bank and its documents), ``symgrad.nets`` (networks). In Jupyter, solutions, derivations,
verdicts and problems display themselves (graph, typeset steps, feedback).

>>> from symgrad import solve
>>> s = solve("(x + y)*z + x", at={"x": -2, "y": 5, "z": -4})
>>> s.value("f").exact, [s.grad(n).exact for n in ("x", "y", "z")]
(-14, [-3, -4, 3])
"""

from .check import Context, Tolerance, Verdict, check
from .errors import EvaluationError, LimitError, ParseError, ProgramError, StagingError, SymgradError
from .functions import relu, sigmoid
from .graph import Graph, Stage, stage_expression, stage_program
from .matrix_check import MatrixContext, check_matrix
from .numeric import Check
from .numeric import check as numeric_check
from .parsing import Limits, parse, parse_program
from .passes import Passes, Value, run, symbolic_gradient
from .solve import Solution, solve, to_graph
from .steps import Derivation, differentiate


def __getattr__(name: str):
    """render and write load Jinja2 only when a document is made, and the bank (PyYAML) only when a
    problem is loaded: grading with symgrad.keyfile never needs either."""
    if name in ("Problem", "load_bank", "load_problem"):
        from .documents import bank

        return getattr(bank, name)
    if name in ("render", "write"):
        from .documents import render as documents

        return getattr(documents, name)
    if name == "view":
        from .documents.views import view

        return view
    raise AttributeError(f"module 'symgrad' has no attribute {name!r}")

__all__ = [
    "Context", "Derivation", "MatrixContext", "Problem", "Tolerance", "Verdict", "check_matrix", "differentiate",
    "load_bank", "load_problem", "numeric_check", "render", "view", "write",
    "Check", "EvaluationError", "Graph", "LimitError", "Limits", "ParseError", "Passes", "ProgramError",
    "Solution", "Stage", "StagingError", "SymgradError", "Value", "check", "parse", "parse_program",
    "relu", "run", "sigmoid", "solve", "stage_expression", "stage_program", "symbolic_gradient", "to_graph",
]
