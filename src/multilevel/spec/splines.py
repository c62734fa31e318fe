"""R's regression splines in formulas: ``bs()`` and ``ns()`` of the splines package.

brms builds its model matrix with R's ``model.matrix()``, so ``y ~ ns(age, df = 3)`` gives
the columns of ``splines::ns()`` (brms names them ``b_nsagedfEQ31``, ...), and predictions
on new data keep the fitted knots (R's ``makepredictcall()``). Each call here is a stateful
transformation: its first evaluation fixes the knots and the boundary knots from the data
(the interior knots at quantiles of ``x`` for ``df``), later ones apply them, extrapolating
beyond the boundary as R does (``ns()`` linearly, ``bs()`` by the Taylor polynomial at a
pivot inside). The B-spline bases are SciPy's, equal to R's ``splineDesign()``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.interpolate import BSpline


def _spline_design(knots: np.ndarray, x: np.ndarray, order: int,
                   derivative: int = 0) -> np.ndarray:
    """R's ``splineDesign(knots, x, order, derivs)``: each B-spline of ``knots`` (or its
    derivative) at ``x`` within the boundary knots, a column per B-spline."""
    count = len(knots) - order
    curves = BSpline(knots, np.eye(count), order - 1, extrapolate=True)
    return np.atleast_2d(curves(x, nu=derivative))


def _interior_knots(x: np.ndarray, count: int) -> np.ndarray:
    """R's knots for ``df``: the quantiles (R's type 7) of ``x`` at ``count`` equal steps."""
    if count <= 0:
        return np.empty(0)
    return np.quantile(x, np.linspace(0, 1, count + 2)[1:-1])


def _numeric_argument(value, name: str, call: str) -> float | None:
    if value is None:
        return None
    values = np.atleast_1d(np.asarray(value, dtype=float))
    if values.size != 1 or not np.isfinite(values[0]):
        raise ValueError(f"{call}(): {name} must be one finite number, not {value!r}")
    return float(values[0])


class _RSplineBasis:
    """What ``bs()`` and ``ns()`` share: the knots learned on the first call."""

    __stateful_transform__ = True
    name = ""

    def __init__(self):
        self.knots: np.ndarray | None = None
        self.boundary: tuple[float, float] | None = None
        self.intercept = False

    def _learn(self, x: np.ndarray, df, knots, intercept, options: dict, spare: int) -> None:
        """Fix the boundary knots as given (R's ``Boundary.knots``) or at the range of ``x``,
        and the interior knots as given, or for ``df`` columns: ``df - spare - intercept``
        of them at quantiles of the values of ``x`` within the boundary knots."""
        unknown = sorted(set(options) - {"Boundary.knots"})
        if unknown:
            raise ValueError(f"{self.name}() has no argument {unknown[0]!r}; it takes x, df, "
                             "knots, " + ("degree, " if self.name == "bs" else "")
                             + "intercept and Boundary.knots")
        self.intercept = bool(intercept)
        finite = x[np.isfinite(x)]
        if finite.size == 0:
            raise ValueError(f"{self.name}(): the variable has no finite value")
        given = options.get("Boundary.knots")
        if given is not None:
            bounds = np.sort(np.atleast_1d(np.asarray(given, dtype=float)))
            if bounds.size != 2 or not np.isfinite(bounds).all():
                raise ValueError(f"{self.name}(): Boundary.knots must be two numbers, as "
                                 f"c(0, 10), not {given!r}")
            self.boundary = (float(bounds[0]), float(bounds[1]))
            finite = finite[(finite >= bounds[0]) & (finite <= bounds[1])]
        else:
            self.boundary = (float(finite.min()), float(finite.max()))
        if knots is not None:
            self.knots = np.sort(np.atleast_1d(np.asarray(knots, dtype=float)))
            return
        df = _numeric_argument(df, "df", self.name)
        if df is None:
            self.knots = np.empty(0)
            return
        count = int(df) - spare - int(self.intercept)
        if count < 0:
            warnings.warn(f"'df' was too small; have used {spare + int(self.intercept)}",
                          UserWarning, stacklevel=2)
        self.knots = _interior_knots(finite, count)

    def _all_knots(self, order: int) -> np.ndarray:
        low, high = self.boundary
        return np.sort(np.concatenate([np.repeat(low, order), self.knots,
                                       np.repeat(high, order)]))


class RBSpline(_RSplineBasis):
    """R's ``bs(x, df, knots, degree = 3, intercept = FALSE, Boundary.knots)``: the B-spline
    basis of the given degree, its first column dropped without ``intercept``."""

    name = "bs"

    def __init__(self):
        super().__init__()
        self.degree = 3

    def __call__(self, x, df=None, knots=None, degree=3, intercept=False, **options):
        x = np.asarray(x, dtype=float)
        if self.knots is None:
            self.degree = int(degree)
            if self.degree < 1:
                raise ValueError(f"bs(): degree must be a positive whole number, not {degree!r}")
            self._learn(x, df, knots, intercept, options, spare=self.degree)
        order = self.degree + 1
        knots = self._all_knots(order)
        low, high = self.boundary
        below, above = x < low, x > high
        basis = np.zeros((len(x), len(knots) - order))
        inside = ~(below | above)
        basis[inside] = _spline_design(knots, x[inside], order)
        if below.any() or above.any():
            warnings.warn("some 'x' values beyond boundary knots may cause ill-conditioned "
                          "bases", UserWarning, stacklevel=2)
            # R's Taylor polynomial at a pivot a quarter of the way to the next knot
            factorials = np.array([math.factorial(d) for d in range(order)], dtype=float)
            for outside, pivot in (
                    (below, 0.75 * low + 0.25 * knots[order]),
                    (above, 0.75 * high + 0.25 * knots[len(knots) - order - 1])):
                if outside.any():
                    derivatives = np.vstack([
                        _spline_design(knots, np.array([pivot]), order, d)
                        for d in range(order)])
                    powers = (x[outside, None] - pivot) ** np.arange(order)
                    basis[outside] = powers @ (derivatives / factorials[:, None])
        return basis if self.intercept else basis[:, 1:]


class RNaturalSpline(_RSplineBasis):
    """R's ``ns(x, df, knots, intercept = FALSE, Boundary.knots)``: the cubic B-splines
    constrained to be linear beyond the boundary knots, by R's QR projection of the second
    derivatives there."""

    name = "ns"

    def __call__(self, x, df=None, knots=None, intercept=False, **options):
        x = np.asarray(x, dtype=float)
        if self.knots is None:
            self._learn(x, df, knots, intercept, options, spare=1)
        knots = self._all_knots(4)
        low, high = self.boundary
        below, above = x < low, x > high
        basis = np.zeros((len(x), len(knots) - 4))
        inside = ~(below | above)
        basis[inside] = _spline_design(knots, x[inside], 4)
        # linear beyond the boundary: the value and slope at the boundary knot
        for outside, pivot in ((below, low), (above, high)):
            if outside.any():
                at = np.array([pivot])
                value, slope = (_spline_design(knots, at, 4, d)[0] for d in (0, 1))
                basis[outside] = value + (x[outside, None] - pivot) * slope
        constraint = _spline_design(knots, np.array([low, high]), 4, 2)
        if not self.intercept:
            constraint, basis = constraint[:, 1:], basis[:, 1:]
        # R's qr.qty(qr(t(const)), t(basis)) without its first two rows: the basis in the
        # complement of the boundary second derivatives (Householder reflections, as LINPACK)
        q, _ = np.linalg.qr(constraint.T, mode="complete")
        return (basis @ q)[:, 2:]
