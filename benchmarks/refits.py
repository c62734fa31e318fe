"""Time ``fit.kfold(K)`` after a default sleepstudy fit, in this process.

Prints one JSON line: the seconds the k-fold refits took, how many sampler programs were
compiled and reused, and the elpd. Run it in a new process per measurement, with
``MULTILEVEL_CACHE_DIR=`` so that no program comes from disk::

    MULTILEVEL_CACHE_DIR= python benchmarks/refits.py --folds 10
"""

from __future__ import annotations

import argparse
import json
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=10, help="K of kfold()")
    args = parser.parse_args()

    import multilevel as ml
    from multilevel.inference import compile_cache

    data = ml.load_dataset("sleepstudy")
    fit = ml.brm("Reaction ~ Days + (Days | Subject)", data, seed=1, progressbar=False)
    before = dict(compile_cache.statistics)
    started = time.perf_counter()
    with warnings.catch_warnings():
        # a fold's convergence warnings do not change its time
        warnings.simplefilter("ignore")
        result = fit.kfold(K=args.folds)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "folds": args.folds, "seconds": round(seconds, 1),
        "compiled": compile_cache.statistics["compiled"] - before["compiled"],
        "reused": compile_cache.statistics["reused"] - before["reused"],
        "elpd_kfold": round(float(result.elpd), 1)}))


if __name__ == "__main__":
    main()
