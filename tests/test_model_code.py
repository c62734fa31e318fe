"""model_code(): a standalone PyMC program with the log density of make_model()'s model."""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from pytensor.compile.mode import Mode

import multilevel as ml
from multilevel.describe.model_code import ModelCode, ModelCodeError
from reference import FAMILY_REFERENCE_DIR

# the assorted data have a missing value and a two-level string response, as intended
pytestmark = pytest.mark.filterwarnings("ignore:Rows containing NAs:UserWarning",
                                        "ignore:Response 'yes' has levels:UserWarning")


def _crossed() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 5, 60), rng.integers(0, 4, 60)
    x = rng.normal(size=60)
    y = 1 + 0.5 * x + rng.normal(0, 0.5, 5)[a] + rng.normal(0, 0.5, 4)[b] + rng.normal(0, 1, 60)
    return pd.DataFrame({"y": y, "x": x, "a": [f"a{k}" for k in a], "b": [f"B{k}" for k in b]})


def _assorted() -> pd.DataFrame:
    """Columns of every kind the writer handles: a logical, float-coded groups, strings with
    mixed case, counts, proportions, weights, exposures, a missing value."""
    rng = np.random.default_rng(5)
    n = 80
    g, h = rng.integers(0, 6, n), rng.integers(0, 3, n)
    x, exposure = rng.normal(size=n), rng.uniform(1, 3, n)
    eta = 0.3 + 0.4 * x + rng.normal(0, 0.5, 6)[g]
    count = rng.poisson(np.exp(eta) * exposure)
    count[rng.random(n) < 0.2] = 0
    frame = pd.DataFrame({
        "x": x, "t": exposure, "flag": rng.random(n) > 0.5, "g": g + 1.0,
        "h": [f"h{k}" for k in h], "count": count,
        "yes": np.where(rng.random(n) < 1 / (1 + np.exp(-eta)), "yes", "no"),
        "cat": np.array(["a", "B", "c"])[rng.integers(0, 3, n)],
        "w": rng.uniform(0.5, 2, n), "y": eta + rng.standard_t(4, n),
    })
    frame.loc[3, "x"] = np.nan
    return frame


def _unsorted() -> pd.DataFrame:
    """sleepstudy's first five days, rows shuffled and some left out: series with gaps."""
    frame = ml.load_dataset("sleepstudy")
    return frame[frame["Days"] < 5].sample(frac=0.85, random_state=1)


def _censored() -> pd.DataFrame:
    return pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "censored_gaussian.csv")


def _proportions() -> pd.DataFrame:
    return pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "zero_inflated_beta.csv")


def _slider() -> pd.DataFrame:
    return pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "zero_one_inflated_beta.csv")


def _ratings() -> pd.DataFrame:
    return pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "cumulative.csv")


def _incomes() -> pd.DataFrame:
    """Incomes 1..4 as numbers, and as an ordered categorical with the second missing."""
    frame = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "monotonic.csv")
    labels = {1: "low", 2: "mid", 3: "high", 4: "top"}
    frame["bracket"] = pd.Categorical(frame["income"].map(labels).where(frame["income"] != 2),
                                      categories=list(labels.values()), ordered=True)
    return frame.assign(w=np.linspace(0.5, 1.5, len(frame)), x_w=lambda f: f["x"] * f["w"] + 1)


def _doses() -> pd.DataFrame:
    """Four ordered doses (tests/reference/families/simulate.py) as an ordered categorical."""
    frame = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "ordered_dose.csv")
    frame["dose"] = pd.Categorical(frame["dose"], categories=["none", "low", "medium", "high"],
                                   ordered=True)
    return frame


def _truncated() -> pd.DataFrame:
    """Positive responses and counts (tests/reference/families/simulate.py), with weights and
    a whole-number upper bound per row."""
    frame = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "truncated.csv")
    return frame.assign(w=np.linspace(0.5, 1.5, len(frame)), cap=frame["count"] + 2)


def _grouped() -> pd.DataFrame:
    """Classes within trial arms (tests/reference/families/simulate.py), with counts and a
    numeric site of each class."""
    frame = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "grouped_by.csv")
    site = frame["g"].str[1:].astype(int) % 3 + 1
    return frame.assign(site=site, count=np.round(np.exp(frame["y"] / 3)).astype(int))


_FRAMES = {"crossed": _crossed, "grouped": _grouped, "assorted": _assorted, "unsorted": _unsorted,
           "truncated": _truncated, "censored": _censored, "proportions": _proportions,
           "ratings": _ratings, "incomes": _incomes, "doses": _doses,
           "slider": _slider, "nonlinear": lambda: pd.read_csv(
               FAMILY_REFERENCE_DIR / "data" / "nonlinear.csv"),
           "delayed": lambda: pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "delayed_entry.csv")
           .assign(end=lambda f: f["time"] + 3.0, w=lambda f: np.linspace(0.5, 1.5, len(f)),
                   both=lambda f: np.where(np.arange(len(f)) % 5 == 0, -1, f["censored"])),
           **{name: lambda name=name: pd.read_csv(FAMILY_REFERENCE_DIR / "data" / f"{name}.csv")
              for name in ("beta_binomial", "inverse_gaussian", "quantile",
                           "zero_inflated_beta_binomial", "mixture", "mixture_poisson",
                           "von_mises", "dirichlet", "multinomial", "phylogenetic",
                           "phylogenetic_counts", "frechet", "ordinal_disc", "smooth_by",
                           "smooth_by_numeric", "sparse", "growth_spline")}}
# data2 of the frames whose models name a matrix, gr(g, cov = A)
_DATA2 = {name: lambda: {"A": pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "cov_A.csv",
                                          index_col=0)}
          for name in ("phylogenetic", "phylogenetic_counts")}

# (data, formula or bf() parts, family, priors): the ten models, then one of each
# other feature the writer covers
CASES = [
    ("sleepstudy", "Reaction ~ 1 + (1 | Subject)", "gaussian", None),
    ("sleepstudy", "Reaction ~ Days + (Days | Subject)", "gaussian", None),
    ("sleepstudy", "Reaction ~ Days + (Days || Subject)", "gaussian", None),
    ("hsb", "mathach ~ meanses * ses + sector + (ses | school)", "gaussian", None),
    ("pastes", "strength ~ 1 + (1 | batch/cask)", "gaussian", None),
    ("crossed", "y ~ x + (1 | a) + (1 | b)", "gaussian", None),
    ("rats", "m | trials(n) ~ 1 + (1 | batch)", "binomial", None),
    ("inhaler", "rating ~ treat + period + carry + (1 | subject)", "cumulative", None),
    ("sleepstudy", ("Reaction ~ Days + (Days | Subject)", {"sigma": "~ Days"}), "gaussian",
     None),
    ("salamanders", "count ~ mined + (1 | site)", "poisson", None),
    ("assorted", "y ~ x + flag + (1 | g)", "student", None),
    ("assorted", "yes ~ poly(x, 2) + factor(h) + (1 | g:h)", "bernoulli", None),
    ("assorted", "y ~ cat * h + poly(x, 2):h + (0 + cat:h | g)", "gaussian", None),
    ("assorted", "y | weights(w) ~ x + (x | h)", "gaussian", None),
    ("assorted", "y | se(w) ~ x + (1 | h)", "gaussian", None),
    ("censored", "y | cens(censored, y2) ~ x + (1 | g)", "gaussian", None),
    ("censored", "y | cens(censored, y2) ~ x + (1 | g)", "lognormal", None),
    ("assorted", ("y | se(w, sigma = TRUE) ~ x + (1 | h)", {"sigma": "~ x"}), "student", None),
    ("assorted", ("count ~ x + offset(log(t)) + (1 | g)", {"zi": "~ x"}),
     "zero_inflated_poisson", None),
    ("assorted", "count ~ x + (1 | g)", "hurdle_negbinomial", None),
    ("proportions", ("y ~ x + (1 | g)", {"zi": "~ x"}), "zero_inflated_beta", None),
    ("sleepstudy", ("Reaction ~ Days + (1 | Subject)", {"sigma": "~ Days"}),
     "shifted_lognormal", None),
    ("slider", ("y ~ x + (1 | g)", {"coi": "~ x"}), "zero_one_inflated_beta", None),
    ("ratings", "rating ~ x + (1 | g)", "sratio", None),
    ("incomes", "ls ~ mo(income) + x + (1 | g)", "gaussian",
     [("normal(0, 20)", "b", "moincome", ""), ("dirichlet(2)", "simo", "moincome1", "")]),
    ("incomes", "ls ~ mo(bracket) + mo(income)", "student", None),
    ("incomes", "ls ~ mo(income) * x + mo(bracket):x:income + (1 | g)", "gaussian", None),
    # two interactions whose names differ only by ':' and '_'
    ("incomes", "ls ~ mo(income):x_w + mo(income):x:w", "gaussian", None),
    ("ratings", "rating ~ x + (1 | g)", ml.get_family("cratio", "probit"),
     [("normal(0, 1)", "Intercept", "2", "")]),
    ("ratings", "rating ~ x + (1 | g)", ml.get_family("acat", "cloglog"), None),
    ("inhaler", "rating ~ period + carry + cs(treat) + (1 | subject)",
     ml.get_family("sratio", "cloglog"), [("normal(0, 5)", "b", "", "")]),
    ("inhaler", "rating ~ carry + cs(treat + period)", ml.get_family("acat", "probit"),
     [("normal(0, 1)", "b", "treat", "")]),
    ("truncated", "y | trunc(lb = 0) ~ x + (1 | g)", "gaussian", None),
    ("truncated", "count | weights(w) + trunc(lb = 1, ub = cap) ~ x + (1 | g)", "poisson", None),
    ("assorted", "cat ~ x + (1 | g)", "categorical", None),
    ("assorted", ("y ~ x + (1 | p | g)", {"sigma": "~ (1 | p | g)"}), "gaussian", None),
    ("assorted", "y ~ x + I(x**2) + (1 | g)", "gaussian",
     [("normal(0, 2)", "b", "x", ""), ("exponential(1)", "sigma", "", ""),
      ("normal(0, 1)", "sd", "", "g")]),
    ("assorted", "y ~ s(x) + (1 | h)", "gaussian", None),
    ("unsorted", "Reaction ~ Days + arma(Days, Subject, 2, 1) + (1 | Subject)", "gaussian",
     None),
    ("unsorted", "Reaction ~ Days + cosy(Days, Subject)", "student", None),
    ("unsorted", ("Reaction ~ Days + unstr(Days, Subject)", {"sigma": "~ Days"}), "gaussian",
     None),
    ("nonlinear", ("y ~ b1 * exp(b2 * x) + inv_logit(z) ^ 2",
                   {"b1": "~ 1 + z + (1 | g)", "b2": "~ 1 + (1 | g)", "sigma": "~ z"}, True),
     "gaussian", [("normal(5, 2)", "b", "", "", "b1"), ("normal(0, 1)", "b", "", "", "b2")]),
    ("delayed", "time | cens(censored) + trunc(lb = entry) ~ x + (1 | g)", "lognormal", None),
    ("delayed", "time | cens(both) + trunc(lb = entry, ub = end) + weights(w) ~ x", "weibull",
     None),
    ("grouped", "y ~ arm + x + (1 + x | gr(g, by = arm))", "gaussian", None),
    ("grouped", "y ~ x + (1 | gr(g, by = site)) + (0 + x | gr(g, cor = FALSE))", "student",
     [("normal(0, 1)", "sd", "Intercept", "g")]),
    ("grouped", ("count ~ x + (1 + x || gr(g, by = arm))", {"zi": "~ (1 | gr(g, by = site))"}),
     "zero_inflated_poisson", None),
    ("beta_binomial", ("k | trials(n) ~ x + (1 | g)", {"phi": "~ x"}), "beta_binomial", None),
    ("inverse_gaussian", "y ~ x + (1 | g)", ml.inverse_gaussian("log"), None),
    ("frechet", ("y ~ x + (1 | g)", {"nu": "~ x"}), "frechet", None),
    ("frechet", "time | cens(censored) ~ x + (1 | g)", "frechet", None),
    ("ordinal_disc", ("rating ~ x + (1 | g)", {"disc": "~ 0 + z"}), ml.cumulative("probit"),
     None),
    ("ordinal_disc", ("rating ~ cs(x) + (1 | g)", {"disc": "~ 0 + z"}), "sratio", None),
    ("quantile", ("y ~ x + (1 | g)", {"quantile": 0.8}), "asym_laplace", None),
    ("quantile", ("y ~ x + (1 | g)", {"quantile": "~ x", "sigma": 0.5}), "asym_laplace", None),
    ("zero_inflated_beta_binomial", ("k | trials(n) ~ x + (1 + x | g)", {"zi": "~ x"}),
     "zero_inflated_beta_binomial", None),
    ("mixture", "y ~ x + (1 | g)", ml.mixture("gaussian", "gaussian"), None),
    ("mixture", ("y ~ x", {"sigma2": "~ x", "mu1": "~ 1"}), ml.mixture("gaussian", "student"),
     None),
    ("mixture_poisson", "count ~ x", ml.mixture("poisson", "negbinomial", "poisson"), None),
    ("mixture", ("y ~ x", {"theta1": 0.6, "theta2": 0.4}), ml.mixture("gaussian", "gaussian"),
     None),
    ("mixture", ("y ~ x + (1 | g)", {"theta2": "~ x + (1 | g)"}),
     ml.mixture("gaussian", "gaussian", "gaussian"), None),
    ("von_mises", ("y ~ x + (1 | g)", {"kappa": "~ x"}), "von_mises", None),
    ("dirichlet", ("cbind(a, b, c) ~ x + (1 | g)", {"phi": "~ x"}), "dirichlet", None),
    ("multinomial", "cbind(a, b, c) | trials(size) ~ x + (1 | g)", "multinomial", None),
    ("incomes", "ls ~ mo(income)", "gaussian", [("dirichlet(c(1, 0.5, 0.5))", "simo",
                                                 "moincome1", "")]),
    ("mixture", "y ~ x", ml.mixture("gaussian", "gaussian"), [("dirichlet(c(2, 1))", "theta",
                                                               "", "")]),
    ("phylogenetic", "y ~ x + (1 + x || gr(phylo, cov = A)) + (1 | species)", "gaussian", None),
    ("phylogenetic_counts", "count ~ x + (1 + x | gr(species, cov = A))", "poisson", None),
    ("salamanders", "count ~ mined + (1 | site)", "geometric", None),
    ("smooth_by", "y ~ cond + s(time, by = cond, k = 5) + (1 | id)", "gaussian", None),
    ("smooth_by_numeric", "count ~ s(x, by = z, k = 6)", "poisson", None),
    ("sparse", "y ~ x1 + x2 + x3 + (1 | g)", "gaussian", [("horseshoe(1)", "b", "", "")]),
    ("sparse", "success ~ x1 + x2 + x3", "bernoulli",
     [("horseshoe(df = 3, par_ratio = 0.2)", "b", "", ""), ("normal(0, 2)", "Intercept", "",
                                                             "")]),
    ("sleepstudy", "Reaction ~ Days + (Days | Subject)", "gaussian",
     [("constant(10)", "b", "Days", ""), ("constant(25)", "sigma", "", "")]),
    ("sleepstudy", "Reaction ~ Days + (1 | Subject)", "student",
     [("constant(5)", "b", "", ""), ("constant(30)", "sd", "", ""), ("constant(4)", "nu", "", "")]),
    ("doses", "count ~ dose * x + (1 + dose | g)", "poisson", None),
    ("growth_spline", "count ~ ns(time, df = 3) + bs(time, knots = c(4), degree = 2) + (1 | id)",
     "poisson", None),
    ("sparse", "y ~ x1 + x2 + x3 + (1 | g)", "gaussian",
     [("R2D2(mean_R2 = 0.3, prec_R2 = 3, cons_D2 = c(0.5, 1, 2))", "b", "", "")]),
    ("sparse", "success ~ x1 + x2", "bernoulli", [("R2D2()", "b", "", "")]),
    ("sparse", "success ~ x1", "bernoulli", [("R2D2(0.4)", "b", "", "")]),
    ("sparse", "success ~ x1 + x2 + x3", "bernoulli",
     [("lasso(df = 2, scale = 0.5)", "b", "", "")]),
    ("ratings", "rating ~ x + (1 | g)", ml.get_family("cumulative", "cloglog"), None),
    ("ratings", "rating ~ x + (1 | g)", ml.get_family("cumulative", "cauchit"), None),
    ("ratings", "rating ~ x", ml.get_family("sratio", "cauchit"), None),
    ("ratings", "rating ~ x", ml.get_family("acat", "cauchit"), None),
    ("sparse", "success ~ x1 + x2", ml.get_family("bernoulli", "cauchit"), None),
]


def _data2(case):
    return _DATA2[case[0]]() if case[0] in _DATA2 else None


def _inputs(case):
    name, formula, family, priors = case
    data = _FRAMES[name]() if name in _FRAMES else ml.load_dataset(name)
    if isinstance(formula, tuple):
        formula = ml.bf(formula[0], nl=formula[2:] == (True,), **formula[1])
    if priors is not None:
        # a fifth entry names a non-linear parameter
        priors = [ml.prior(text, class_=class_, coef=coef, group=group, nlpar=nlpar[0])
                  for text, class_, coef, group, *nlpar in [(*p, "")[:5] for p in priors]]
    return data, formula, family, priors


def _points(model, count: int = 3, seed: int = 11) -> list[dict]:
    """The model's initial point and random points around it, on the unconstrained scale."""
    rng = np.random.default_rng(seed)
    start = model.initial_point()
    return [start] + [{name: value + rng.normal(0.0, 0.5, np.shape(value))
                       for name, value in start.items()} for _ in range(count - 1)]


# A few evaluations need no C compilation nor graph rewrites.
_MODE = "Mode(linker='py', optimizer=None)"


def _log_densities(model, points) -> list[float]:
    logp = model.compile_logp(mode=Mode(linker="py", optimizer=None))
    return [float(logp(point)) for point in points]


# PyTensor keeps a float literal that float32 holds exactly (the 3.0 of student_t(3, 0, 2.5))
# as float32, so the program's priors lose a few digits of their constants against the
# model's float64 data; the rest of the log density agrees to round-off.
_RTOL, _ATOL = 1e-8, 1e-6

# Runs every program in one new interpreter that never imports multilevel.
_RUNNER = """
import json, pickle, sys
from pytensor.compile.mode import Mode
with open({path!r}, "rb") as handle:
    cases = pickle.load(handle)
results = []
for case in cases:
    namespace = {{"data": case["data"], "data2": case["data2"]}}
    exec(case["code"], namespace)
    model = namespace["model"]
    logp = model.compile_logp(mode={mode})
    results.append({{"free": sorted(v.name for v in model.value_vars),
                     "logp": [float(logp(point)) for point in case["points"]]}})
assert "multilevel" not in sys.modules
print(json.dumps(results))
"""


@pytest.mark.slow
def test_programs_have_the_log_density_of_make_model(tmp_path):
    cases, models = [], []
    for case in CASES:
        data, formula, family, priors = _inputs(case)
        data2 = _data2(case)
        code = ml.model_code(formula, data, family, prior=priors, data2=data2)
        model = ml.make_model(formula, data, family, prior=priors, data2=data2)
        cases.append({"code": str(code), "data": data, "data2": data2,
                      "points": _points(model)})
        models.append(model)
    path = tmp_path / "cases.pickle"
    path.write_bytes(pickle.dumps(cases))
    # the new interpreter runs the programs while this one evaluates the models
    runner = subprocess.Popen([sys.executable, "-c", _RUNNER.format(path=str(path), mode=_MODE)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        expected = [{"free": sorted(v.name for v in model.value_vars),
                     "logp": _log_densities(model, case["points"])}
                    for model, case in zip(models, cases, strict=True)]
        stdout, stderr = runner.communicate(timeout=900)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
    assert runner.returncode == 0, stderr
    results = json.loads(stdout.strip().splitlines()[-1])
    for case, want, got in zip(CASES, expected, results, strict=True):
        assert got["free"] == want["free"], case
        np.testing.assert_allclose(got["logp"], want["logp"], rtol=_RTOL, atol=_ATOL,
                                   err_msg=str(case))


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*Effective Samples Size:UserWarning",
                            "ignore:.*R-hat:UserWarning")
def test_a_fits_pymc_model_is_make_models(sleepstudy):
    formula = "Reaction ~ Days + (Days | Subject)"
    fit = ml.brm(formula, sleepstudy, chains=1, draws=100, warmup=100, seed=1,
                 progressbar=False)
    model = ml.make_model(formula, sleepstudy)
    assert (sorted(v.name for v in fit.pymc_model.value_vars)
            == sorted(v.name for v in model.value_vars))
    points = _points(model)
    np.testing.assert_allclose(_log_densities(fit.pymc_model, points),
                               _log_densities(model, points), rtol=1e-12)
    assert fit.model_code() == ml.model_code(formula, sleepstudy)


def test_the_program_is_python_shown_as_code(sleepstudy):
    code = ml.model_code("Reaction ~ Days + (Days | Subject)", sleepstudy)
    assert isinstance(code, ModelCode) and isinstance(code, str)
    compile(str(code), "<model_code>", "exec")
    assert code._repr_markdown_() == f"```python\n{code}\n```"
    assert repr(code) == str(code)


def test_the_program_is_standalone_and_names_brms_parameters(sleepstudy):
    code = str(ml.model_code("Reaction ~ Days + (Days | Subject)", sleepstudy))
    imports = [line for line in code.splitlines() if line.startswith(("import", "from"))]
    # math for the LKJ prior's normalising constant
    assert imports == ["import math", "import numpy as np", "import pandas as pd",
                       "import pymc as pm", "import pytensor.tensor as pt"]
    assert "multilevel." not in code.replace("Written by multilevel.", "")
    for name in ("b_Days", "b_Intercept", "sd_Subject__Intercept", "sd_Subject__Days",
                 "cor_Subject__Intercept__Days", "r_Subject[308,Intercept]", "sigma"):
        assert name in code
    # the data are prepared from the frame, not embedded
    assert 'data["Days"]' in code and "np.array(" not in code
    assert 'pd.read_csv("sleepstudy.csv")' in code


def test_terms_formulae_evaluates_itself_are_embedded_with_their_name():
    data, formula, family, _ = _inputs(CASES[11])
    code = str(ml.model_code(formula, data, family))
    assert 'the column of "poly(x, 2)"' in code
    assert 'data["h"].eq("h1")' in code  # factor(h)'s treatment contrast, as pandas code
    assert 'data["flag"].astype(str).str.upper()' not in code
    data, formula, family, _ = _inputs(CASES[10])
    code = str(ml.model_code(formula, data, family))
    assert 'data["flag"] = data["flag"].astype(str).str.upper()' in code
    assert 'data["flag"].eq("TRUE")' in code


def test_a_model_without_the_likelihood_has_none(sleepstudy):
    from multilevel.api import _model_parts
    from multilevel.describe.model_code import write_model_code

    design, table = _model_parts("Reaction ~ Days + (1 | Subject)", sleepstudy, "gaussian", None)
    assert "pm.Normal(\"y\"" in write_model_code(design, table)
    without = write_model_code(design, table, likelihood=False)
    assert "pm.Normal(\"y\"" not in without and "priors alone" in without


def test_a_likelihood_the_writer_cannot_spell_is_refused_by_name(sleepstudy):
    class OwnDistribution:
        """A likelihood that is not one of PyMC's distributions."""

    def likelihood(eta, mu, aux, trials, link):
        return OwnDistribution, {"mu": mu, "sigma": aux["sigma"]}

    family = dataclasses.replace(ml.gaussian, name="own_normal", likelihood=likelihood)
    with pytest.raises(ModelCodeError, match="likelihood of family 'own_normal'"):
        ml.model_code("Reaction ~ Days + (1 | Subject)", sleepstudy, family)
    assert issubclass(ModelCodeError, ml.MultilevelError)
