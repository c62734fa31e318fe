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

    def evaluate(self, new_x) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate the basis at new values, as brms's ``s2rPred`` does for ``newdata``.

        Parameters
        ----------
        new_x
            Values of the covariate, any shape that flattens to a vector.

        Returns
        -------
        tuple of numpy.ndarray
            ``(Xf_new, Zr_new)``, the rows of ``Xs`` and ``Zs_1_1`` for ``new_x``.
        """
        x = np.asarray(new_x, dtype=float).ravel()
        if not np.all(np.isfinite(x)):
            raise DataError("A smooth term's covariate has missing or infinite values.")
        out = _radial(self.knots, x - self.shift) @ self.coef
        rank = self.Zr.shape[1]
        return out[:, rank:], out[:, :rank]


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
    z = _sum_to_zero(design)
    design_c, penalty_c = design @ z, z.T @ penalty @ z
    rank = k - NULL_DIM
    s11 = penalty_c[0, 0]
    target = np.diag(np.r_[np.full(rank, s11), np.zeros(k - 1 - rank)])
    if np.max(np.abs(penalty_c - target)) > abs(s11) * np.finfo(float).eps ** 0.8:
        # smoothCon(diagonal.penalty = TRUE) -> nat.param(type = 2, unit.fnorm = FALSE)
        values, vectors = _eigen(penalty_c)
        e = np.ones(k - 1)
        e[:rank] = np.sqrt(values[:rank])
        xv = design_c @ vectors
        col_norm = np.sum(xv * xv, axis=0) / e**2
        e[rank:] = np.sqrt(col_norm[rank:] / np.mean(col_norm[:rank]))
        design_c, diag_rp = xv / e, vectors / e
        # smooth2random then decomposes the penalty diag(1, ..., 1, 0). For k > 3, dstemr's final
        # selection sort swaps the zero to the front and R reverses: these unit vectors
        u = (np.eye(k - 1)[:, [0, *range(rank - 1, 0, -1), rank]] if k > 3
             else _eigen(np.diag([1.0, 0.0]))[1])
        d = np.ones(k - 1)
    else:  # already diagonal (k = 3): mgcv skips nat.param and smooth2random decomposes it
        diag_rp = np.eye(k - 1)
        values, u = _eigen(penalty_c)
        d = 1.0 / np.sqrt(np.r_[values[:rank], np.ones(k - 1 - rank)])
    ud = u * d
    final = design_c @ ud
    return SmoothBasis(Xf=final[:, rank:], Zr=final[:, :rank], k=k, shift=shift, knots=knots,
                       coef=uz @ z @ diag_rp @ ud)


@dataclass(frozen=True, eq=False)
class SmoothPart:
    """One ``s(x)`` term of a design: the term and its basis on the fitting data."""

    term: SmoothTerm
    basis: SmoothBasis

    @property
    def size(self) -> int:
        """The number of penalised coefficients, ``s_sDays_1[1]`` ... ."""
        return self.basis.Zr.shape[1]

    def evaluate(self, frame) -> tuple[np.ndarray, np.ndarray]:
        """The unpenalised and penalised columns for the rows of ``frame``."""
        return self.basis.evaluate(_numeric(frame, self.term))


def _numeric(frame, term: SmoothTerm) -> np.ndarray:
    column = frame[term.variable]
    if column.dtype.kind not in "iuf":
        raise DataError(f"{term.text!r} smooths {term.variable!r}, which must be numeric; got "
                        f"{column.dtype} values such as {column.iloc[0]!r}.")
    return column.to_numpy(dtype=float)


def smooth_part(term: SmoothTerm, frame) -> SmoothPart:
    """Build the basis of ``term`` on the fitting data ``frame``."""
    try:
        basis = tprs_smooth(_numeric(frame, term), term.k)
    except DataError as error:
        raise DataError(f"{term.text!r}: {error}") from None
    return SmoothPart(term, basis)
