"""Thin plate regression spline bases for ``s(x)``, built exactly as brms 2.18 builds them.

brms turns ``s(x)`` into a mixed-model term: ``mgcv::smoothCon(s(x), absorb.cons = TRUE,
diagonal.penalty = TRUE)`` builds mgcv's default basis (``bs = "tp"``, penalty order ``m = 2``),
absorbs the sum-to-zero constraint and rescales the penalty to the identity, then
``mgcv::smooth2random(type = 2)`` splits it into an unpenalised part ``Xs`` (the linear trend,
coefficient ``bs``) and a penalised part ``Zs`` (coefficients ``sds * zs`` with ``zs ~ N(0, 1)``).
Every step below follows mgcv 1.8-41 (``tprs.c``, ``mat.c``, ``smoothCon``, ``nat.param``,
``smooth2random``) in its order of operations, including the deterministic start vector of its
Lanczos iteration, because the columns' signs and order depend on those details. The matrices
agree with R's to round-off; a few ``Zs`` columns may differ in sign, where R's own sign is
decided by round-off (see ``_eigen``), which reparametrises ``zs`` without changing the model.
New data are evaluated as brms does (``PredictMat`` on the stored smooth, then the same
transformation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from ..errors import DataError
from ..names import brms_rename, r_level_label, sorted_levels
from .formula import SmoothTerm

MAX_KNOTS = 2000  # mgcv subsamples (with a seeded R RNG) beyond this many unique values
NULL_DIM = 2  # M: the penalty's null space for d = 1, m = 2 is {1, x}
LANCZOS_TOL = np.finfo(float).eps ** 0.7  # tprs_setup's tolerance


def _r_mean(x: np.ndarray) -> float:
    """R's ``mean()``: a long double sum, then one refinement pass (summary.c)."""
    xl = x.astype(np.longdouble)
    s = np.cumsum(xl)[-1] / len(x)  # cumsum is sequential, as R's loop is
    s = s + np.cumsum(xl - s)[-1] / len(x)
    return float(s)


def _eta(r2: np.ndarray) -> np.ndarray:
    """Radial basis ``eta(r) = r^3 / 12`` of the 1-d, m = 2 spline, from squared distances."""
    # eta_const(m = 2, d = 1), with its divisions in tprs.c's order so the constant is bitwise equal
    ghalf = math.sqrt(math.pi)
    const = ghalf / -0.5 / -1.5 / 4.0 / 4.0 / ghalf
    return np.where(r2 > 0.0, const * r2 * np.sqrt(np.maximum(r2, 0.0)), 0.0)


def _radial(knots: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Rows ``[eta(knot_1 - x), ..., eta(knot_nk - x), 1, x]``, as ``tps_g``/``predict_tprs``."""
    z = knots[None, :] - x[:, None]
    return np.column_stack([_eta(z * z), np.ones_like(x), x])


def _trisymeig(diag: np.ndarray, off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigen-decomposition of a tridiagonal matrix, in descending order (``mgcv_trisymeig``).

    ``dstevd`` is ``dstedc`` (mgcv's routine) behind a rescaling that is inactive for
    ordinary magnitudes, so it reproduces the eigenvectors' signs too.
    """
    values, vectors, info = lapack.dstevd(diag, off)
    if info != 0:
        raise np.linalg.LinAlgError(f"dstevd failed (info = {info})")
    return values[::-1], vectors[:, ::-1]


def _lanczos(a: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest-magnitude eigenpairs of ``a``, as mgcv's ``Rlanczos`` returns them.

    The Ritz vectors' signs come from the start vector and the tridiagonal solver, so both are
    mgcv's, and the iteration stops where mgcv's stops, with mgcv's convergence test as written.
    """
    n = a.shape[0]
    f_check = min(max(k // 2, 10), max(n // 10, 1))
    jran, start = 1, np.empty(n)
    for i in range(n):  # mgcv's "quick and dirty" linear congruential start vector
        jran = (jran * 106 + 1283) % 6075
        start[i] = jran / 6075 - 0.5
    qs = [start / math.sqrt(float(np.sum(start * start)))]
    alpha, beta = np.zeros(n), np.zeros(n)
    n_top, n_bottom, steps = k, 0, n
    for j in range(n):
        z = a @ qs[j]
        alpha[j] = qs[j] @ z
        z = z - alpha[j] * qs[j] - (beta[j - 1] * qs[j - 1] if j else 0.0)
        if j:
            for _ in range(2):  # full re-orthogonalisation, twice, one vector at a time
                for q in qs:
                    z -= (z @ q) * q
        beta[j] = math.sqrt(float(z @ z))
        if j < n - 1:
            qs.append(z / beta[j])
        if (j >= k and j % f_check == 0) or j == n - 1:
            d, v = _trisymeig(alpha[: j + 1].copy(), beta[:j].copy())
            err = np.abs(beta[j] * v[j, :])
            if j >= k:
                max_err = max(abs(d[0]), abs(d[j])) * LANCZOS_TOL
                top = bottom = 0
                while top + bottom < k:  # the k largest |d|, taken from both ends
                    at_top = abs(d[top]) >= abs(d[j - bottom])
                    if err[top if at_top else bottom] > max_err:  # mgcv reads err[ni] (sic)
                        break
                    top, bottom = (top + 1, bottom) if at_top else (top, bottom + 1)
                else:  # all converged
                    n_top, n_bottom, steps = top, bottom, j + 1
                    break
    cols = list(range(n_top)) + [steps - (n_bottom + n_top - i) for i in range(n_top, k)]
    return np.column_stack(qs[:steps]) @ v[:, cols], d[cols]


def _null_space_rotation(a: np.ndarray) -> np.ndarray:
    """``Q`` with ``a Q = [0, B]``, mgcv's Householder ``QT``: its first columns span null(a)."""
    a = a.copy()
    rows, cols = a.shape
    q = np.eye(cols)
    for i in range(rows):
        width = cols - i
        p = a[i, :width].copy()
        scale = np.max(np.abs(p))
        if scale:
            p /= scale
        norm = math.sqrt(float(np.sum(p * p)))
        if p[-1] < 0.0:
            norm = -norm
        p[-1] += norm
        g = 1.0 / (norm * p[-1]) if norm else 0.0
        for later in range(i + 1, rows):
            a[later, :width] -= g * (p @ a[later, :width]) * p
        q[:, :width] -= g * np.outer(q[:, :width] @ p, p)
    return q


def _tprs(x: np.ndarray, k: int):
    """mgcv's ``construct_tprs``: design ``X``, penalty ``S``, ``UZ`` and the knots ``Xu``."""
    knots, row_of = np.unique(x, return_inverse=True)  # tprs_setup's sorted unique points
    nk, m = len(knots), NULL_DIM
    t = np.column_stack([np.ones(nk), knots])
    e = _eta(np.subtract.outer(knots, knots) ** 2)
    if nk == k:  # as many knots as basis functions: no eigen step ("pure knot" basis)
        q = _null_space_rotation(t.T)
        uz_top = q[:, : k - m]
        s = q.T @ e @ q
        design = np.column_stack([_radial(knots, x)[:, :nk] @ uz_top, np.ones_like(x), x])
    else:
        u, values = _lanczos(e, k)
        q = _null_space_rotation(t.T @ u)
        uz_top = (u @ q)[:, : k - m]
        s = q.T @ np.diag(values) @ q
        design = (u * values) @ q
        design[:, k - m:] = t
        design = design[row_of]
    s[k - m:, :] = s[:, k - m:] = 0.0
    uz = np.zeros((nk + m, k))
    uz[:nk, : k - m] = uz_top
    uz[nk:, k - m:] = np.eye(m)
    # tprs_setup rescales each column to root mean square 1 (S and UZ follow)
    w = np.sqrt(np.sum(design * design, axis=0) / len(x))
    design, uz, s = design / w, uz / w, s / np.outer(w, w)
    return design, (s + s.T) / 2.0, uz, knots


def _sum_to_zero(design: np.ndarray) -> np.ndarray:
    """``Z`` (k x k-1) with which ``smoothCon`` absorbs the constraint ``colMeans(X) b = 0``.

    R's ``qr()`` (LINPACK ``dqrdc2``) reflects the constraint's nonzero entries; columns with an
    exactly zero mean (e.g. the linear one for symmetric data) are kept as they are.
    """
    k = design.shape[1]
    means = np.cumsum(design.astype(np.longdouble), axis=0)[-1] / design.shape[0]
    c = np.asarray(means, dtype=float)  # colMeans accumulates in long double, like this
    indi = np.flatnonzero(c != 0.0)
    v = c[indi] / (math.copysign(1.0, c[indi[0]]) * np.linalg.norm(c[indi]))
    v[0] += 1.0
    h = np.eye(len(indi)) - np.outer(v, v) / v[0]
    z = np.eye(k)
    z[np.ix_(indi, indi[:-1])] = h[:, 1:]
    return np.delete(z, indi[-1], axis=1)


def _eigen(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``eigen(symmetric = TRUE)`` (LAPACK ``dsyevr``), in descending order.

    Signs follow ``dstemr`` (``dsyevr``'s solver) rather than this LAPACK build: it makes each
    eigenvector of ``T = Q' A Q`` (``dsytrd``) positive at its twist index, in practice the entry
    of largest magnitude. When two entries are of similar size R's choice turns on the last
    bits of ``A``, i.e. on round-off; this rule is its most likely sign and is the same on every
    BLAS. 2 x 2 problems are solved in closed form (``dlaev2``), whose signs LAPACKs share.
    """
    values, vectors = linalg.eigh(a, lower=True, driver="evr")
    values, vectors = values[::-1], vectors[:, ::-1]
    n = len(values)
    if n > 2:
        packed, _, _, tau, info = lapack.dsytrd(a, lower=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"dsytrd failed (info = {info})")
        z = vectors.copy()
        for i in range(n - 1):  # z = Q' vectors, Q = H_1 ... H_{n-1}
            h = np.zeros(n)
            h[i + 1] = 1.0
            h[i + 2:] = packed[i + 2:, i]
            z -= tau[i] * np.outer(h, h @ z)
        lead = z[np.argmax(np.abs(z), axis=0), np.arange(n)]
        vectors = vectors * np.where(lead < 0.0, -1.0, 1.0)
    return values, vectors


@dataclass(frozen=True, eq=False)
class SmoothBasis:
    """brms's data for one ``s(x)`` term and what is needed to evaluate it at new ``x``.

    Attributes
    ----------
    Xf
        The unpenalised part, brms's ``Xs`` column ``sx_1`` (n x 1, the centred linear trend).
    Zr
        The penalised part, brms's ``Zs_1_1`` (n x k-2); its coefficients are ``sds * zs``.
    k
        Basis dimension, as in ``s(x, k = k)``.
    shift
        The mean of the fitting ``x``, subtracted before the basis is evaluated.
    knots
        The unique centred fitting values, the spline's knots.
    coef
        Map from the rows ``[eta(knot - x), 1, x]`` to ``[Zr, Xf]``, shape (n_knots + 2, k-1).
    """

    Xf: np.ndarray
    Zr: np.ndarray
    k: int
    shift: float
    knots: np.ndarray
    coef: np.ndarray

    def evaluate(self, new_x, weight=None) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate the basis at new values, as brms's ``s2rPred`` does for ``newdata``.

        Parameters
        ----------
        new_x
            Values of the covariate, any shape that flattens to a vector.
        weight
            The rows' weights of a smooth with ``by`` (a level's indicator or the numeric
            ``by``'s values); None for ones.

        Returns
        -------
        tuple of numpy.ndarray
            ``(Xf_new, Zr_new)``, the rows of ``Xs`` and ``Zs_1_1`` for ``new_x``.
        """
        x = np.asarray(new_x, dtype=float).ravel()
        if not np.all(np.isfinite(x)):
            raise DataError("A smooth term's covariate has missing or infinite values.")
        out = _radial(self.knots, x - self.shift) @ self.coef
        if weight is not None:
            out = np.asarray(weight, dtype=float).reshape(-1, 1) * out
        rank = self.Zr.shape[1]
        return out[:, rank:], out[:, :rank]


def _r_unit_eigenvectors(size: int, rank: int) -> list[int]:
    """Which unit vector each column of R's ``eigen(diag(c(rep(s, rank), rep(0, size - rank))),
    symmetric = TRUE)$vectors`` is (``size > 2``), the order ``smooth2random`` puts a diagonal
    penalty's columns in.

    ``dstemr`` (R's ``dsyevr``) ends with a selection sort that swaps equal eigenvalues, and R
    reverses its ascending order; read off R 4 for one and two zero eigenvalues.
    """
    if size - rank == 1:
        return [0, *range(rank - 1, 0, -1), rank]
    if rank == 1:
        return [0, 2, 1]
    return [1, 0, *range(size - 3, 1, -1), size - 1, size - 2]


def tprs_smooth(x, k: int = 10) -> SmoothBasis:
    """Build brms's ``Xs`` and ``Zs`` for ``s(x, k = k)`` (thin plate, ``m = 2``).

    Parameters
    ----------
    x
        The covariate's values in the fitting data (1-d, finite).
    k
        Basis dimension; at least 3, and at most the number of unique values of ``x``.

    Returns
    -------
    SmoothBasis
        ``Xf`` (n x 1), ``Zr`` (n x k-2) and the transformation for new data.

    Raises
    ------
    DataError
        If ``x`` is not finite, has fewer than ``k`` unique values, or more than 2000 (where
        mgcv draws a random subset of knots with R's random number generator).
    """
    x = np.asarray(x, dtype=float).ravel()
    return tprs_smooths(x, k, [np.ones_like(x)], constrained=True)[0]


def tprs_smooths(x, k: int, weights: list[np.ndarray], constrained: bool) -> list[SmoothBasis]:
    """brms's ``Xs`` and ``Zs`` of the smooths one ``s(x, k = k, by = ...)`` term makes.

    mgcv builds one thin plate basis on all of ``x`` and multiplies its rows by each weight:
    the indicator of each level of a factor ``by`` (one smooth per level), the values of a
    numeric ``by`` (one smooth, a varying coefficient), or ones without ``by``. The penalty is
    scaled, and the sum-to-zero constraint (``colMeans`` of the unweighted basis) absorbed,
    before the weights apply; a numeric ``by`` that is not constant drops the constraint, so
    its smooth keeps both unpenalised columns. The natural parametrisation (``nat.param``) is
    that of the first smooth, shared by the others.

    Parameters
    ----------
    x
        The covariate's values in the fitting data (1-d, finite).
    k
        Basis dimension; at least 3, and at most the number of unique values of ``x``.
    weights
        One row weight vector (the length of ``x``) per smooth.
    constrained
        Whether the sum-to-zero constraint is absorbed.

    Returns
    -------
    list of SmoothBasis
        One per weight vector.
    """
    x = np.asarray(x, dtype=float).ravel()
    if not np.all(np.isfinite(x)):
        raise DataError("A smooth term's covariate has missing or infinite values.")
    if int(k) != k or k < NULL_DIM + 1:
        raise DataError(f"s(x, k = {k}): k must be a whole number of at least {NULL_DIM + 1}.")
    k = int(k)
    n_unique = len(np.unique(x))
    if n_unique < k:
        raise DataError(f"s(x, k = {k}) needs at least {k} unique values of x; it has "
                        f"{n_unique}. Lower k.")
    if n_unique > MAX_KNOTS:
        raise DataError(f"s(x) with more than {MAX_KNOTS} unique values of x is not supported: "
                        "mgcv would pick a random subset of knots with R's random number "
                        "generator. Round x or pass fewer unique values.")
    shift = _r_mean(x)
    design, penalty, uz, knots = _tprs(x - shift, k)
    # smoothCon: scale.penalty, then absorb the sum-to-zero constraint
    penalty = penalty / (np.max(np.sum(np.abs(penalty), axis=0))
                         / np.max(np.sum(np.abs(design), axis=1)) ** 2)
    z = _sum_to_zero(design) if constrained else np.eye(k)
    size, rank = z.shape[1], k - NULL_DIM
    penalty_c = z.T @ penalty @ z
    first = (weights[0][:, None] * design) @ z
    s11 = penalty_c[0, 0]
    target = np.diag(np.r_[np.full(rank, s11), np.zeros(size - rank)])
    if np.max(np.abs(penalty_c - target)) > abs(s11) * np.finfo(float).eps ** 0.8:
        # smoothCon(diagonal.penalty = TRUE) -> nat.param(type = 2, unit.fnorm = FALSE)
        values, vectors = _eigen(penalty_c)
        e = np.ones(size)
        e[:rank] = np.sqrt(values[:rank])
        xv = first @ vectors
        col_norm = np.sum(xv * xv, axis=0) / e**2
        e[rank:] = np.sqrt(col_norm[rank:] / np.mean(col_norm[:rank]))
        # smooth2random then decomposes the penalty diag(1, ..., 1, 0, ...)
        u = (np.eye(size)[:, _r_unit_eigenvectors(size, rank)] if size > 2
             else _eigen(np.diag([1.0, 0.0]))[1])
        d = np.ones(size)
    else:  # already diagonal (k = 3): mgcv skips nat.param and smooth2random decomposes it
        vectors, e = np.eye(size), np.ones(size)
        if size > 2:
            order = _r_unit_eigenvectors(size, rank)
            values, u = np.diag(penalty_c)[order], np.eye(size)[:, order]
        else:
            values, u = _eigen(penalty_c)
        d = 1.0 / np.sqrt(np.r_[values[:rank], np.ones(size - rank)])
    ud = u * d
    coef = uz @ z @ (vectors / e) @ ud
    bases = []
    for weight in weights:
        # nat.param's X in its order of operations, then smooth2random's
        final = (((weight[:, None] * design) @ z @ vectors) / e) @ ud
        bases.append(SmoothBasis(Xf=final[:, rank:], Zr=final[:, :rank], k=k, shift=shift,
                                 knots=knots, coef=coef))
    return bases


@dataclass(frozen=True, eq=False)
class SmoothPart:
    """One smooth of a design, brms's unit with its own ``sds``: an ``s(x)`` term, or one
    level of an ``s(x, by = f)`` term; and its basis on the fitting data.

    Attributes
    ----------
    term
        The term as written.
    basis
        The smooth's ``Xs`` columns, ``Zs`` matrix and their recipe for new data.
    level
        The level of the factor ``by`` this smooth is of; None without a factor ``by``.
    """

    term: SmoothTerm
    basis: SmoothBasis
    level: object = None

    @property
    def size(self) -> int:
        """The number of penalised coefficients, ``s_sDays_1[1]`` ... ."""
        return self.basis.Zr.shape[1]

    @property
    def label(self) -> str:
        """brms's name of the smooth's ``sds_`` and ``s_``: ``sDays_1``, ``sxfa_1`` for the
        level ``a`` of ``s(x, by = f)``."""
        level = "" if self.level is None else "".join(r_level_label(self.level).split())
        return f"{self.term.name}{brms_rename(level)}_1"

    @property
    def fixed_names(self) -> tuple[str, ...]:
        """brms's names of the unpenalised columns (``bs_`` coefficients): ``sDays_1``,
        ``sx:fa_1`` for a level of a factor ``by``, ``sx:z_1`` and ``sx:z_2`` for a numeric
        ``by`` (mgcv's label of the smooth, then the column's number)."""
        by = "" if self.term.by is None else f":{self.term.by}"
        level = "" if self.level is None else r_level_label(self.level)
        return tuple(brms_rename(f"s({self.term.variable}){by}{level}_{j}")
                     for j in range(1, self.basis.Xf.shape[1] + 1))

    @property
    def columns(self) -> tuple[str, ...]:
        """The data columns the smooth reads: its variable and its ``by`` column."""
        return (self.term.variable,) + (() if self.term.by is None else (self.term.by,))

    def weight(self, frame) -> np.ndarray | None:
        """The rows' weights of a smooth with ``by``: the indicator of its level, or the
        numeric ``by``'s values; None without ``by``."""
        if self.term.by is None:
            return None
        if self.level is not None:
            return _indicator(frame[self.term.by], self.level)
        return _numeric(frame, self.term, self.term.by)

    def evaluate(self, frame) -> tuple[np.ndarray, np.ndarray]:
        """The unpenalised and penalised columns for the rows of ``frame``."""
        return self.basis.evaluate(_numeric(frame, self.term, self.term.variable),
                                   self.weight(frame))


def _numeric(frame, term: SmoothTerm, variable: str) -> np.ndarray:
    column = frame[variable]
    if column.dtype.kind not in "iuf":
        raise DataError(f"{term.text!r} smooths {variable!r}, which must be numeric; got "
                        f"{column.dtype} values such as {column.iloc[0]!r}.")
    if not np.all(np.isfinite(column.to_numpy(dtype=float))):
        raise DataError(f"{term.text!r}: column {variable!r} has missing or infinite values.")
    return column.to_numpy(dtype=float)


def _by_levels(column) -> list | None:
    """The levels of a factor ``by``, each of which gets a smooth (strings, booleans and
    categoricals are R factors, as the model frame makes them); None for a numeric ``by``."""
    if column.dtype.kind in "iuf":
        return None
    return sorted_levels(column)


def _indicator(column, level) -> np.ndarray:
    """1 on the rows of a factor ``by``'s ``level``, compared as R labels levels (the model
    frame's True is the level "TRUE", new data's True is True)."""
    labels = column.astype(object).map(r_level_label)
    return (labels == r_level_label(level)).to_numpy(dtype=float)


def smooth_parts(term: SmoothTerm, frame) -> list[SmoothPart]:
    """Build the smooths of ``term`` on the fitting data ``frame``: one, or one per level of
    a factor ``by``."""
    x = _numeric(frame, term, term.variable)
    levels = None if term.by is None else _by_levels(frame[term.by])
    if term.by is None:
        weights, constrained = [np.ones_like(x)], True
    elif levels is None:
        by = _numeric(frame, term, term.by)
        # mgcv keeps the sum-to-zero constraint when a numeric by is constant
        weights = [by]
        constrained = not (len(by) > 1
                           and np.std(by, ddof=1) > np.mean(by) * np.finfo(float).eps * 1000)
    else:
        weights = [_indicator(frame[term.by], level) for level in levels]
        constrained = True
    try:
        bases = tprs_smooths(x, term.k, weights, constrained)
    except DataError as error:
        raise DataError(f"{term.text!r}: {error}") from None
    return [SmoothPart(term, basis, level)
            for basis, level in zip(bases, levels or [None], strict=True)]


def check_by_levels(parts: list[SmoothPart], frame) -> None:
    """Refuse new rows whose factor ``by`` takes a level no smooth was fitted for, in brms's
    words (their smooths would be zero without a word)."""
    fitted: dict[tuple[str, str], list[str]] = {}
    for part in parts:
        if part.level is not None:
            fitted.setdefault((part.term.text, part.term.by), []).append(
                r_level_label(part.level))
    for (text, by), levels in fitted.items():
        found = frame[by].dropna().astype(object).map(r_level_label).unique()
        new = [level for level in found if level not in levels]
        if new:
            raise DataError(f"New factor levels are not allowed for {by!r} of {text!r}. "
                            f"Levels allowed: {', '.join(map(repr, levels))}. Levels found: "
                            f"{', '.join(map(repr, new))}.")
