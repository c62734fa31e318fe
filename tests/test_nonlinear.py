"""Non-linear formulas, brms's ``bf(y ~ b1 * exp(b2 * x), b1 ~ 1 + z + (1 | g), b2 ~ 1,
nl = TRUE)``: the formula, the likelihood of the expression, the prior table, and two brms
2.18 references (tests/reference/families): simulated exponential decay (``nonlinear``, with
its fitted() values for new rows) and the logistic growth of R's orange trees
(``orange_logistic``)."""

import numpy as np
import pandas as pd
import pytensor.tensor as pt
import pytest
from scipy import stats

import multilevel as ml
from multilevel.errors import FormulaError
from multilevel.spec.formula import parse_formula
from multilevel.spec.nonlinear import FUNCTIONS, expression_code, parse_nonlinear
from quick_mode import QUICK
from reference import (
    FAMILY_REFERENCE_DIR,
    brms_efficiency,
    family_reference_names,
    fit_with_warnings,
    fitted_mismatches,
    load_reference,
    posterior_mismatches,
    prior_mismatches,
    reference_data,
    reference_formula,
    reference_newdata,
    user_priors,
)

REFERENCES = family_reference_names("nonlinear")


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "nonlinear.csv")


def test_the_parameters_and_columns_are_told_apart():
    spec = parse_formula(ml.bf("y ~ b1 * exp(-b2 * x) + c", "b1 + b2 ~ 1 + (1 | g)",
                               sigma="~ x", nl=True))
    assert spec.nlpar_names == ("b1", "b2")
    assert [name for name, _ in spec.dpars] == ["sigma"]
    assert spec.nonlinear.names == ("b1", "b2", "x", "c")
    assert [part.text for _, part in spec.nlpars] == ["b1 ~ 1 + (1 | g)", "b2 ~ 1 + (1 | g)"]
    assert spec.lines == ["y ~ b1 * exp(-b2 * x) + c", "b1 ~ 1 + (1 | g)",
                          "b2 ~ 1 + (1 | g)", "sigma ~ x"]


def test_r_names_with_dots_are_columns_and_parameters(data):
    """R's names may hold dots; Python would read them as attributes."""
    expression = parse_nonlinear("b.1 * exp(-rate * x.days) + 1.5", "y ~ ...")
    assert expression.names == ("b.1", "rate", "x.days")
    frame = data.rename(columns={"x": "x.days"})
    formula = ml.bf("y ~ b.1 * exp(b2 * x.days)", b2="~ 1", nl=True, **{"b.1": "~ 1 + z"})
    table = ml.get_prior(formula, frame)
    assert set(table.loc[table["nlpar"] != "", "nlpar"]) == {"b.1", "b2"}


def test_python_keywords_and_numbers_with_a_leading_dot_are_read_as_r_reads_them():
    expression = parse_nonlinear("b1 * exp(-lambda * x) + .5e-1 * in.x", "y ~ ...")
    assert expression.names == ("b1", "lambda", "x", "in.x")
    values = {"b1": 2.0, "lambda": 0.0, "x": 1.0, "in.x": 10.0}
    assert expression.evaluate(values) == pytest.approx(2.5)


def _design(formula, data, family="gaussian"):
    from multilevel.spec.design import build_design
    return build_design(parse_formula(formula), data, ml.get_family(family))


def test_the_parameters_formulas_reach_priors_predictions_and_equations(data):
    """A non-linear parameter's group terms answer re_formula, its coefficients get prior
    draws (brms's prior_b_b1), a new prior on one parameter keeps another's, and its offset
    is written in its equation."""
    from multilevel.priors.sampling import _parameter_priors
    from multilevel.priors.table import build_prior_table
    from multilevel.results.predict import chosen_blocks
    from multilevel.results.update_arguments import merged_priors

    formula = ml.bf("y ~ b1 * exp(-lambda * x)", "b1 ~ 1 + z + offset(z) + (1 | g)",
                    "lambda ~ 1 + (1 | g)", nl=True)
    design = _design(formula, data)
    kept = chosen_blocks(design, "~ (1 | g)")
    assert [design.blocks[k].dpar for k in kept] == ["b1", "lambda"]
    priors = user_priors("nonlinear")[:1] + [ml.prior("normal(0, 1)", nlpar="lambda")]
    names = [row[0] for row in _parameter_priors(design, build_prior_table(design, priors))]
    # in the order of brms's Stan code
    assert names == ["prior_b_b1", "prior_b_lambda", "prior_sigma", "prior_sd_g__b1",
                     "prior_sd_g__lambda"]
    merged = merged_priors(tuple(priors), ml.prior("normal(0, 0.5)", nlpar="lambda"), design)
    assert [(p.nlpar, p.prior) for p in merged] == [("b1", "normal(5, 2)"),
                                                    ("lambda", "normal(0, 0.5)")]
    lines = ml.equation(formula, data, prior=priors).lines
    assert lines[1].rhs.endswith(r"\mathrm{z}_{i} + \mathrm{z}_{i}")


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_computes_the_same_with_numpy_and_pytensor(name):
    """The model (PyTensor) and the predictions (NumPy) read one expression: both give the
    same values, and R's ^ is a power."""
    arguments = ", ".join(["a", "b"][:FUNCTIONS[name]])
    expression = parse_nonlinear(f"{name}({arguments}) + a^2", "y ~ ...")
    values = {"a": np.array([0.2, 0.35, 0.8]), "b": np.array([1.5, 0.5, 2.0])}
    ours = expression.evaluate(values)
    theirs = expression.evaluate({name: pt.as_tensor_variable(value)
                                  for name, value in values.items()}, "pytensor").eval()
    np.testing.assert_allclose(theirs, ours, rtol=1e-12)
    # the exported program's code of it
    code = expression_code(expression, {"a": "a", "b": "b"})
    written = eval(code, {"pt": pt, "np": np, **{k: pt.as_tensor_variable(v)
                                                for k, v in values.items()}})
    np.testing.assert_allclose(written.eval(), ours, rtol=1e-12)
    assert np.all(np.isfinite(ours))
    exponential = parse_nonlinear("exp(a) * b^2", "y ~ ...").evaluate(values)
    np.testing.assert_allclose(exponential, np.exp(values["a"]) * values["b"] ** 2)


def test_the_likelihood_reads_the_expression(data):
    """Each row's mean is b1 * exp(b2 * x), b1 from its own formula with the row's group
    effect: the model's log-likelihood is SciPy's normal density at those means."""
    formula = ml.bf("y ~ b1 * exp(b2 * x)", b1="~ 1 + z + (1 | g)", b2="~ 1", nl=True)
    model = ml.make_model(formula, data, prior=user_priors("nonlinear"))
    point = model.initial_point()
    rng = np.random.default_rng(1)
    point = {name: value + rng.normal(0.0, 0.3, np.shape(value)) for name, value in point.items()}
    outputs = model.replace_rvs_by_values([model.logp(vars=model.observed_RVs), model["b_b1"],
                                           model["b_b2"], model["r_g"], model["sigma"]])
    ours, b1, b2, effects, sigma = model.compile_fn(outputs, inputs=model.value_vars,
                                                         mode=QUICK)(point)
    levels = sorted(data["g"].unique())
    start = b1[0] + b1[1] * data["z"] + effects[data["g"].map(levels.index), 0]
    mean = start * np.exp(b2[0] * data["x"])
    assert ours == pytest.approx(stats.norm.logpdf(data["y"], mean, sigma).sum(), rel=1e-10)


@pytest.mark.parametrize("name", REFERENCES)
def test_prior_table_equals_brms(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    data = reference_data(reference)
    formula = reference_formula(reference)
    assert prior_mismatches(ml.get_prior(formula, data), reference["get_prior"]) == []
    table = ml.get_prior(formula, data, prior=user_priors(name))
    assert prior_mismatches(table, reference["prior"]) == []


@pytest.mark.slow
def test_a_string_cannot_update_a_non_linear_formula(data):
    formula = ml.bf("y ~ b1 * exp(b2 * x)", b1="~ 1", b2="~ 1", nl=True)
    fit, _ = fit_with_warnings(formula, data, prior=user_priors("nonlinear"), chains=1,
                               draws=20, warmup=20, progressbar=False, seed=1)
    with pytest.raises(FormulaError, match=r"give ml.bf\(..., nl=True\) to update\(\)"):
        fit.update("~ . + z")


@pytest.fixture(scope="module")
def fits():
    out = {}
    for name in REFERENCES:
        reference = load_reference(name, FAMILY_REFERENCE_DIR)
        # half brms's draws: the comparisons' tolerances follow both fits' ESS
        fit, messages = fit_with_warnings(reference_formula(reference),
                                          reference_data(reference),
                                          prior=user_priors(name), seed=20261206, draws=500,
                                          warmup=500, progressbar=False)
        out[name] = (reference, fit, messages)
    return out


def test_the_references_are_compared():
    assert REFERENCES == ["nonlinear", "orange_logistic"]


@pytest.mark.slow
@pytest.mark.parametrize("name", REFERENCES)
def test_posterior_and_fitted_values_equal_brms(fits, name):
    reference, fit, messages = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert not [m for m in messages if "R-hat" in m]
    # five orange trees identify the sd of their asymptotes weakly: a funnel, where brms met
    # none in 4000 draws and ours now and then one in 2000; a sampler in trouble meets many
    assert int(fit.idata.sample_stats["diverging"].sum()) <= 10, messages
    assert list(fit.fixef().index) == [row["variable"][2:] for row in reference["summary"]
                                       if row["variable"].startswith("b_")]
    if not reference["fitted"]:
        return
    newdata = reference_newdata(reference)
    draws = fit.posterior_epred(newdata=newdata)
    assert fitted_mismatches(draws.reshape(4, 500, len(newdata)), reference["fitted"],
                             brms_efficiency(fit, reference["summary"])) == []


@pytest.mark.slow
def test_conditional_effects_follow_the_curve(fits):
    """conditional_effects("x") draws the expression over x, b1 at the mean of z and without
    group effects: exp(b2 x) times b1's population part."""
    _, fit, _ = fits["nonlinear"]
    figure = fit.conditional_effects("x")
    line = figure.axes[0].lines[0]
    x, shown = line.get_xdata(), line.get_ydata()
    draws = fit.as_draws_df()
    z_mean = fit.design.data["z"].mean()
    curve = ((draws["b_b1_Intercept"].to_numpy()[:, None]
              + draws["b_b1_z"].to_numpy()[:, None] * z_mean)
             * np.exp(draws["b_b2_Intercept"].to_numpy()[:, None] * x[None, :]))
    np.testing.assert_allclose(shown, np.median(curve, axis=0), rtol=1e-6)
