"""A group term's contribution to the linear predictor, as one operation and its adjoint.

Row ``i`` of a group term adds ``sum_j effects[index[i], j] * values[i, j]``: its level's
coefficients times its own values (1 for an intercept, the predictor for a slope). Written
with PyTensor's indexing, the term and its gradient take half a dozen passes over the rows
(gather a rows x coefficients matrix, multiply, sum, and in the gradient multiply and scatter
again), each reading and writing arrays as long as the data; with hundreds of thousands of
rows those passes are most of a gradient's time. :class:`GroupGather` computes the term in
one pass and :class:`GroupScatter`, its adjoint, sums each row's contribution into its
level's coefficients in another.

Both have a NumPy implementation (every PyTensor backend can run it), a numba one (nutpie's)
and a JAX one (numpyro's and blackjax's), registered by :func:`register_numba` and
:func:`register_jax` when their backend is first used: importing this module imports neither.
The numbers of levels and of coefficients per level are part of each operation, so that
numba compiles the loop over a level's coefficients with a fixed length, which it unrolls.
"""

from __future__ import annotations

import functools
import inspect
import zlib

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import grad_undefined
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.scalar import upcast


class _LevelsOp(Op):
    """An operation between rows and the levels they belong to.

    The numbers of levels and of coefficients per level (``width``, the k below) are part of
    the operation, as the shape of the levels' side (JAX needs it fixed when it compiles).
    Inputs: a float array, each row's level, each row's values (rows x k).
    """

    __props__ = ("levels", "width")

    def __init__(self, levels: int, width: int):
        self.levels = int(levels)
        self.width = int(width)

    def _output_shape(self) -> tuple:
        return (None,)

    def make_node(self, numbers, index, values):
        numbers, index, values = (pt.as_tensor_variable(x) for x in (numbers, index, values))
        if values.type.shape[-1] not in (None, self.width):
            raise ValueError(f"{type(self).__name__} of width {self.width} got values of "
                             f"width {values.type.shape[-1]}")
        output = pt.tensor(dtype=upcast(numbers.dtype, values.dtype),
                           shape=self._output_shape())
        return Apply(self, [numbers, index, values], [output])


class GroupGather(_LevelsOp):
    """``sum_j effects[index, j] * values[:, j]``: (levels, k), (rows,), (rows, k) -> (rows,)."""

    def perform(self, node, inputs, output_storage):
        effects, index, values = inputs
        output_storage[0][0] = np.einsum("ij,ij->i", effects[index], values).astype(
            node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [(shapes[1][0],)]

    def grad(self, inputs, output_gradients):
        effects, index, values = inputs
        (gradient,) = output_gradients
        return [GroupScatter(self.levels, self.width)(gradient, index, values),
                grad_undefined(self, 1, index),
                effects[index] * gradient[:, None]]


class GroupScatter(_LevelsOp):
    """The adjoint of :class:`GroupGather`: ``out[index[i], j] += weights[i] * values[i, j]``,
    (rows,), (rows,), (rows, k) -> (levels, k)."""

    def _output_shape(self) -> tuple:
        return (self.levels, self.width)

    def perform(self, node, inputs, output_storage):
        weights, index, values = inputs
        # one bincount per column: several times faster than np.add.at's unbuffered sums
        columns = [np.bincount(index, weights=weights * values[:, j], minlength=self.levels)
                   for j in range(values.shape[1])]
        output_storage[0][0] = np.column_stack(columns).astype(node.outputs[0].dtype)

    def infer_shape(self, fgraph, node, shapes):
        return [(self.levels, self.width)]

    def grad(self, inputs, output_gradients):
        weights, index, values = inputs
        (gradient,) = output_gradients
        return [GroupGather(self.levels, self.width)(gradient, index, values),
                grad_undefined(self, 1, index),
                gradient[index] * weights[:, None]]


def group_term(effects, index, values, levels: int, width: int):
    """A group term's contribution to each row's linear predictor.

    Parameters
    ----------
    effects : TensorVariable
        The term's coefficients, one row per level (levels x k).
    index : TensorVariable
        Each data row's level, integers in ``[0, levels)``.
    values : TensorVariable
        Each data row's values of the term's k predictors (rows x k).
    levels : int
        The number of levels.
    width : int
        The number of coefficients per level, k.

    Returns
    -------
    TensorVariable
        ``sum_j effects[index, j] * values[:, j]``, one value per row.
    """
    return GroupGather(levels, width)(effects, index, values)


@functools.cache
def register_numba() -> None:
    """Give both operations their numba implementations (once).

    Importing PyTensor's numba backend installs warning filters of its own, so it waits for
    the first model compiled with it rather than for the import of this package.
    """
    from pytensor.link.numba.dispatch import basic as numba_basic
    from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

    # PyTensor keys its on-disk cache of numba code by the operation's type and properties,
    # plus the number each implementation returns: a digest of the kernels' source, so that a
    # changed kernel is compiled anew instead of loaded from the cache
    source = zlib.crc32(inspect.getsource(register_numba).encode())

    @register_funcify_default_op_cache_key(GroupGather)
    def _numba_group_gather(op, node, **kwargs):
        dtype = np.dtype(node.outputs[0].dtype)
        width = op.width

        @numba_basic.numba_njit
        def gather(effects, index, values):
            rows = values.shape[0]
            out = np.empty(rows, dtype=dtype)
            for i in range(rows):
                level = index[i]
                total = 0.0
                for j in range(width):
                    total += effects[level, j] * values[i, j]
                out[i] = total
            return out

        return gather, source

    @register_funcify_default_op_cache_key(GroupScatter)
    def _numba_group_scatter(op, node, **kwargs):
        dtype = np.dtype(node.outputs[0].dtype)
        levels, width = op.levels, op.width

        @numba_basic.numba_njit
        def scatter(weights, index, values):
            rows = values.shape[0]
            out = np.zeros((levels, width), dtype=dtype)
            for i in range(rows):
                level = index[i]
                for j in range(width):
                    out[level, j] += weights[i] * values[i, j]
            return out

        return scatter, source


@functools.cache
def register_jax() -> None:
    """Give both operations their JAX implementations (once; it imports JAX)."""
    import jax
    import jax.numpy as jnp
    from pytensor.link.jax.dispatch import jax_funcify

    @jax_funcify.register(GroupGather)
    def _jax_group_gather(op, **kwargs):
        def gather(effects, index, values):
            return jnp.sum(effects[index] * values, axis=1)

        return gather

    @jax_funcify.register(GroupScatter)
    def _jax_group_scatter(op, **kwargs):
        def scatter(weights, index, values):
            return jax.ops.segment_sum(weights[:, None] * values, index,
                                       num_segments=op.levels)

        return scatter
