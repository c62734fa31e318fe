"""Time the log density and gradient nutpie samples, with and without the fused likelihood.

usage: python benchmarks/log_density.py [MODEL]   (default: insteval)

Builds the benchmark model both ways, compiles each function of the sampler's coordinates
with PyTensor's numba backend (data folded in, as nutpie's first fit of a structure does),
checks that both give the same values at a random point and prints milliseconds per call.
"""

import sys
import time

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
from models import MODELS
from pymc.model.transform.optimization import freeze_dims_and_data

from multilevel.api import _model_parts
from multilevel.model.build import build_model
from multilevel.model.group_gather import register_numba as register_group_terms
from multilevel.model.row_likelihood import register_numba as register_row_likelihood
from multilevel.names import CENTRING_DATA


def compiled(design, table, fused: bool):
    model, _ = build_model(design, table, fused=fused)
    model = freeze_dims_and_data(model, data=[v.name for v in model.data_vars
                                              if not v.name.startswith(CENTRING_DATA)])
    logp = model.logp()
    return model, pytensor.function(model.value_vars, [logp, *pt.grad(logp, model.value_vars)],
                                    mode="NUMBA")


def main(name: str = "insteval", calls: int = 2000) -> None:
    register_group_terms()
    register_row_likelihood()
    benchmark = MODELS[name]
    data = pd.read_csv(benchmark.data_path())
    for column in benchmark.factors:
        data[column] = data[column].astype(str)
    design, table = _model_parts(benchmark.formula, data, benchmark.family, None)
    (model, unfused), (_, fused) = (compiled(design, table, f) for f in (False, True))
    start = model.initial_point()
    rng = np.random.default_rng(1)
    point = [start[v.name] + rng.normal(0, 0.3, np.shape(start[v.name]))
             for v in model.value_vars]
    for got, want in zip(fused(*point), unfused(*point), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-8)
    for label, function in (("unfused", unfused), ("fused", fused)):
        function(*point)
        begin = time.perf_counter()
        for _ in range(calls):
            function(*point)
        print(f"{name} {label}: {(time.perf_counter() - begin) / calls * 1000:.3f} ms per call")


if __name__ == "__main__":
    main(*sys.argv[1:2])
