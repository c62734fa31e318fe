"""Running many fits: in this process, or on any ``concurrent.futures`` executor.

A task is a module-level function and its arguments. On an executor both travel as one
cloudpickle payload and the result comes back the same way, so that executors whose own
serializer is the standard ``pickle`` (a ``ProcessPoolExecutor``) carry fits and families as
well as dask does. A task runs the same way in this process and on a worker: with its warnings
recorded and returned beside its result, to be shown once, in this process, labelled with the
tasks that raised them.

Every task's seed is derived from one seed and the task's position (:func:`derived_seed`), and
every task's model is compiled with its data as variables, so that the results do not depend
on where, in which order or how many at a time the tasks run.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

import cloudpickle
import numpy as np

from ..errors import SettingsError
from ..inference.compile_cache import many_data_sets


def derived_seed(seed: int, *keys: int) -> int:
    """A seed for the task ``keys`` of a run whose seed is ``seed``.

    The same ``seed`` and ``keys`` give the same seed on every machine; different keys give
    independent streams (NumPy's ``SeedSequence``).
    """
    state = np.random.SeedSequence([int(seed), *(int(k) for k in keys)])
    return int(state.generate_state(1, dtype=np.uint64)[0])


def as_executor(executor) -> Executor | None:
    """``executor`` as a ``concurrent.futures.Executor``, or None to run in this process.

    A ``dask.distributed.Client`` becomes its executor view (``client.get_executor()``), each
    task a new one (``pure=False``).

    Raises
    ------
    SettingsError
        For anything else.
    """
    if executor is None or isinstance(executor, Executor):
        return executor
    get_executor = getattr(executor, "get_executor", None)
    if callable(get_executor):
        view = get_executor(pure=False)
        if isinstance(view, Executor):
            return view
    raise SettingsError(
        f"executor must be a concurrent.futures.Executor (a ProcessPoolExecutor, a "
        f"dask.distributed Client or its get_executor(), mpi4py's MPIPoolExecutor, ...) or "
        f"None to fit in this process, got {type(executor).__name__}.")


def side_by_side_arguments(brm_args: dict, executor: Executor | None, sampler: str) -> dict:
    """The ``brm()`` arguments of fits that ``executor`` runs side by side.

    PyMC's own sampler runs its chains as processes, which a worker process may not start
    (dask's workers are daemons) and which would crowd the worker's cores: on an executor its
    fits run their chains one after another (``cores=1``) unless ``cores`` is given. The
    other samplers keep :func:`~multilevel.brm`'s default. Their chains are threads, and
    numpyro's XLA runtime spreads even a single chain over a pool of threads, one per core,
    which then mostly wait on each other; running the chains side by side keeps each of
    those threads on a chain of its own instead.

    Parameters
    ----------
    brm_args
        The arguments of :func:`~multilevel.brm` the caller gave.
    executor
        The executor, or None when the fits run one after another in this process.
    sampler
        The sampler the fits will use (``brm_args``'s, or the refitted fit's).

    Returns
    -------
    dict
        ``brm_args`` with the progress bar off unless asked for, and ``cores=1`` where the
        rule above sets it.
    """
    arguments = {"progressbar": False, **brm_args}
    if executor is not None and sampler == "pymc" and "cores" not in brm_args:
        arguments["cores"] = 1
    return arguments


def _recorded(function: Callable, arguments: tuple) -> tuple[object, list[tuple[type, str]]]:
    """The result of ``function(*arguments)`` and the warnings it raised, in order.

    The task is one of many fits of a structure, so its model is compiled for other data
    too (:func:`~multilevel.inference.compile_cache.many_data_sets`): the same program serves
    the tasks after it, and its draws do not depend on the tasks that ran before it.
    """
    with many_data_sets(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*arguments)
    messages = list(dict.fromkeys((w.category, str(w.message)) for w in caught))
    return result, messages


def run_payload(payload: bytes) -> bytes:
    """Run the task in ``payload`` (cloudpickled function and arguments): what a worker runs.

    Returns
    -------
    bytes
        The cloudpickled result and warnings of the task.
    """
    function, arguments = cloudpickle.loads(payload)
    return cloudpickle.dumps(_recorded(function, arguments))


def run_tasks(function: Callable, tasks: Sequence[tuple], executor: Executor | None,
              names: tuple[str, str], keys: Sequence) -> list:
    """``function(*task)`` for every task, in this process or on ``executor``.

    Parameters
    ----------
    function
        A module-level function (workers import it by name).
    tasks
        The arguments of each call.
    executor
        As returned by :func:`as_executor`.
    names
        How a warning names the tasks that raised it, one and several:
        ``("Refit of fold", "Refits of folds")``.
    keys
        Each task's key in those names: ``"Refits of folds 1, 3: ..."``.

    Returns
    -------
    list
        The results, in the order of ``tasks``. The tasks' warnings are raised here, each
        once, with the keys of the tasks that raised it.
    """
    if executor is None:
        outcomes = [_recorded(function, task) for task in tasks]
    else:
        futures = [executor.submit(run_payload, cloudpickle.dumps((function, task)))
                   for task in tasks]
        try:
            outcomes = [cloudpickle.loads(future.result()) for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    raised: dict[tuple[type, str], list[str]] = {}
    for key, (_, messages) in zip(keys, outcomes, strict=True):
        for message in messages:
            raised.setdefault(message, []).append(str(key))
    for (category, text), where in raised.items():
        name = names[0] if len(where) == 1 else names[1]
        warnings.warn(f"{name} {', '.join(where)}: {text}", category, stacklevel=2)
    return [result for result, _ in outcomes]
