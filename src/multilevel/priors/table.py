"""Priors: brms's default prior table, user priors in Stan's spelling, and their checks."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import PriorError, close_matches
from ..families.family import format_number
from ..names import r_sort_key
from ..spec.design import Design
from .distributions import Distribution, parse_distribution
from .special import check_constant_priors, check_special_priors

COLUMNS = ["prior", "class", "coef", "group", "resp", "dpar", "nlpar", "lb", "ub", "tag",
           "source"]


@dataclass(frozen=True)
class Prior:
    """A user prior, as made by :func:`prior`."""

    prior: str
    class_: str = "b"
    coef: str = ""
    group: str = ""
    dpar: str = ""
    lb: float | None = None
    ub: float | None = None
    nlpar: str = ""

    @property
    def parameter(self) -> str:
        """The distributional or non-linear parameter the prior is on; empty for the mean."""
        return self.dpar or self.nlpar

    def describe(self) -> str:
        parts = [f"class {self.class_!r}"]
        if self.coef:
            parts.append(f"coef {self.coef!r}")
        if self.group:
            parts.append(f"group {self.group!r}")
        if self.dpar:
            parts.append(f"dpar {self.dpar!r}")
        if self.nlpar:
            parts.append(f"nlpar {self.nlpar!r}")
        for bound in ("lb", "ub"):
            if getattr(self, bound) is not None:
                parts.append(f"{bound} {format_number(getattr(self, bound))}")
        return f"{self.prior} on " + ", ".join(parts)


# the classes whose bounds a user may set, as brms's lb and ub: population-level effects, the
# intercept and a family's own parameters (sd, cor and the others keep theirs)
BOUNDED_CLASSES = ("b", "Intercept")


def _bound_value(name: str, value, prior: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise PriorError(f"{name} of prior {prior!r} must be a finite number, got {value!r}.")
    return float(value)


def prior(prior: str, class_: str = "b", coef: str = "", group: str = "",
          dpar: str = "", lb: float | None = None, ub: float | None = None,
          nlpar: str = "") -> Prior:
    """Specify a prior as brms's ``prior()`` / ``set_prior()`` does.

    Parameters
    ----------
    prior
        A Stan-spelled distribution, e.g. ``"normal(0, 10)"``.
    class_
        The parameter class: ``b``, ``Intercept``, ``sd``, ``cor`` (or brms 2.18's ``L``),
        ``sigma``, or a family parameter such as ``shape``, ``nu``, ``phi``.
    coef
        A coefficient within the class (``"Days"``); empty for the whole class.
    group
        A grouping factor for ``sd`` and ``cor`` (``"Subject"``).
    dpar
        Distributional parameter; empty for the mean.
    lb, ub
        Bounds of the whole class, as brms's ``lb`` and ``ub``: the parameters are
        restricted to them and the prior truncated there (``lb=0`` for effects known to be
        positive). For class ``b`` (all population-level effects of ``dpar``), ``Intercept``
        and a family's parameters (``sigma``, ``shape``, ...); not with ``coef``, as in brms.
    nlpar
        Non-linear parameter of a formula of ``bf(..., nl=True)`` (``"b1"``): the class's
        prior within that parameter's formula.

    Returns
    -------
    Prior
        To pass to :func:`multilevel.brm` or :func:`multilevel.get_prior`, alone or in a list.
    """
    parse_distribution(prior)
    for argument, value in (("class_", class_), ("coef", coef), ("group", group),
                            ("dpar", dpar), ("nlpar", nlpar)):
        if not isinstance(value, str):
            raise PriorError(f"{argument} of prior {prior!r} must be a string, got {value!r}.")
    if dpar and nlpar:
        raise PriorError(f"Prior {prior!r}: give dpar or nlpar, not both.")
    class_ = "cor" if class_ == "L" else class_
    lb, ub = _bound_value("lb", lb, prior), _bound_value("ub", ub, prior)
    if lb is not None or ub is not None:
        if coef:
            raise PriorError(f"Prior {prior!r}: bounds apply to a whole class, so coef "
                             f"({coef!r}) may not be given with lb or ub, as in brms.")
        if lb is not None and ub is not None and not lb < ub:
            raise PriorError(f"Prior {prior!r}: lb ({lb:g}) must be below ub ({ub:g}).")
    return Prior(prior.strip(), class_, coef, group, dpar, lb, ub, nlpar)


@dataclass(frozen=True)
class PriorRow:
    """One row of brms's prior table."""

    prior: Distribution
    class_: str
    coef: str = ""
    group: str = ""
    lb: str = ""
    source: str = "default"
    dpar: str = ""
    ub: str = ""
    # ``dpar`` names a non-linear parameter, shown in brms's nlpar column
    nonlinear: bool = False

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.class_, self.coef, self.group, self.dpar)


def _sort_key(row: PriorRow):
    # brms orders its table with R's order(), which collates strings as ICU does: "sx_1"
    # before "sx2_1", "x_a" before "x2"
    return (row.nonlinear, row.dpar, r_sort_key(row.class_), r_sort_key(row.group),
            r_sort_key(row.coef))


@dataclass(frozen=True)
class PriorTable:
    """brms's prior table of a model, defaults merged with the user's priors."""

    rows: tuple[PriorRow, ...]
    # the values of the data's quantities the priors and bounds name (min_Y)
    symbols: dict[str, float] = field(default_factory=dict)
    # a categorical family's class b and Intercept rows without a dpar, whose priors stand
    # for every category's (_for_each_category): brms's get_prior() shows them, its fitted
    # model's table does not
    category_wide: tuple[PriorRow, ...] = ()

    def to_frame(self, category_wide: bool = False) -> pd.DataFrame:
        """The table in brms's layout and order, with the :attr:`category_wide` rows if
        asked, as brms's ``get_prior()``."""
        rows = self.rows
        if category_wide and self.category_wide:
            rows = tuple(sorted(rows + self.category_wide, key=_sort_key))
        records = [
            {
                "prior": str(row.prior), "class": row.class_, "coef": row.coef,
                "group": row.group, "resp": "", "dpar": "" if row.nonlinear else row.dpar,
                "nlpar": row.dpar if row.nonlinear else "", "lb": row.lb,
                "ub": row.ub, "tag": "", "source": row.source,
            }
            for row in rows
        ]
        return pd.DataFrame.from_records(records, columns=COLUMNS)

    def lookup(self, class_: str, coef: str = "", group: str = "", dpar: str = "") -> Distribution:
        """The prior in force for one parameter (vectorized rows already inherit)."""
        return self._row(class_, coef, group, dpar).prior

    def bounds(self, class_: str, coef: str = "", group: str = "",
               dpar: str = "") -> tuple[float | None, float | None]:
        """The parameter's lower and upper bounds (None where it has none)."""
        row = self._row(class_, coef, group, dpar)
        return tuple(None if bound == "" else
                     self.symbols[bound] if bound in self.symbols else float(bound)
                     for bound in (row.lb, row.ub))

    def _row(self, class_: str, coef: str, group: str, dpar: str) -> PriorRow:
        for row in self.rows:
            if row.key == (class_, coef, group, dpar):
                return row
        raise KeyError((class_, coef, group, dpar))


def _population_rows(b_names: list[str], has_intercept: bool, intercept: Distribution,
                     dpar: str, thresholds: int = 0) -> list[PriorRow]:
    rows = []
    if b_names:
        rows.append(PriorRow(Distribution("flat"), "b", dpar=dpar))
        rows.extend(PriorRow(Distribution("flat"), "b", coef=n, source="(vectorized)", dpar=dpar)
                    for n in b_names)
    if has_intercept:
        rows.append(PriorRow(intercept, "Intercept", dpar=dpar))
        # an ordinal model's thresholds, each of which may take its own prior
        rows.extend(PriorRow(intercept, "Intercept", coef=str(k), source="(vectorized)",
                             dpar=dpar) for k in range(1, thresholds + 1))
    return rows


def _sd_rows(design: Design, dpar: str, sd_prior: Distribution) -> list[PriorRow]:
    blocks = [block for block in design.blocks if block.dpar == dpar]
    if not blocks:
        return []
    rows = [PriorRow(sd_prior, "sd", lb="0", dpar=dpar)]
    for group in dict.fromkeys(block.group for block in blocks):
        rows.append(PriorRow(sd_prior, "sd", group=group, lb="0", source="(vectorized)",
                             dpar=dpar))
        rows.extend(
            PriorRow(sd_prior, "sd", coef=block.own_coef(coef), group=group, lb="0",
                     source="(vectorized)", dpar=dpar)
            for block in blocks if block.group == group for coef in block.coefs
        )
    return rows


def _bound(value: float | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else format_number(value)


def data_symbols(design: Design) -> dict[str, float]:
    """The data's quantities that priors and bounds may name, as brms's Stan code does."""
    return {"min_Y": float(np.min(design.y))}


def _default_rows(design: Design) -> list[PriorRow]:
    family = design.family
    offset_mean = float(np.mean(design.offset)) if design.offset is not None else 0.0
    location_scale = family.intercept_prior_location_scale(design.y, offset_mean)
    location, scale = location_scale if location_scale is not None else (0.0, 2.5)
    thresholds = design.thresholds
    special_names = ([name for part in design.smooths for name in part.fixed_names]
                     + [part.term.coef for part in design.monotonic]
                     + ([] if design.category_specific is None
                        else design.category_specific.names))
    rows = _population_rows(design.b_names + special_names, design.has_intercept,
                            Distribution("student_t", (3.0, location, scale)), "", thresholds)
    # each monotonic effect's simplex: a flat Dirichlet, as brms
    rows += [PriorRow(Distribution("dirichlet", (1.0,)), "simo", coef=part.term.simplex)
             for part in design.monotonic]
    rows += _sd_rows(design, "", Distribution("student_t", (3.0, 0.0, scale)))
    if design.smooths:
        # the sd of a smooth's penalised coefficients gets the group-level sd prior, as brms
        rows.append(PriorRow(Distribution("student_t", (3.0, 0.0, scale)), "sds", lb="0"))
        rows.extend(PriorRow(Distribution("student_t", (3.0, 0.0, scale)), "sds",
                             coef=label, lb="0", source="(vectorized)")
                    for label in dict.fromkeys(part.term.label for part in design.smooths))
    # the response on its family's scale: brms scales sigma's default prior by it, the log
    # of a lognormal response (its zeros at 0.1) but the raw response under a log link
    def own_scale(owner):
        if owner.log_scale_response:
            return np.log(np.where(design.y == 0, 0.1, design.y))
        return design.y

    correlated = [g for g in design.groups if design.correlation_names(g)]
    if correlated:
        rows.append(PriorRow(Distribution("lkj", (1.0,)), "cor"))
        rows.extend(PriorRow(Distribution("lkj", (1.0,)), "cor", group=g,
                             source="(vectorized)") for g in correlated)
    for aux in family.aux:
        if aux.name in design.fixed_aux:
            continue  # held at a value, without a prior (sigma under se(), as brms)
        owner = family.component_of(aux.name)
        if any(c.log_scale_response for c in family.components):
            # brms scales every component's defaults by the log response where one
            # component models it
            owner = replace(owner, log_scale_response=True)
        if aux.name in design.dpars:
            part = design.dpars[aux.name]
            intercept, sd_scale = parse_distribution(aux.dpar_intercept_prior), scale
            if aux.name in family.formula_parameters and family.components:
                # a mixture component's mean has its family's defaults, as brms's
                offset = 0.0 if part.offset is None else float(np.mean(part.offset))
                own = owner.intercept_prior_location_scale(design.y, offset)
                own_location, sd_scale = own if own is not None else (0.0, 2.5)
                intercept = Distribution("student_t", (3.0, own_location, sd_scale))
            rows += _population_rows(part.b_names, part.has_intercept, intercept, aux.name)
            rows += _sd_rows(design, aux.name, Distribution("student_t", (3.0, 0.0, sd_scale)))
            continue
        if aux.name in family.mixing_proportions:
            if aux.name == family.mixing_proportions[0]:
                # one simplex of all proportions, as brms's theta
                rows.append(PriorRow(Distribution("dirichlet", (1.0,)), "theta"))
            continue
        rows.append(PriorRow(parse_distribution(aux.default_prior(own_scale(owner)),
                                                data_symbols(design)),
                             aux.name, lb=_bound(aux.lower), ub=_bound(aux.upper)))
    # brms 2.18 lists the proportions left at 0 beside predicted ones with a prior its model
    # does not use; the table shows them as brms's
    rows += [PriorRow(Distribution("logistic", (0.0, 1.0)), name, lb="-Inf", ub="Inf")
             for name in family.mixing_proportions if family.predicted_proportions
             and name not in design.dpars and name not in design.fixed_aux]
    for name, part in design.nlpars.items():
        # brms's non-linear parameters: their intercepts are coefficients of class b, flat
        rows += [replace(row, nonlinear=True) for row in
                 _population_rows(part.b_names, False, Distribution("flat"), name)
                 + _sd_rows(design, name, Distribution("student_t", (3.0, 0.0, scale)))]
    rows += _autocor_rows(design)
    return sorted(rows, key=_sort_key)


def _autocor_rows(design: Design) -> list[PriorRow]:
    """Priors on a residual structure's parameters, as brms: flat, and LKJ for unstr()'s
    correlation matrix.

    brms bounds the ARMA coefficients only where they define a covariance matrix; through
    lagged residuals (cov = FALSE) they are unbounded.
    """
    if design.autocor is None:
        return []
    term = design.autocor.term
    if term.kind == "cosy":
        return [PriorRow(Distribution("flat"), "cosy", lb="0", ub="1")]
    if term.kind == "unstr":
        return [PriorRow(Distribution("lkj", (1.0,)), "cortime")]
    return ([PriorRow(Distribution("flat"), "ar")] if term.p else []) + (
        [PriorRow(Distribution("flat"), "ma")] if term.q else [])


def _parents(row: PriorRow) -> list[tuple[str, str, str, str]]:
    """Keys a vectorized row inherits from, most specific first."""
    keys = []
    if row.coef and row.group:
        keys.append((row.class_, "", row.group, row.dpar))
    if row.coef or row.group:
        keys.append((row.class_, "", "", row.dpar))
    return keys


def _hint(user: Prior, rows) -> str:
    """What a prior that matches no parameter may have meant: an intercept that is a
    coefficient here, or the nearest name."""
    explicit = any(r.class_ == "b" and r.coef == "Intercept" and r.dpar == user.dpar
                   for r in rows)
    if user.class_ == "Intercept" and not user.coef and explicit:
        return (" (the intercept is a population-level coefficient here, as with '0 + "
                "Intercept' or bf(center=False): give its prior class_='b', "
                "coef='Intercept')")
    return close_matches(user.coef or user.class_, [r.coef or r.class_ for r in rows])


def _valid_targets(rows: Iterable[PriorRow]) -> str:
    descriptions = []
    for row in rows:
        parts = [f"class={row.class_!r}"]
        if row.coef:
            parts.append(f"coef={row.coef!r}")
        if row.group:
            parts.append(f"group={row.group!r}")
        if row.dpar:
            parts.append(f"{'nlpar' if row.nonlinear else 'dpar'}={row.dpar!r}")
        descriptions.append("(" + ", ".join(parts) + ")")
    return "; ".join(descriptions)


def as_prior_list(priors) -> list[Prior]:
    """User priors as a list: None, one :class:`Prior` or an iterable of them."""
    if priors is None:
        return []
    if isinstance(priors, Prior):
        return [priors]
    if isinstance(priors, str):
        raise PriorError(
            f"Pass priors made with ml.prior(), e.g. ml.prior({priors!r}, class_='b'), not a "
            "bare string."
        )
    items = list(priors)
    for item in items:
        if not isinstance(item, Prior):
            raise PriorError(f"Each prior must be made with ml.prior(), got {item!r}.")
    return items


def _warn_bound_mismatch(user: Prior, distribution: Distribution, row: PriorRow) -> None:
    if row.lb == "" and distribution.support_lower is not None:
        warnings.warn(
            f"Prior {user.describe()}: {distribution.name} has a lower bound but the parameter "
            "is unbounded, so the posterior is restricted to that bound.",
            UserWarning,
            stacklevel=4,
        )


def _with_user_bounds(rows: list[PriorRow], priors: list[Prior],
                      design: Design) -> list[PriorRow]:
    """``rows`` with the bounds users set on a class: its row and its coefficients' rows."""
    aux = {parameter.name for parameter in design.family.aux}
    for user in priors:
        if user.lb is None and user.ub is None:
            continue
        if user.class_ not in BOUNDED_CLASSES and user.class_ not in aux:
            raise PriorError(
                f"Prior {user.describe()}: bounds can be set on class 'b', 'Intercept' or a "
                f"family parameter ({', '.join(sorted(aux)) or 'none here'}); the bounds of "
                f"class {user.class_!r} are brms's own.")
        if user.class_ == "Intercept" and design.thresholds:
            raise PriorError(f"Prior {user.describe()}: an ordinal model's thresholds take no "
                             "bounds.")
        rows = [replace(row, lb=row.lb if user.lb is None else _bound(user.lb),
                        ub=row.ub if user.ub is None else _bound(user.ub))
                if row.class_ == user.class_ and row.dpar == user.parameter
                and row.group == user.group else row for row in rows]
    return rows


def _for_each_category(priors: list[Prior], rows: list[PriorRow],
                       design: Design) -> list[Prior]:
    """brms 2.18's global priors of a categorical family (categorical, dirichlet,
    multinomial): a prior on class ``b`` or ``Intercept`` without coef or dpar stands for
    that class of every predicted parameter that has no prior of its own, with brms's
    deprecation warning."""
    if not design.family.categorical:
        return priors
    # a category's own prior, unless it is empty (flat), which the global one fills
    own = {(user.class_, user.parameter) for user in priors
           if not user.coef and parse_distribution(user.prior).name != "flat"}
    copies = {}
    for user in priors:
        if (user.class_ not in ("b", "Intercept") or user.coef or user.group
                or user.parameter):
            continue
        warnings.warn("Specifying global priors for regression coefficients in categorical "
                      "models is deprecated. Please specify priors separately for each "
                      "response category.", UserWarning, stacklevel=4)
        # the prior alone: brms leaves its bounds behind
        copies[user] = [replace(user, dpar=row.dpar, lb=None, ub=None) for row in rows
                        if row.class_ == user.class_ and not row.coef and not row.group
                        and row.dpar and not row.nonlinear
                        and (user.class_, row.dpar) not in own]
    filled = {(copy.class_, copy.dpar) for made in copies.values() for copy in made}
    expanded = []
    for user in priors:
        if user in copies:
            # on a class no parameter has, the prior stays to be reported as matching none
            expanded += copies[user] or [user]
        elif (user.class_, user.parameter) not in filled or user.coef:
            expanded.append(user)
    return expanded


def _simplex_size(design: Design, user: Prior) -> int | None:
    """The number of elements of the simplex a ``simo`` or ``theta`` prior is on."""
    if user.class_ == "theta":
        return len(design.family.components)
    return next((part.size for part in design.monotonic
                 if part.term.simplex == user.coef), None)


def build_prior_table(design: Design, priors=None) -> PriorTable:
    """brms's prior table for a design, with the user's priors set.

    Parameters
    ----------
    design
        The evaluated model design.
    priors
        A :class:`Prior` or a list of them, or None for brms's defaults.

    Raises
    ------
    PriorError
        For a prior on a parameter the model lacks (listing the valid ones) or a prior
        given twice.
    """
    defaults, given = _default_rows(design), as_prior_list(priors)
    seen = set()
    for user in given:
        key = (user.class_, user.coef, user.group, user.parameter)
        if key in seen:
            raise PriorError(f"Duplicated prior: {user.describe()} is given more than once.")
        seen.add(key)
    priors = _for_each_category(given, defaults, design)
    # brms keeps the source of the rows a global prior was copied to
    copied = {(user.class_, user.coef, user.group, user.parameter)
              for user in priors if user not in given}
    rows = _with_user_bounds(defaults, priors, design)
    index = {row.key: k for k, row in enumerate(rows)}
    unmatched: list[Prior] = []
    for user in priors:
        key = (user.class_, user.coef, user.group, user.parameter)
        if key not in index:
            unmatched.append(user)
            continue
        if rows[index[key]].nonlinear != bool(user.nlpar):
            right, wrong = ("nlpar", "dpar") if user.dpar else ("dpar", "nlpar")
            raise PriorError(f"Prior {user.describe()}: {user.parameter!r} is a "
                             f"{'non-linear' if user.dpar else 'distributional'} parameter; "
                             f"write {right}={user.parameter!r}, not {wrong}.")
        distribution = parse_distribution(user.prior, data_symbols(design))
        row = rows[index[key]]
        if user.class_ == "cor" and distribution.name not in ("lkj", "lkj_corr_cholesky"):
            raise PriorError(f"Prior {user.describe()}: correlations take lkj(eta).")
        if user.class_ != "cor" and distribution.name in ("lkj", "lkj_corr_cholesky"):
            raise PriorError(f"Prior {user.describe()}: lkj() applies to class 'cor' only.")
        if (user.class_ in ("simo", "theta")) != (distribution.name == "dirichlet"):
            raise PriorError(f"Prior {user.describe()}: a simplex (a monotonic effect's, class "
                             "'simo', or a mixture's proportions, class 'theta') takes "
                             "dirichlet(alpha), and only it does.")
        size = _simplex_size(design, user)
        if distribution.name == "dirichlet" and len(distribution.args) not in (1, size):
            raise PriorError(f"Prior {user.describe()}: the simplex has {size} elements, so "
                             f"it takes one concentration or {size}, got "
                             f"{len(distribution.args)}.")
        if distribution.name == "lkj_corr_cholesky":
            distribution = Distribution("lkj", distribution.args)
        _warn_bound_mismatch(user, distribution, row)
        rows[index[key]] = replace(row, prior=distribution,
                                   source="default" if key in copied else "user")
    if unmatched:
        raise PriorError(
            "The following priors do not correspond to any model parameter: "
            + "; ".join(user.describe() + _hint(user, rows) for user in unmatched)
            + ". Valid targets: "
            + _valid_targets(rows)
            + "."
        )
    # Vectorized rows take the prior of their nearest user-set parent; rows are sorted so that
    # a group's row comes before its coefficients' rows.
    user_set = {row.key for row in rows if row.source == "user"} | copied
    for k, row in enumerate(rows):
        if row.source != "(vectorized)":
            continue
        for parent_key in _parents(row):
            if parent_key in user_set:
                rows[k] = replace(row, prior=rows[index[parent_key]].prior)
                user_set.add(row.key)
                break
    check_special_priors(rows, design)
    check_constant_priors(rows, design)
    wide = ()
    if design.family.categorical:
        globals_ = {user.class_: user for user in given
                    if not (user.coef or user.group or user.parameter)}
        # a class's row where some parameter has that class, as brms's get_prior()
        present = {row.class_ for row in rows if row.dpar and not row.nonlinear}
        wide = tuple(PriorRow(parse_distribution(globals_[class_].prior, data_symbols(design)),
                              class_, source="user") if class_ in globals_
                     else PriorRow(Distribution("flat"), class_)
                     for class_ in ("b", "Intercept") if class_ in present)
    return PriorTable(tuple(rows), data_symbols(design), wide)


def require_nonlinear_priors(table: PriorTable) -> None:
    """Raise brms's error for a non-linear parameter whose coefficients all keep the flat
    default: brms requires a prior on at least one of them before it builds the model."""
    for name in dict.fromkeys(row.dpar for row in table.rows if row.nonlinear):
        if all(row.prior.name == "flat" for row in table.rows
               if row.nonlinear and row.dpar == name and row.class_ == "b"):
            raise PriorError(
                "Priors on population-level coefficients are required in non-linear models, "
                f"but none were found for parameter {name!r}: set one with "
                f"ml.prior('normal(0, 10)', nlpar={name!r}), on its class or a coefficient.")
