"""A model as a standalone, readable PyMC program, as brms's ``stancode()``.

The program imports numpy, pandas, PyMC and PyTensor only. Run with the data frame bound to
``data``, it prepares the model's arrays from the data (``model_code_data``) and defines
``model``, a ``pm.Model`` whose free variables and log density are those of
:func:`multilevel.make_model`'s model (brms's parametrization, every group block a standard
normal ``z``), each variable commented with the brms parameters it holds. Priors, links and
likelihoods are written by ``model_code_parts``, residual structures by ``model_code_autocor``.
"""

from __future__ import annotations

import numpy as np

from ..model.build import THRESHOLD_DIM
from ..model.mixture import intercept_starts
from ..model.monotonic import simplex_dim
from ..model.smooths import smooth_dim
from ..names import population_names
from ..priors.special import needs_sigma, special_settings
from ..priors.table import PriorTable
from ..spec.design import Design
from ..spec.evaluation import r_ordered_frame
from ..spec.nonlinear import expression_code
from .model_code_autocor import (
    autocor_coords,
    autocor_data,
    autocor_likelihood,
    autocor_parameters,
)
from .model_code_data import (
    array_literal,
    brms_names,
    category_specific_data,
    concentrations_code,
    label_list,
    matrix_columns,
    matrix_lines,
    monotonic_positions,
    nonlinear_data,
    python_name,
    quote,
    response_lines,
    sum_lines,
    truncation_data,
)
from .model_code_groups import group_data_code, group_model_code
from .model_code_parts import (
    CENSORED_HELPER,
    LKJ_HELPER,
    ModelCodeError,
    category_specific_code,
    censored_options,
    class_code,
    code_words,
    inverse_link_code,
    likelihood_call,
    mixing_proportions_code,
    mixture_components_code,
    ordered_code,
    prior_code,
    truncated_likelihood,
    truncation_mass,
)
from .special_prior_code import special_prior_code

__all__ = ["ModelCode", "ModelCodeError", "write_model_code"]


class ModelCode(str):
    """A PyMC program as a string: ``print()`` it, save it, or see it as code in Jupyter."""

    def _repr_markdown_(self) -> str:
        return f"```python\n{self}\n```"

    def __repr__(self) -> str:
        return str(self)


# names the program itself binds, which no generated variable may take
_RESERVED = {"data", "y", "np", "pd", "pm", "pt", "model", "coords", "trials", "weights", "se", "X",
             "cens", "y2", "censored_logp", "trunc_lower", "trunc_upper", "Xcs", "thresholds",
             "offset", "mu", "eta", "lkj_corr_cholesky", "hurdle_poisson_logp", "truncated",
             "hurdle_negbinomial_logp", "zero_inflated_beta_logp", "zero_one_inflated_beta_logp",
             "shifted_lognormal_logp", "sratio_logp", "cratio_logp", "acat_logp", "untruncated"}


class _Program:
    """Writes the program's sections from a design and its prior table."""

    def __init__(self, design: Design, table: PriorTable, likelihood: bool):
        self.design, self.table, self.likelihood = design, table, likelihood
        self.taken = set(_RESERVED)
        self.data_lines: list[str] = []
        self.model_lines: list[str] = []
        self.helpers: list[str] = []
        self.coords: list[tuple[str, str]] = []
        # each parameter's linear predictor in the program ("" for the mean)
        self.predictors: dict[str, str] = {}
        self.group_variables: dict[str, str] = {}
        self.monotonic_names: dict[str, str] = {}
        # Python names of the smooths' data and variables, by brms name (sx:fa_1 -> sx_fa_1)
        self.smooth_names: dict[str, str] = {}
        # sigma's Python name where a special prior scaled by it wrote it early
        self.early_sigma = ""
        self.covariates: dict[str, str] = {}

    # --- sections -------------------------------------------------------------------------
    def text(self) -> str:
        self._data()
        self._model()
        imports = ("import numpy as np\nimport pandas as pd\nimport pymc as pm"
                   "\nimport pytensor.tensor as pt")
        if LKJ_HELPER in self.helpers:
            imports = "import math\n\n" + imports
        sections = [self._header(), imports]
        sections += [f"\n{helper}\n" for helper in self.helpers]  # PEP 8's two blank lines
        sections.append("\n".join(self.data_lines))
        coords = (["coords = {"] + [f"    {quote(name)}: {code}," for name, code in self.coords]
                  + ["}"])
        sections.append("\n".join(coords))
        body = ["with pm.Model(coords=coords) as model:"]
        body += [("    " + line) if line else ""
                 for entry in self.model_lines for line in entry.split("\n")]
        sections.append("\n".join(body))
        return "\n\n".join(sections) + "\n"

    def _header(self) -> str:
        design = self.design
        family = design.family
        name = design.data.attrs.get("name")
        lines = ["# A PyMC program of the brms model"]
        lines += [f"#     {line}" for line in design.user_spec.lines]
        lines += [f"# family: {family.name}; links: "
                  f"{family.link_description(tuple(design.dpars))}",
                  "#",
                  "# Written by multilevel. Bind the data frame to `data` and run it: it defines",
                  "# `model`, a pm.Model with the log density of the model brm() fits, in brms's",
                  "# parametrization (every group-level effect non-centred, r = (diag(sd) L z)^T).",
                  "# Comments name the brms parameters each variable holds.",
                  "#",
                  f"# data = pd.read_csv({quote((name or 'data') + '.csv')})"]
        if design.data2:
            lines.append(f"# data2 = {{{', '.join(f'{quote(k)}: ...' for k in design.data2)}}}"
                         "  # the matrices given to brm(), as pandas DataFrames")
        if not self.likelihood:
            lines.append("# Without the likelihood: the model of the priors alone "
                         "(sample_prior='only').")
        return "\n".join(lines)

    # --- data -----------------------------------------------------------------------------
    def _data(self) -> None:
        design, frame, out = self.design, self.design.data, self.data_lines
        used = [c for c in design.model_frame().columns if c not in design.bound_columns]
        out.append("# rows with a missing value in a column the model uses are left out, "
                   "as in brms")
        out.append(f"data = data.dropna(subset={quote(used)}).reset_index(drop=True)")
        for column in used:
            series = frame[column]
            categories = getattr(getattr(series, "cat", None), "categories", None)
            if (column != design.spec.response and categories is not None
                    and set(map(str, categories)) <= {"FALSE", "TRUE"}):
                out.append("# R reads a logical column as a factor with levels FALSE, TRUE")
                out.append(f"data[{quote(column)}] = "
                           f"data[{quote(column)}].astype(str).str.upper()")
        out += response_lines(design)
        spec = design.spec
        if design.trials is not None:
            expressions = ([spec.additions["trials"]] if "trials" in spec.additions
                           else [spec.cbind[0], spec.cbind[1]])
            out += sum_lines("trials", expressions, design.trials, frame, "the trials")
        if design.weights is not None:
            out += sum_lines("weights", [spec.additions["weights"]], design.weights, frame,
                             "the weights")
        if design.se is not None:
            out += sum_lines("se", [spec.additions["se"]], design.se, frame,
                             "the standard errors")
        if design.censoring is not None:
            codes, upper = design.censoring
            out.append("# each row's censoring as brms codes it (-1 left, 0 none, 1 right, "
                       "2 interval), and the upper bounds of intervals")
            out += [f"cens = {array_literal(codes, '')}", f"y2 = {array_literal(upper, '')}"]
        out += truncation_data(design)
        if design.offset is not None:
            out += sum_lines("offset", list(spec.offsets), design.offset, frame, "the offset")
        self._population_data("", design.X, design.b_names, design.has_intercept,
                              design.population_terms)
        lines, self.covariates = nonlinear_data(design, self.taken)
        out += lines
        for name, part in design.parameter_parts.items():
            self._population_data(name, part.X, part.b_names, part.has_intercept,
                                  part.population_terms)
            if part.offset is not None:
                out += sum_lines(f"offset_{python_name(name, set())}", list(part.spec.offsets),
                                 part.offset, frame, f"the offset of {name}")
        for group in design.groups:
            self._group_data(group)
        for part in design.smooths:
            label = part.label
            self.smooth_names[label] = python_name(label, self.taken)
            for name in part.fixed_names:  # sDays_1 names both the bs and the sds
                self.smooth_names.setdefault(name, python_name(name, self.taken))
            out.append("")
            out.append(f"# {part.term.text}: brms's basis (mgcv's thin plate spline, split "
                       "into unpenalised")
            out.append("# columns and penalised columns) as the package built it on these rows"
                       + ("" if part.level is None else f", level {part.level} of {part.term.by}"))
            for j, name in enumerate(part.fixed_names):
                out.append(f"Xs_{self.smooth_names[name]} = "
                           f"{array_literal(part.basis.Xf[:, j], '')}")
            out.append(f"Zs_{self.smooth_names[label]} = {array_literal(part.basis.Zr, '')}")
            self.coords.append((smooth_dim(label), label_list(range(1, part.size + 1))))
        for part in design.monotonic:
            out.append("")
            self.monotonic_names[part.term.coef] = python_name(part.term.coef, self.taken)
            out += monotonic_positions(part, self.monotonic_names[part.term.coef])
            self.coords.append((simplex_dim(part), label_list(range(1, part.size + 1))))
        if design.category_specific is not None:
            out += category_specific_data(design.category_specific, frame)
        if design.autocor is not None:
            lines, helpers = autocor_data(design)
            out += lines
            self.helpers += helpers
            self.coords += autocor_coords(design)

    def _population_data(self, dpar: str, X: np.ndarray, b_names: list[str],
                         has_intercept: bool, terms) -> None:
        if not b_names:
            return
        suffix = f"_{dpar}" if dpar else ""
        variable = f"X{suffix}"
        out = self.data_lines
        out.append("")
        whose = f" of {dpar}" if dpar else ""
        out.append(f"# population-level predictors{whose} (brms's X without the intercept "
                   "column)" if has_intercept else f"# population-level predictors{whose}")
        names = list(r_ordered_frame(terms).columns) if terms is not None else []
        keep = [k for k, name in enumerate(names) if name != "Intercept" or not has_intercept]
        out += matrix_lines(variable, matrix_columns(terms, X, b_names, keep, self.design.data),
                            X)
        self.coords.append((population_names(dpar)[3], label_list(b_names)))
        if has_intercept:
            out.append("# brms centres the predictors of a model with an intercept and samples "
                       "the intercept")
            out.append(f"# on that scale; {population_names(dpar)[2]} is recovered from it")
            out.append(f"{variable}_means = {variable}.mean(axis=0)")
            out.append(f"{variable}_centred = {variable} - {variable}_means")

    def _group_data(self, group: str) -> None:
        variable = python_name(group, self.taken)
        self.group_variables[group] = variable
        lines, coords = group_data_code(self.design, group, variable)
        self.data_lines += lines
        self.coords += coords

    # --- model ----------------------------------------------------------------------------
    def _model(self) -> None:
        design = self.design
        family = design.family
        thresholds = None
        if not family.formula_parameters and not design.nlpars:
            thresholds = self._population_model("", design.X, design.b_names,
                                                design.has_intercept, design.thresholds)
        ordered = {}
        if family.ordered_intercepts:
            self.model_lines += ["# the components' intercepts on the centred predictors, "
                                 "increasing (brms's ordered_Intercept)"]
            self.model_lines += ordered_code(
                "ordered_Intercept", "ordered_Intercept",
                [self.table.lookup("Intercept", "", "", name)
                 for name in family.formula_parameters], None, intercept_starts(design))
            ordered = {name: f"ordered_Intercept[{k}]"
                       for k, name in enumerate(family.formula_parameters)}
        for name, part in design.parameter_parts.items():
            self._population_model(name, part.X, part.b_names, part.has_intercept, 0,
                                   ordered.get(name))
            if part.offset is not None:
                self._add(name, f"offset_{python_name(name, set())}")
        if design.category_specific is not None:
            self.model_lines += category_specific_code(design.category_specific, self.table,
                                                       THRESHOLD_DIM, thresholds)
            thresholds = "thresholds"
        self._smooths()
        self._monotonic()
        for group in design.groups:
            self._group_model(group)
        if design.offset is not None:
            self._add("", "offset")
        if design.spec.nonlinear is not None:
            self.predictors[""] = self._predictor_name("")
            self.model_lines += ["", f"# the non-linear formula {design.spec.text}",
                                 f"{self.predictors['']} = " + expression_code(
                                     design.spec.nonlinear, self.predictors | self.covariates)]
        self._likelihood(thresholds)

    def _predictor_name(self, dpar: str) -> str:
        family = self.design.family
        if not dpar:
            identity = family.link == "identity" and not family.ordinal
            return "mu" if identity else "eta"
        link = "identity" if dpar in self.design.nlpars else family.predictor_link(dpar)
        base = python_name(dpar, set())
        return base if link == "identity" else f"eta_{base}"

    def _special_prior(self, settings, variable: str, name: str, dim: str) -> list[str]:
        """brms's horseshoe, R2D2 or lasso prior on the coefficients; sigma comes first where
        it scales the prior."""
        lines = []
        if needs_sigma(settings):
            self.early_sigma = python_name("sigma", set())
            lines.append(f"{self.early_sigma} = " + prior_code(
                "sigma", self.table.lookup("sigma"), *self.table.bounds("sigma")))
        return lines + special_prior_code(settings, variable, name, dim, self.taken,
                                          self.early_sigma)

    def _add(self, dpar: str, term: str) -> None:
        predictor = self.predictors[dpar]
        self.model_lines.append(f"{predictor} = {predictor} + {term}")

    def _population_model(self, dpar: str, X, b_names: list[str], has_intercept: bool,
                          thresholds: int, ordered: str | None = None):
        lines = self.model_lines
        centred_name, b_name, intercept_name, dim = population_names(dpar)
        suffix = f"_{dpar}" if dpar else ""
        predictor = self._predictor_name(dpar)
        self.predictors[dpar] = predictor
        intercept_variable = python_name(centred_name, self.taken)
        b_variable = python_name(b_name, self.taken)
        prefix = f"b_{dpar}_" if dpar else "b_"
        if lines:
            lines.append("")
        whose = f" of {dpar}" if dpar else ""
        lines.append(f"# population-level effects{whose}")
        terms = []
        if has_intercept and thresholds:
            self.coords.append((THRESHOLD_DIM, label_list(range(1, thresholds + 1))))
            lines.append(f"# the thresholds on the centred predictors "
                         f"(brms's Intercept[1], ..., Intercept[{thresholds}])")
            levels = [str(k) for k in range(1, thresholds + 1)]
            if self.design.family.ordered_thresholds:
                lines += ordered_code(intercept_variable, centred_name,
                                      [self.table.lookup("Intercept", k, "", dpar)
                                       for k in levels], THRESHOLD_DIM)
            else:
                lines.append(class_code(self.table, intercept_variable, centred_name, "Intercept",
                                              levels, "", THRESHOLD_DIM,
                                              [dpar] * thresholds, levels))
        elif has_intercept and ordered is not None:
            lines.append(f"# the intercept on the centred predictors (brms's {centred_name})")
            lines.append(f"{intercept_variable} = pm.Deterministic({quote(centred_name)}, "
                         f"{ordered})")
            terms.append(intercept_variable)
        elif has_intercept:
            lines.append(f"# the intercept on the centred predictors (brms's {centred_name})")
            lines.append(f"{intercept_variable} = " + prior_code(
                centred_name, self.table.lookup("Intercept", "", "", dpar),
                *self.table.bounds("Intercept", "", "", dpar)))
            terms.append(intercept_variable)
        special = None if dpar else special_settings(self.table, self.design)
        if b_names:
            lines.append(f"# {brms_names([prefix + name for name in b_names])}")
            if special is not None:
                lines += self._special_prior(special, b_variable, b_name, dim)
            else:
                lines.append(class_code(self.table, b_variable, b_name, "b", b_names, "", dim,
                                        [dpar] * len(b_names), b_names))
            design_matrix = f"X{suffix}_centred" if has_intercept else f"X{suffix}"
            terms.append(f"pt.dot({design_matrix}, {b_variable})")
        if has_intercept:
            shift = f"pt.dot(X{suffix}_means, {b_variable})" if b_names else None
            if thresholds:
                value = f"{intercept_variable} + {shift}" if shift else intercept_variable
                lines.append(f"pm.Deterministic({quote(intercept_name)}, {value}, "
                             f"dims={quote(THRESHOLD_DIM)})")
            else:
                value = f"{intercept_variable} - {shift}" if shift else intercept_variable
                lines.append(f"pm.Deterministic({quote(intercept_name)}, {value})")
        if not b_names:  # a vector over the rows, as the other terms are
            terms.insert(0, "pt.zeros(len(y))")
        lines.append(f"{predictor} = " + " + ".join(terms))
        return intercept_variable if thresholds else None

    def _smooths(self) -> None:
        lines = self.model_lines
        for part in self.design.smooths:
            label, ident = part.label, self.smooth_names[part.label]
            dim = smooth_dim(label)
            lines.append("")
            lines.append(f"# {part.term.text}: unpenalised slopes (brms's bs_) and penalised "
                         "coefficients")
            lines.append(f"# s_{label} = sds_{label} * zs_{label} with zs_{label} standard "
                         "normal")
            terms = []
            for name in part.fixed_names:
                fixed = self.smooth_names[name]
                lines.append(f"bs_{fixed} = " + prior_code(f"bs_{name}",
                                                           self.table.lookup("b", name),
                                                           *self.table.bounds("b", name)))
                terms.append(f"Xs_{fixed} * bs_{fixed}")
            lines.append(f"sds_{ident} = " + prior_code(
                f"sds_{label}", self.table.lookup("sds", part.term.label), 0.0))
            lines.append(f"zs_{ident} = pm.Normal({quote('zs_' + label)}, 0.0, 1.0, "
                         f"dims={quote(dim)})")
            lines.append(f"s_{ident} = pm.Deterministic({quote('s_' + label)}, "
                         f"sds_{ident} * zs_{ident}, dims={quote(dim)})")
            self._add("", " + ".join(terms) + f" + pt.dot(Zs_{ident}, s_{ident})")

    def _monotonic(self) -> None:
        lines = self.model_lines
        for part in self.design.monotonic:
            coef, simplex = part.term.coef, part.term.simplex
            name = self.monotonic_names[coef]
            concentration = self.table.lookup("simo", simplex).concentrations(part.size)
            lines.append("")
            lines.append(f"# {part.term.text}: the effect across the whole scale (brms's "
                         f"bsp_{coef}) and the share")
            lines.append(f"# of it each of the {part.size} steps takes (simo_{simplex}, a "
                         "simplex)")
            lines.append(f"bsp_{name} = " + prior_code(f"bsp_{coef}",
                                                       self.table.lookup("b", coef),
                                                       *self.table.bounds("b", coef)))
            lines.append(f"simo_{name} = pm.Dirichlet({quote('simo_' + simplex)}, "
                         f"a={concentrations_code(concentration)}, "
                         f"dims={quote(simplex_dim(part))})")
            lines.append(f"reached_{name} = pt.concatenate([pt.zeros(1), "
                         f"pt.cumsum(simo_{name})])  # the share at positions 0..{part.size}")
            covariate = f" * Csp_{name}" if part.term.covariates else ""
            self._add("", f"bsp_{name} * {part.size} * reached_{name}[Xmo_{name}]{covariate}")

    def _group_model(self, group: str) -> None:
        lines, terms = group_model_code(self.design, self.table, group,
                                        self.group_variables[group], self.helpers)
        self.model_lines += lines
        for dpar, term in terms:
            self._add(dpar, term)

    def _likelihood(self, thresholds: str | None) -> None:
        design, lines = self.design, self.model_lines
        family = design.family
        joint = None
        if design.autocor is not None:
            lines.append("")
            lines.append(f"# the residual structure {design.autocor.term.text}")
            lines += autocor_parameters(design, self.table)
            if design.autocor.kind == "unstr" and LKJ_HELPER not in self.helpers:
                self.helpers.append(LKJ_HELPER)
        lines.append("")
        lines.append(f"# the {family.label} likelihood")
        aux = {}
        for parameter in family.aux:
            name = python_name(parameter.name, set())
            if parameter.name in design.dpars:
                predictor = self.predictors[parameter.name]
                if predictor != name:
                    lines.append(f"{name} = " + inverse_link_code(
                        family.predictor_link(parameter.name), predictor))
                aux[parameter.name] = name
                continue
            if (parameter.name in family.mixing_proportions
                    and parameter.name not in design.fixed_aux):
                if parameter.name == family.mixing_proportions[0]:
                    lines += mixing_proportions_code(family, self.table)
                aux[parameter.name] = name
                continue
            if parameter.name == "sigma" and self.early_sigma:
                aux[parameter.name] = self.early_sigma  # written before the special prior
                continue
            if parameter.name in design.fixed_aux:
                lines.append(f"# {parameter.name} is held at a value, kept in the draws as brms")
                lines.append(f"{name} = pm.Deterministic(\"{parameter.name}\", "
                             f"pt.constant({design.fixed_aux[parameter.name]!r}))")
            else:
                lines.append(f"{name} = " + prior_code(parameter.name,
                                                       self.table.lookup(parameter.name),
                                                       *self.table.bounds(parameter.name)))
            aux[parameter.name] = name
        if design.se is not None:
            lines.append("# the known standard errors add to the residual sd, as in brms")
            lines.append(f"{aux['sigma']} = pt.sqrt({aux['sigma']} ** 2 + se ** 2)")
        if design.autocor is not None:
            joint = autocor_likelihood(design, aux.get("nu"))
        eta = self.predictors.get("", "eta")
        mu = "mu"
        trials = "trials" if design.trials is not None else None
        if family.components:
            lines += mixture_components_code(family, aux, trials, self.predictors)
        function, arguments, observed, helper = likelihood_call(family, eta, mu, aux, trials,
                                                                thresholds, tuple(design.dpars))
        if eta != "mu" and f"{mu}" in code_words(arguments) and not family.components:
            lines.append(f"mu = {inverse_link_code(family.link, eta)}")
        if helper is not None:
            self.helpers.append(helper)
        if not self.likelihood:
            lines.append("# (no likelihood: the priors alone)")
            return
        if joint is not None:
            lines += joint
        elif design.censoring is not None:
            if CENSORED_HELPER not in self.helpers:
                self.helpers.append(CENSORED_HELPER)
            lines += truncation_mass(function, arguments, design)
            weights = censored_options(design)
            lines.append(f"pm.Potential(\"y_censored\", censored_logp({function}, cens, "
                         f"{observed}, y2{weights}, {arguments}))")
        elif design.truncation is not None:
            lines += truncated_likelihood(function, arguments, observed, design)
        elif design.weights is None:
            lines.append(f"{function}(\"y\", {arguments}, observed={observed})")
        else:
            lines.append("# each row's log-likelihood counts with its weight")
            lines.append(f"pm.Potential(\"y_weighted\", pt.sum(weights * pm.logp("
                         f"{function}.dist({arguments}), {observed})))")


def write_model_code(design: Design, table: PriorTable, likelihood: bool = True) -> ModelCode:
    """Write a model as a standalone PyMC program.

    Parameters
    ----------
    design
        The model's design.
    table
        Its prior table.
    likelihood
        Whether the program has the likelihood (False for ``sample_prior="only"``).

    Returns
    -------
    ModelCode
        The program; run with the data frame bound to ``data``, it defines ``model``.

    Raises
    ------
    ModelCodeError
        For a model feature the writer does not write yet (blocks of one grouping factor
        that index its levels differently).
    """
    return ModelCode(_Program(design, table, likelihood).text())
