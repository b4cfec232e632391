"""symgrad: teach and test the chain rule and backpropagation.

>>> from symgrad import solve
>>> s = solve("(x + y)*z + x", at={"x": -2, "y": 5, "z": -4})
>>> s.value("f").exact, [s.grad(n).exact for n in ("x", "y", "z")]
(-14, [-3, -4, 3])
"""

from .errors import EvaluationError, LimitError, ParseError, ProgramError, StagingError, SymgradError
from .functions import relu, sigmoid
from .graph import Graph, Stage, stage_expression, stage_program
from .numeric import Check, check
from .parsing import Limits, parse, parse_program
from .passes import Passes, Value, run, symbolic_gradient
from .solve import Solution, solve, to_graph

__all__ = [
    "Check", "EvaluationError", "Graph", "LimitError", "Limits", "ParseError", "Passes", "ProgramError",
    "Solution", "Stage", "StagingError", "SymgradError", "Value", "check", "parse", "parse_program",
    "relu", "run", "sigmoid", "solve", "stage_expression", "stage_program", "symbolic_gradient", "to_graph",
]
