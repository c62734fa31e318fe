"""The scaled complementary error function for graphs that go to JAX.

PyMC's normal log CDF (censored normal and lognormal responses, the cumulative probit model)
calls ``erfcx(x) = exp(x^2) erfc(x)``, which PyTensor hands to JAX only through TensorFlow
Probability, not a dependency here. Graphs converted to JAX have it written with ``erfc``
and, where ``erfc`` underflows, its asymptotic series instead.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.fg import FunctionGraph
from pytensor.scalar.math import Erfcx

# where erfc(x) keeps its relative precision and the series' next term is below 1e-11
SERIES_FROM = 20.0
# below this, exp(x^2) erfc(x) = 2 exp(x^2) overflows: the value is held there. Such values
# come from the branches of a switch that a row does not take (PyMC's normal log CDF computes
# both of its branches), whose infinite gradient would make the taken one's NaN.
OVERFLOW_BELOW = -26.0


def erfcx_from_erfc(x):
    """``exp(x^2) erfc(x)``: directly up to :data:`SERIES_FROM`, by its asymptotic series
    beyond, each branch computed where it is finite (so its gradient is), and held at
    :data:`OVERFLOW_BELOW` where it would overflow."""
    near = pt.clip(x, OVERFLOW_BELOW, SERIES_FROM)
    far = pt.maximum(x, SERIES_FROM)
    inverse = 1.0 / (2.0 * far**2)
    series = (1.0 - inverse * (1.0 - 3.0 * inverse * (1.0 - 5.0 * inverse
                                                      * (1.0 - 7.0 * inverse))))
    return pt.switch(x < SERIES_FROM, pt.exp(near**2) * pt.erfc(near),
                     series / (far * np.sqrt(np.pi)))


def replace_erfcx(graph: FunctionGraph) -> None:
    """Write every ``erfcx`` of ``graph`` with :func:`erfcx_from_erfc`, in place."""
    for node in graph.toposort():
        if isinstance(getattr(node.op, "scalar_op", None), Erfcx):
            graph.replace(node.outputs[0], erfcx_from_erfc(node.inputs[0]),
                          reason="erfcx for JAX", import_missing=True)
