"""The command line, for scripted runs: fit a model to a CSV file and save it, print a saved
fit's summary, write a model's equations.

::

    multilevel fit "Reaction ~ Days + (Days | Subject)" sleepstudy.csv --out fits/sleep
    multilevel summary fits/sleep --prob 0.9
    multilevel equation "Reaction ~ Days + (Days | Subject)" sleepstudy.csv --notation rb

``python -m multilevel`` is the same program. A mistake in the input (a formula naming no
column, a missing file, an unknown family or prior) prints one line and exits with status 2;
brms's sampler warnings are printed after the summary, one line each.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd

from . import api
from .errors import MultilevelError, PriorError
from .families import get_family
from .priors.table import Prior, prior
from .results.caller import DEFAULT_DATA_NAME

PROGRAM = "multilevel"
# the exit status of a mistake in the command or its input, as argparse's own
USAGE_ERROR = 2
# the fields of a prior after its distribution, in order, in the "normal(0, 1):b:Days" form
PRIOR_FIELDS = ("class_", "coef", "group", "dpar")


class CommandError(Exception):
    """A mistake in the command's input, reported in one line."""


def _split_top_level(text: str, separator: str) -> list[str]:
    pieces, depth, current = [], 0, []
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == separator and depth == 0:
            pieces.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    return [*pieces, "".join(current).strip()]


def parse_prior(text: str) -> Prior:
    """A prior written on the command line.

    Either brms's call without ``prior(...)``: ``"normal(0, 1), class=b, coef=Days"``, or
    the short form ``"normal(0, 1):b:Days"`` (distribution, class, coef, group, dpar; a coef
    holding ``:``, as ``ses:himinty``, needs the first form).

    Raises
    ------
    PriorError
        When a field is not one of class, coef, group and dpar, or one is given twice.
    """
    pieces = _split_top_level(text, ",")
    if len(pieces) > 1 or "=" in text.split(")")[-1]:
        fields = {}
        for piece in pieces[1:]:
            name, _, value = piece.partition("=")
            name = name.strip().rstrip("_")
            if name not in ("class", "coef", "group", "dpar") or not _ or name in fields:
                raise PriorError(
                    f"Cannot read {piece!r} in the prior {text!r}: write the distribution, "
                    "then class=, coef=, group= or dpar= each at most once, e.g. "
                    "'normal(0, 1), class=b, coef=Days'.")
            fields[name] = value.strip()
        class_ = fields.pop("class", "b")
        return prior(pieces[0], class_=class_, **fields)
    parts = _split_top_level(text, ":")
    if len(parts) > 1 + len(PRIOR_FIELDS):
        raise PriorError(f"The prior {text!r} has more fields than distribution:class:coef:"
                         "group:dpar; for a coef holding ':' write "
                         "'normal(0, 1), class=b, coef=ses:himinty'.")
    fields = dict(zip(PRIOR_FIELDS, parts[1:], strict=False))
    return prior(parts[0], **{"class_": "b", **{k: v for k, v in fields.items() if v}})


def _read_csv(path: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise CommandError(f"No data file {path!r}.") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as error:
        raise CommandError(f"Cannot read {path!r} as CSV: {error}".rstrip(".") + ".") from None


def _family(args: argparse.Namespace):
    return get_family(args.family, args.link) if args.link else args.family


def _fit(args: argparse.Namespace) -> None:
    data = _read_csv(args.data)
    priors = [parse_prior(text) for text in args.prior] or None
    fit = api.brm(args.formula, data, family=_family(args), prior=priors, chains=args.chains,
                  draws=args.draws, warmup=args.warmup, iter=args.iter, cores=args.cores,
                  seed=args.seed, target_accept=args.target_accept, sampler=args.sampler,
                  progressbar=not args.no_progress, sample_prior=args.sample_prior,
                  file=args.out, data_name=Path(args.data).stem or DEFAULT_DATA_NAME)
    print(fit.summary(prob=args.prob))


def _summary(args: argparse.Namespace) -> None:
    print(api.load(args.fit).summary(prob=args.prob))


def _equation(args: argparse.Namespace) -> None:
    data = _read_csv(args.data)
    priors = [parse_prior(text) for text in args.prior] or None
    try:
        equation = api.equation(args.formula, data, family=_family(args), prior=priors,
                                notation=args.notation, priors=args.priors,
                                expand=args.expand)
    except ImportError as error:
        raise CommandError(f"Equations are not available in this installation: "
                           f"{error}.") from None
    print(equation.latex)


def _model_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("formula", help='lme4/brms formula, e.g. "y ~ x + (1 | g)"')
    command.add_argument("data", help="CSV file with a header row")
    command.add_argument("--family", default="gaussian",
                         help="response family (gaussian, poisson, bernoulli, ...)")
    command.add_argument("--link", help="link function of the family (default: its own)")
    command.add_argument("--prior", action="append", default=[], metavar="PRIOR",
                         help="a prior, as 'normal(0, 1):b' or 'normal(0, 1):b:Days' "
                              "(distribution:class:coef:group:dpar) or "
                              "'normal(0, 1), class=b, coef=Days'; repeat for more")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``multilevel`` command and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description="Bayesian multilevel models with lme4/brms formulas.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fit = commands.add_parser("fit", help="fit a model, print its summary and save it",
                              description="Fit a model as brm() does, print brms's summary "
                                          "and save the fit to --out.")
    _model_arguments(fit)
    fit.add_argument("--out", metavar="DIR",
                     help="directory to save the fit to (as brm(file=DIR): an identical fit "
                          "saved there is loaded instead of sampled again)")
    fit.add_argument("--chains", type=int, default=4)
    fit.add_argument("--draws", type=int, help="post-warmup draws per chain (default 1000)")
    fit.add_argument("--warmup", type=int, help="warmup iterations per chain (default 1000)")
    fit.add_argument("--iter", type=int,
                     help="brms's iterations per chain, warmup included (instead of --draws)")
    fit.add_argument("--seed", type=int)
    fit.add_argument("--cores", type=int)
    fit.add_argument("--target-accept", "--adapt-delta", type=float, dest="target_accept",
                     help="NUTS target acceptance rate (brms's adapt_delta, default 0.8)")
    fit.add_argument("--sampler", default="auto",
                     help="auto, numpyro, nutpie, pymc or blackjax")
    fit.add_argument("--sample-prior", default="no", choices=("no", "yes", "only"))
    fit.add_argument("--prob", type=float, default=0.95,
                     help="probability of the summary's intervals (default 0.95)")
    fit.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    fit.set_defaults(run=_fit)

    summary = commands.add_parser("summary", help="print the summary of a saved fit",
                                  description="Print brms's summary of a fit saved by "
                                              "'multilevel fit --out' or fit.save().")
    summary.add_argument("fit", metavar="DIR", help="the directory the fit was saved to")
    summary.add_argument("--prob", type=float, default=0.95,
                         help="probability of the intervals (default 0.95)")
    summary.set_defaults(run=_summary)

    equation = commands.add_parser("equation", help="print a model's equations in LaTeX",
                                   description="Print the model's equations in LaTeX, "
                                               "without fitting it.")
    _model_arguments(equation)
    equation.add_argument("--notation", default="gh", choices=("gh", "rb"),
                          help="gh: Gelman & Hill's indexed form; rb: Raudenbush & Bryk's "
                               "levels")
    equation.add_argument("--priors", action="store_true", help="also write the priors")
    equation.add_argument("--expand", action="store_true",
                          help="in rb notation, the combined (mixed-model) form")
    equation.set_defaults(run=_equation)
    return parser


def _report(caught: list[warnings.WarningMessage]) -> None:
    """The warnings of the run, one line each, as a command-line program writes them."""
    shown = set()
    for warning in caught:
        text = " ".join(str(warning.message).split())
        if issubclass(warning.category, UserWarning) and text not in shown:
            shown.add(text)
            print(f"{PROGRAM}: warning: {text}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the ``multilevel`` command with ``argv`` (the process's arguments by default).

    Returns
    -------
    int
        The exit status: 0, or 2 after a mistake in the command or its input.
    """
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            args.run(args)
        except (MultilevelError, CommandError) as error:
            print(f"{PROGRAM}: error: {' '.join(str(error).split())}", file=sys.stderr)
            return USAGE_ERROR
        finally:
            _report(caught)
    return 0
