"""graphgrad's engine: scalar reverse-mode automatic differentiation.

    from autograd import Value
    x = Value(2.0, label="x")
    y = (x * x + 1).tanh()
    y.backward()          # x.grad is now dy/dx
"""

from . import gmath
from .anomaly import AnomalyError, detect_anomaly
from .check import GradcheckError, gradcheck, numeric_gradient
from .engine import is_grad_enabled, no_grad, topological_order
from .extend import primitive, unary_functions
from .functional import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .ops import PRIMITIVES, Kind, Op, derivative_table, primitives
from .stepper import BackwardStepper, backward_steps
from .trace import Program, TraceError, trace
from .value import Value, add_n, dot, gradients, logsumexp
from .viz import DrawOptions, draw_dot

__all__ = [
    "Value",
    "no_grad",
    "is_grad_enabled",
    "gradients",
    "grad",
    "value_and_grad",
    "jacobian",
    "hessian",
    "jvp",
    "vjp",
    "hvp",
    "gradcheck",
    "GradcheckError",
    "numeric_gradient",
    "add_n",
    "dot",
    "logsumexp",
    "topological_order",
    "Op",
    "Kind",
    "PRIMITIVES",
    "primitives",
    "primitive",
    "unary_functions",
    "gmath",
    "derivative_table",
    "draw_dot",
    "DrawOptions",
    "BackwardStepper",
    "backward_steps",
    "detect_anomaly",
    "AnomalyError",
    "trace",
    "Program",
    "TraceError",
]
