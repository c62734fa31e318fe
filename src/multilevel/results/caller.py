"""The user's side of a call: the line that called the package, and the names it used.

Warnings are raised deep inside the pipeline (a design dropping rows, a sampler reporting
divergences), where a fixed ``stacklevel`` points at whichever package function happened to
call, not at the user's line. Calls made by the user are wrapped in
:func:`warnings_at_callers_line`: their warnings are collected and shown once each, after the
call, at the first frame outside the package, as R shows a function's warnings once it returns.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings
from pathlib import Path
from types import FrameType

import pandas as pd

# every module of the package lies below this directory
PACKAGE_DIRECTORY = str(Path(__file__).resolve().parents[1]) + os.sep
# the name brms prints for data it cannot name
DEFAULT_DATA_NAME = "data"
# names an interactive shell binds to earlier results (_, __, _3, Out): never the user's choice
_SHELL_NAMES = ("_", "In", "Out")


def _package_file(filename: str) -> bool:
    if filename.startswith("<"):  # "<string>", "<stdin>"
        return False
    try:
        return str(Path(filename).resolve()).startswith(PACKAGE_DIRECTORY)
    except (OSError, ValueError):
        return False


def _in_package(frame: FrameType) -> bool:
    return _package_file(frame.f_code.co_filename)


def user_frame(depth: int = 1) -> FrameType | None:
    """The innermost frame outside the multilevel package, starting ``depth`` frames above
    the caller of this function.

    Returns
    -------
    frame or None
        None when every frame belongs to the package (the package running itself).
    """
    frame = sys._getframe(depth + 1)
    while frame is not None and _in_package(frame):
        frame = frame.f_back
    return frame


def data_name(data: pd.DataFrame, given: str | None = None) -> str:
    """The name brms's summary prints for ``data``: the user's variable holding it.

    brms prints the expression passed as ``data``. Here that is the name bound to this very
    object in the frame that called the package (its locals, then its globals), else the
    frame's ``data.attrs["name"]`` (set by :func:`multilevel.load_dataset`), else ``"data"``.

    Parameters
    ----------
    data
        The data frame (or list of data frames) passed to the package.
    given
        A name the user gave (``brm(..., data_name=)``); used as it is.

    Returns
    -------
    str
    """
    if given is not None:
        return str(given)
    frame = user_frame(1)
    if frame is not None:
        for namespace in (frame.f_locals, frame.f_globals):
            for name, value in namespace.items():
                if (value is data and name.isidentifier()
                        and not name.startswith("_") and name not in _SHELL_NAMES):
                    return name
    return str(getattr(data, "attrs", {}).get("name", DEFAULT_DATA_NAME))


_depth = threading.local()


def warnings_at_callers_line(function):
    """Show the warnings of ``function`` once each, at the line of the user's code that called
    the package, when the call returns.

    Warnings raised by the package's own modules move to that line, with the user's warning
    filters and once-per-line registry; those of other libraries keep their place. A call of
    a wrapped function from inside another one leaves its warnings to the outer call. The
    warning filters are the process's own again afterwards.
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if getattr(_depth, "value", 0):
            return function(*args, **kwargs)
        caller = user_frame(1)
        _depth.value = 1
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    return function(*args, **kwargs)
                finally:
                    _depth.value = 0
        finally:
            _show(caught, caller)

    return wrapper


def _show(caught: list[warnings.WarningMessage], caller: FrameType | None) -> None:
    shown = set()
    for message in caught:
        moved = caller is not None and _package_file(message.filename)
        filename, lineno = ((caller.f_code.co_filename, caller.f_lineno) if moved
                            else (message.filename, message.lineno))
        key = (str(message.message), message.category, filename, lineno)
        if key in shown:
            continue
        shown.add(key)
        if not moved:
            warnings.warn_explicit(message.message, message.category, filename, lineno,
                                   source=message.source)
            continue
        # as warnings.warn does, without the module's globals: given them, Python asks the
        # module's loader for its source, which fails for the code of "python -c"
        namespace = caller.f_globals
        warnings.warn_explicit(message.message, message.category, filename, lineno,
                               module=namespace.get("__name__", "<string>"),
                               registry=namespace.setdefault("__warningregistry__", {}))
