"""Bad and hostile input, one row per case: each ends in a multilevel error naming the culprit.

A case is (id, call, error class, pattern): ``call`` takes the test's context and must raise
that class of :class:`multilevel.MultilevelError` with a message matching the pattern, which
names the column, term, level, prior or argument at fault. Nothing may end in an exception
from PyMC, PyTensor, JAX, formulae or pandas, and no formula may run code: the injection
payloads try to write a file, and the test checks that none was written.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import (
    DataError,
    FamilyError,
    FormulaError,
    MultilevelError,
    PriorError,
    SettingsError,
    StorageError,
)
from multilevel.results.storage import _content_hash


@dataclass
class Context:
    """What the cases act on: small data, a fitted model, its saved copy, a file to guard."""

    data: pd.DataFrame
    counts: pd.DataFrame
    fit: ml.Fit
    saved: Path
    work: Path
    sentinel: Path

    def copy_of_saved(self) -> Path:
        target = self.work / f"copy{len(list(self.work.iterdir()))}"
        shutil.copytree(self.saved, target)
        return target

    def edit_saved(self, edit, rehash: bool = False) -> Path:
        """A copy of the saved fit with ``edit`` applied to its metadata; with ``rehash`` the
        content hash is recomputed, as a careful forger would."""
        target = self.copy_of_saved()
        metadata = json.loads((target / "fit.json").read_text())
        edit(metadata)
        if rehash:
            metadata["content_hash"] = _content_hash(metadata, target / "draws.nc")
        (target / "fit.json").write_text(json.dumps(metadata))
        return target


def _data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    g = np.repeat(np.arange(6), 8)
    x = rng.normal(size=48)
    return pd.DataFrame({
        "y": 1 + 0.5 * x + rng.normal(0, 0.5, 6)[g] + rng.normal(size=48),
        "x": x,
        "z": rng.normal(size=48),
        "t": np.arange(48.0),
        "g": [f"G{k}" for k in g],
        "h": np.tile(["a", "b", "c"], 16),
        "one": "only",
        "label": rng.choice(["lo", "hi"], 48),
    })


def _counts() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    g = np.repeat(np.arange(6), 8)
    n = rng.integers(5, 15, 48)
    return pd.DataFrame({"k": rng.binomial(n, 0.4), "n": n, "x": rng.normal(size=48),
                         "expo": rng.uniform(1, 3, 48), "g": [f"G{k}" for k in g]})


@pytest.fixture(scope="module")
def context(tmp_path_factory) -> Context:
    work = tmp_path_factory.mktemp("bad-inputs")
    data = _data()
    fit = ml.brm("y ~ x + (1 | g)", data, chains=1, draws=100, warmup=100, seed=5,
                 progressbar=False)
    saved = work / "saved"
    fit.save(saved)
    (work / "copies").mkdir()
    return Context(data, _counts(), fit, saved, work / "copies", work / "pwned")


def prior_table(formula, data_name="data", **kwargs):
    return lambda c: ml.get_prior(formula, getattr(c, data_name), **kwargs)


def fit_with(**kwargs):
    """brm on the small data with one bad argument; every check runs before sampling."""
    return lambda c: ml.brm("y ~ x + (1 | g)", c.data, progressbar=False, **kwargs)


def with_data(formula, change, **kwargs):
    return lambda c: ml.get_prior(formula, change(c.data.copy()), **kwargs)


def with_counts(formula, change, family, **kwargs):
    return lambda c: ml.get_prior(formula, change(c.counts.copy()), family=family, **kwargs)


def _set(column, values):
    def change(frame):
        frame[column] = values(frame) if callable(values) else values
        return frame
    return change


def _first(column, value):
    def change(frame):
        frame[column] = frame[column].astype(object if isinstance(value, str) else float)
        frame.loc[0, column] = value
        return frame
    return change


def _injection(template: str):
    return lambda c: ml.get_prior(template.format(out=c.sentinel), c.data)


INJECTIONS = [
    ("inject-population-I", 'y ~ x + I(pd.io.common.os.system("id > {out}"))'),
    ("inject-population-bare", 'y ~ x + pd.io.common.os.system("id > {out}")'),
    ("inject-to-csv", 'y ~ I(data.to_csv("{out}"))'),
    ("inject-column-method", 'y ~ I(x.to_csv("{out}"))'),
    ("inject-response", 'I(pd.io.common.os.system("id > {out}")) ~ x'),
    ("inject-group-expr", 'y ~ x + (1 + I(np.save("{out}", 1)) | g)'),
    ("inject-offset", 'y ~ x + offset(pd.io.common.os.system("id > {out}"))'),
    ("inject-weights", 'y | weights(pd.io.common.os.system("id > {out}")) ~ x'),
    ("inject-trials", 'y | trials(pd.io.common.os.system("id > {out}")) ~ x'),
    ("inject-cbind", 'cbind(y, data.to_csv("{out}")) ~ x'),
    ("inject-dunder-import", 'y ~ __import__("os").system("id > {out}")'),
    ("inject-open", 'y ~ I(open("{out}", "w"))'),
    ("inject-eval", 'y ~ I(eval("1"))'),
    ("inject-exec", 'y ~ exec("open(\'{out}\', \'w\')")'),
    ("inject-getattr", 'y ~ I(getattr(x, "to_csv")("{out}"))'),
    ("inject-function-globals", 'y ~ I(factor.__globals__)'),
    ("inject-warnings-module", 'y ~ warnings.warn("{out}")'),
    ("inject-nested-call", 'y ~ log(np.exp(x))'),
    ("inject-power-bomb", "y ~ I(10**10**10)"),
    ("inject-power-bomb-nested", "y ~ x + I((9*9)**(99999*99999))"),
]

CASES = [
    *[(name, _injection(template), FormulaError,
       r"calls|constant power|Cannot read|not in the data") for name, template in INJECTIONS],
    # --- formula syntax
    ("no-tilde", prior_table("y x"), FormulaError, "one '~'"),
    ("two-tildes", prior_table("y ~ x ~ z"), FormulaError, "one '~'"),
    ("empty-right-side", prior_table("y ~ "), FormulaError, "nothing right of '~'"),
    ("no-response", prior_table(" ~ x"), FormulaError, "no response"),
    ("unbalanced-open", prior_table("y ~ (x"), FormulaError, r"Unbalanced '\('"),
    ("unbalanced-close", prior_table("y ~ x)"), FormulaError, r"Unbalanced '\)'"),
    ("bar-without-parentheses", prior_table("y ~ x | g"), FormulaError, "outside parentheses"),
    ("bar-after-plus", prior_table("y ~ x + z | g"), FormulaError, "'z | g'"),
    ("group-nothing-left", prior_table("y ~ x + ( | g)"), FormulaError, "nothing left"),
    ("group-no-factor", prior_table("y ~ x + (1 | )"), FormulaError, "no grouping factor"),
    ("group-factor-not-column", prior_table("y ~ x + (1 | gg)"), FormulaError, "'gg'"),
    ("group-factor-expression", prior_table("y ~ x + (1 | log(g))"), FormulaError,
     "not a column name"),
    ("group-id-syntax", prior_table("y ~ x + (1 | p q | g)"), FormulaError,
     r"ID syntax is \(terms \| ID \| group\)"),
    ("gr-unknown-option", prior_table("y ~ x + (1 | gr(g, foo = 1))"), FormulaError,
     "'foo = 1' is not an option of gr"),
    ("gr-covariance-without-data2", prior_table("y ~ x + (1 | gr(g, cov = A))"), DataError,
     "Object 'A' was not found in 'data2'.*data2=\\{'A': A\\}"),
    ("gr-power-weights", prior_table("y ~ x + (1 | gr(g, pw = w))"), FormulaError,
     "gr\\(\\)'s pw = w is not supported"),
    ("gr-cor-not-logical", prior_table("y ~ x + (1 | gr(g, cor = maybe))"), FormulaError,
     "cor must be TRUE or FALSE"),
    ("gr-two-ids", prior_table("y ~ x + (1 | p | gr(g, id = 'q'))"), FormulaError,
     "gives an ID twice"),
    ("gr-by-not-a-column", prior_table("y ~ x + (1 | gr(g, by = arm))"), FormulaError,
     "'arm' used in group term"),
    ("gr-by-not-nesting", prior_table("y ~ x + (1 | gr(g, by = h))"), FormulaError,
     "some levels of 'g' .* correspond to multiple levels of 'h'"),
    ("gr-by-with-a-shared-id", prior_table("y ~ x + (1 | p | gr(g, by = g)) + (0 + x | p | g)"),
     FormulaError, "share the ID 'p' and one has a by column"),
    # a comparison R would code by both of its levels
    ("comparison-without-its-partner", prior_table("y ~ I(x > 0):z"), FormulaError,
     r"'I\(x > 0\):z' in the population-level terms: R codes the comparison"),
    ("comparison-without-intercept", prior_table("y ~ 0 + I(x > 0)"), FormulaError,
     "by both of its levels"),
    ("group-removed", prior_table("y ~ x - (1 | g)"), FormulaError, "cannot be removed"),
    ("group-duplicated", prior_table("y ~ x + (1 | g) + (1 | g)"), FormulaError,
     "Duplicated group-level effect 'Intercept'"),
    ("unknown-column", prior_table("y ~ xx"), FormulaError, "'xx'"),
    ("unknown-column-in-call", prior_table("y ~ log(xx)"), FormulaError, "'xx'"),
    ("unknown-response", prior_table("yy ~ x"), FormulaError, "'yy'"),
    ("unknown-function", prior_table("y ~ foo(x)"), FormulaError, r"foo\(\).*Allowed"),
    ("dotted-function", prior_table("y ~ as.factor(h)"), FormulaError, "'as.factor'"),
    ("unknown-addition", prior_table("y | mi() ~ x"), FormulaError, r"'mi\(\)'"),
    ("cens-too-many", prior_table("y | cens(h, t, z) ~ x"), FormulaError,
     r"cens\(\) takes the censoring indicator"),
    ("se-no-column", prior_table("y | se() ~ x"), FormulaError, "names no standard errors"),
    ("se-unknown-option", prior_table("y | se(t, sigma = yes) ~ x"), FormulaError,
     "sigma = TRUE or FALSE"),
    ("addition-twice", prior_table("y | weights(x) + weights(z) ~ x"), FormulaError,
     r"weights\(\) is given twice"),
    ("cbind-one-argument", prior_table("cbind(y) ~ x"), FormulaError, r"cbind\(\) takes two"),
    ("offset-removed", prior_table("y ~ x - offset(z)"), FormulaError, "offset cannot"),
    ("empty-term", prior_table("y ~ x + "), FormulaError, "Empty term"),
    ("formula-not-string", lambda c: ml.get_prior(3, c.data), FormulaError, "must be a string"),
    ("trailing-nesting", prior_table("y ~ x + (1 | g/)"), FormulaError, "not a column name"),
    ("group-term-no-coefficients", prior_table("y ~ x + (0 | g)"), FormulaError,
     "no varying coefficients"),
    # --- data
    ("data-not-frame", lambda c: ml.get_prior("y ~ x", c.data.to_dict()), DataError,
     "DataFrame"),
    ("brm-data-not-frame", lambda c: ml.brm("y ~ x", [1, 2, 3]), DataError, "DataFrame"),
    ("data-empty", with_data("y ~ x", lambda f: f.iloc[:0]), DataError, "no rows"),
    ("data-one-row", with_data("y ~ x", lambda f: f.iloc[:1]), DataError, "Only 1"),
    ("data-all-missing", with_data("y ~ x", _set("x", np.nan)), DataError, "'x'"),
    ("predictor-infinite", with_data("y ~ x", _first("x", np.inf)), DataError,
     "Column 'x' has 1 infinite"),
    ("predictor-minus-infinite", with_data("y ~ x + z", _first("z", -np.inf)), DataError,
     "Column 'z'"),
    ("response-infinite", with_data("y ~ x", _first("y", np.inf)), DataError,
     "Column 'y' has 1 infinite"),
    ("log-of-zero", prior_table("y ~ log(t)"), DataError, "'logt' is not finite in 1 row"),
    ("log-of-negative", prior_table("y ~ log(x)"), DataError, "'logx' is not finite"),
    ("response-log-of-negative", prior_table("log(x) ~ z"), DataError,
     "response 'log\\(x\\)' is not finite"),
    ("offset-log-zero", prior_table("y ~ x + offset(log(t))"), DataError,
     r"offset\(log\(t\)\) is not finite"),
    ("slope-log-zero", prior_table("y ~ x + (log(t) | g)"), DataError,
     r"\(log\(t\) \| g\) is not finite"),
    ("one-level-factor", prior_table("y ~ x + one"), DataError, "'one' has a single level"),
    ("collinear-predictor", lambda c: ml.brm("y ~ x + x2", c.data.assign(x2=2 * c.data.x + 1)),
     DataError, "'x2' is a linear combination of Intercept, x"),
    ("constant-predictor", lambda c: ml.brm("y ~ x + k", c.data.assign(k=3.0)), DataError,
     "'k' is a linear combination of Intercept"),
    ("zero-predictor", lambda c: ml.brm("y ~ x + k", c.data.assign(k=0.0)), DataError,
     "'k' is a linear combination of nothing"),
    ("string-response-gaussian", prior_table("label ~ x"), DataError,
     "Response 'label' must be numeric"),
    ("boolean-response-gaussian", with_data("b ~ x", _set("b", lambda f: f.x > 0)), DataError,
     "Response 'b' must be numeric"),
    ("poisson-negative", with_counts("k ~ x", _first("k", -1), "poisson"), DataError,
     "non-negative integer counts.*'k'"),
    ("poisson-fraction", with_counts("k ~ x", _first("k", 1.5), "poisson"), DataError,
     "non-negative integer counts"),
    ("poisson-infinite", with_counts("k ~ x", _first("k", np.inf), "poisson"), DataError,
     "Column 'k' has 1 infinite"),
    ("negbinomial-negative", with_counts("k ~ x", _first("k", -3), "negbinomial"), DataError,
     "non-negative integer"),
    ("bernoulli-two", with_counts("k ~ x", lambda f: f, "bernoulli"), DataError, "'k'"),
    ("binomial-no-trials", with_counts("k ~ x", lambda f: f, "binomial"), DataError,
     "needs the number of trials"),
    ("binomial-fraction-trials", with_counts("k | trials(n) ~ x", _first("n", 2.5), "binomial"),
     DataError, r"trials\(n\) must be non-negative integers"),
    ("binomial-negative-trials", with_counts("k | trials(n) ~ x", _first("n", -1), "binomial"),
     DataError, r"trials\(n\) must be non-negative integers"),
    ("binomial-too-many-successes",
     with_counts("k | trials(n) ~ x", _set("k", lambda f: f.n + 1), "binomial"), DataError,
     "'k'"),
    ("cbind-negative-failures", with_counts("cbind(k, n - k - 20) ~ x", lambda f: f,
                                            "binomial"), DataError, "failures must be"),
    ("trials-for-poisson", with_counts("k | trials(n) ~ x", lambda f: f, "poisson"),
     FormulaError, "only apply to binomial families"),
    ("weights-negative", with_data("y | weights(w) ~ x", _set("w", -1.0)), DataError,
     r"weights\(w\) must be non-negative"),
    ("weights-string", with_data("y | weights(h) ~ x", lambda f: f), DataError,
     r"weights\(h\) must be numeric"),
    ("se-negative", prior_table("y | se(z) ~ x"), DataError, r"se\(z\) must be non-negative"),
    ("cens-unknown-code", prior_table("y | cens(h) ~ x"), DataError,
     r"cens\(h\) has value\(s\) 'a', 'b', 'c' that are no censoring code"),
    ("cens-interval-without-bounds", with_data("y | cens(c) ~ x", _set("c", "interval")),
     FormulaError, r"marks 48 row\(s\) as interval-censored; give their upper bounds"),
    ("cens-bounds-below", with_data("y | cens(c, b) ~ x",
                                    lambda f: f.assign(c="interval", b=f.y - 1)),
     DataError, r"upper bound 'b' is not above the response in 48"),
    ("cens-bounds-missing", with_data("y | cens(c, bb) ~ x", lambda f: f.assign(c="i")),
     FormulaError, r"Column 'bb' used in cens\(\) is not in the data"),
    ("cens-for-poisson", with_counts("k | cens(c) ~ x", lambda f: f.assign(c="right"),
                                     "poisson"),
     FamilyError, r"censors the response of the exponential, frechet, gaussian, lognormal or "
                  r"weibull family; the family here is 'poisson'"),
    ("cens-collapsed", lambda c: ml.brm("y | cens(c) ~ x + (1 | g)", c.data.assign(c="none"),
                                        parametrization="collapsed", progressbar=False),
     SettingsError, r"does not support censored responses"),
    ("se-zero-without-sigma", prior_table("y | se(t) ~ x"), DataError,
     r"se\(t\) is 0 in 1 row.*se\(t, sigma = TRUE\)"),
    ("se-for-poisson", with_counts("k | se(expo) ~ x", lambda f: f, "poisson"), FamilyError,
     r"se\(expo\) gives the known standard errors of a gaussian or student response"),
    ("nl-unknown-function", prior_table(ml.bf("y ~ b1 * gamma(x)", b1="~ 1", nl=True)),
     FormulaError, r"calls gamma\(\), which is not provided; its functions are Phi, abs"),
    ("nl-not-arithmetic", prior_table(ml.bf("y ~ b1 * x[1]", b1="~ 1", nl=True)),
     FormulaError, r"has 'x\[1\]', which is not part of an arithmetic expression"),
    ("nl-without-parameters", prior_table(ml.bf("y ~ 2 * x", sigma="~ 1", nl=True)),
     FormulaError, r"has no parameter: give each of its parameters a formula"),
    ("nl-unused-parameter", prior_table(ml.bf("y ~ b1 * x", b1="~ 1", b2="~ 1", nl=True)),
     FamilyError, r"no distributional parameter 'b2'.*non-linear formula 'y ~ b1 \* x', which "
                  r"does not use it"),
    ("nl-text-column", prior_table(ml.bf("y ~ b1 * g", b1="~ 1", nl=True)), DataError,
     r"Column 'g' of the non-linear formula 'y ~ b1 \* g' must be numeric"),
    ("nl-prior-as-dpar", lambda c: ml.get_prior(
        ml.bf("y ~ b1 * x", b1="~ 1", nl=True), c.data,
        prior=ml.prior("normal(0, 1)", dpar="b1")),
     PriorError, r"'b1' is a non-linear parameter; write nlpar='b1', not dpar"),
    ("nl-without-priors", lambda c: ml.brm(ml.bf("y ~ b1 * exp(b2 * x)", b1="~ 1", b2="~ 1",
                                                nl=True), c.data, progressbar=False,
                                          prior=ml.prior("normal(0, 1)", nlpar="b1")),
     PriorError, r"Priors on population-level coefficients are required in non-linear models, "
                 r"but none were found for parameter 'b2'"),
    ("nl-family-parameter", prior_table(ml.bf("y ~ b1 * exp(sigma * x)", "b1 + sigma ~ 1",
                                              nl=True)),
     FormulaError, r"'sigma' is a parameter of the gaussian family, so its formula predicts "
                   r"it; give the non-linear parameter another name"),
    ("nl-two-formulas", lambda c: ml.bf("y ~ b1 * x", "b1 ~ 1", b1="~ z", nl=True),
     FormulaError, r"bf\(\) gives 'b1' more than one formula"),
    ("nl-ordinal", lambda c: ml.get_prior(ml.bf("y ~ b1 * x", b1="~ 1", nl=True),
                                          c.data.assign(y=1 + (c.data["x"] > 0)), "cumulative"),
     FormulaError, r"non-linear formulas work with families of one mean, not with "
                   r"'cumulative'"),
    ("held-unknown", lambda c: ml.get_prior(ml.bf("y ~ x", quantil=0.8), c.data,
                                            "asym_laplace"),
     FamilyError, r"Family 'asym_laplace' has no distributional parameter 'quantil' to hold at "
                  r"0\.8; its distributional parameters are sigma, quantile\. Did you mean "
                  r"'quantile'"),
    ("held-outside", lambda c: ml.get_prior(ml.bf("y ~ x", quantile=1.5), c.data,
                                            "asym_laplace"),
     FamilyError, r"bf\(\) holds 'quantile' at 1\.5, but the asym_laplace family's quantile "
                  r"lies in \(0, 1\)"),
    ("held-at-a-bound", lambda c: ml.get_prior(ml.bf("y ~ x", quantile=1.0), c.data,
                                               "asym_laplace"),
     FamilyError, r"holds 'quantile' at 1, but the asym_laplace family's quantile lies in "
                  r"\(0, 1\)"),
    ("held-above-the-response", lambda c: ml.get_prior(
        ml.bf("y ~ x", ndt=100.0), c.data.assign(y=c.data["y"].abs() + 1.0),
        "shifted_lognormal"),
     FamilyError, r"holds 'ndt' at 100, but the shifted_lognormal family's ndt lies below the "
                  r"smallest response"),
    ("held-negative-sigma", lambda c: ml.get_prior(ml.bf("y ~ x", sigma=-1), c.data),
     FamilyError, r"holds 'sigma' at -1, but the gaussian family's sigma lies in \(0, inf\)"),
    ("held-and-predicted", lambda c: ml.bf("y ~ x", "sigma ~ x", sigma=2.0),
     FormulaError, r"bf\(\) gives 'sigma' a formula and a value; give one of them"),
    ("held-infinite", lambda c: ml.bf("y ~ x", sigma=float("inf")),
     FormulaError, r"bf\(\) holds 'sigma' at a finite number, got inf"),
    ("held-with-se", lambda c: ml.get_prior(ml.bf("y | se(s) ~ x", sigma=1.0),
                                            c.data.assign(s=1.0)),
     FamilyError, r"bf\(\) holds 'sigma' at a value and se\(\) gives known standard errors"),
    ("se-sigma-predicted", lambda c: ml.get_prior(ml.bf("y | se(s) ~ x", sigma="~ x"),
                                                  c.data.assign(s=1.0)),
     FormulaError, r"sigma is 0 under se\(s\), so it cannot be predicted"),
    ("se-residual-structure", lambda c: ml.get_prior("y | se(s) ~ x + ar(time = t, gr = g)",
                                                     c.data.assign(s=1.0)),
     FormulaError, r"cannot be combined with se\(s\)"),
    ("se-collapsed", lambda c: ml.brm("y | se(s) ~ x + (1 | g)", c.data.assign(s=1.0),
                                      parametrization="collapsed", progressbar=False),
     SettingsError, r"does not support known standard errors \(se\(s\)\)"),
    ("beta-response-one", with_data("p ~ x", _set("p", 1.0), family="beta"), DataError,
     "strictly between 0 and 1.*'p'"),
    ("gamma-response-zero", with_data("p ~ x", _set("p", 0.0), family="gamma"), DataError,
     r"positive values.*'p'"),
    ("lognormal-negative", prior_table("x ~ z", family="lognormal"), DataError, "'x'"),
    # --- families
    ("family-misspelled", prior_table("y ~ x", family="gausian"), FamilyError,
     "Unknown family 'gausian'. Did you mean 'gaussian'"),
    ("family-number", prior_table("y ~ x", family=3), FamilyError, "got 3"),
    ("family-none", prior_table("y ~ x", family=None), FamilyError, "got None"),
    ("family-list", prior_table("y ~ x", family=["gaussian"]), FamilyError, "got"),
    ("family-bad-link", lambda c: ml.poisson(link="logit"), FamilyError,
     "Link 'logit' is not available for family 'poisson'; valid links: log"),
    ("family-unknown-link", lambda c: ml.gaussian(link="foo"), FamilyError, "'foo'"),
    ("family-link-number", lambda c: ml.get_family("binomial", link=5), FamilyError,
     "link must be"),
    ("family-bernoulli-log", lambda c: ml.bernoulli(link="log"), FamilyError,
     "'bernoulli'"),
    # --- priors
    ("prior-nan", lambda c: ml.prior("normal(nan, 1)"), PriorError, "mu.*finite"),
    ("prior-infinite-scale", lambda c: ml.prior("normal(0, inf)"), PriorError,
     "sigma.*finite"),
    ("prior-overflow", lambda c: ml.prior("normal(0, 1e400)"), PriorError, "finite"),
    ("prior-negative-scale", lambda c: ml.prior("normal(0, -1)"), PriorError,
     "sigma.*positive"),
    ("prior-unknown-distribution", lambda c: ml.prior("normall(0, 1)"), PriorError,
     "Unknown prior distribution 'normall'.*Did you mean 'normal'"),
    ("prior-argument-count", lambda c: ml.prior("normal(0)"), PriorError,
     "normal takes 2 argument"),
    ("prior-text-argument", lambda c: ml.prior("normal(a, 1)"), PriorError,
     "must be a number, got 'a'"),
    ("prior-unclosed", lambda c: ml.prior("normal(0, 1"), PriorError, "Cannot parse prior"),
    ("prior-not-string", lambda c: ml.prior(3), PriorError, "must be a string"),
    ("prior-class-number", lambda c: ml.prior("normal(0, 1)", class_=3), PriorError,
     "class_ .* must be a string"),
    ("prior-beta-zero", lambda c: ml.prior("beta(0, 1)"), PriorError, "alpha.*positive"),
    ("prior-gamma-zero-rate", lambda c: ml.prior("gamma(1, 0)"), PriorError,
     "beta.*positive"),
    ("prior-exponential-negative", lambda c: ml.prior("exponential(-1)"), PriorError,
     "lambda.*positive"),
    ("prior-uniform-reversed", lambda c: ml.prior("uniform(10, -10)"), PriorError,
     "lower < upper"),
    ("prior-bare-string", prior_table("y ~ x", prior="normal(0, 1)"), PriorError,
     r"ml.prior\('normal\(0, 1\)'"),
    ("prior-list-of-strings", prior_table("y ~ x", prior=["normal(0, 1)"]), PriorError,
     r"made with ml.prior\(\)"),
    ("prior-unknown-coefficient",
     prior_table("y ~ x", prior=ml.prior("normal(0, 1)", coef="xx")), PriorError,
     "do not correspond to any model parameter.*coef 'xx'.*Did you mean 'x'"),
    ("prior-unknown-class", prior_table("y ~ x", prior=ml.prior("normal(0, 1)",
                                                                class_="shape")),
     PriorError, "class 'shape'"),
    ("prior-unknown-group", prior_table("y ~ x + (1 | g)", prior=ml.prior(
        "normal(0, 1)", class_="sd", group="gg")), PriorError, "group 'gg'"),
    ("prior-duplicated", prior_table("y ~ x", prior=[ml.prior("normal(0, 1)"),
                                                     ml.prior("normal(0, 2)")]),
     PriorError, "Duplicated prior"),
    ("prior-lkj-on-b", prior_table("y ~ x", prior=ml.prior("lkj(2)")), PriorError,
     "lkj.*class 'cor' only"),
    ("prior-normal-on-cor", prior_table("y ~ x + (x | g)", prior=ml.prior(
        "normal(0, 1)", class_="cor")), PriorError, r"correlations take lkj"),
    # --- sampler settings (checked before any work)
    ("seed-text", fit_with(seed="abc"), SettingsError, "seed"),
    ("seed-negative", fit_with(seed=-1), SettingsError, "seed"),
    ("seed-fraction", fit_with(seed=1.5), SettingsError, "seed"),
    ("seed-boolean", fit_with(seed=True), SettingsError, "seed"),
    ("cores-zero", fit_with(cores=0), SettingsError, "cores"),
    ("cores-negative", fit_with(cores=-3), SettingsError, "cores"),
    ("cores-text", fit_with(cores="2"), SettingsError, "cores"),
    ("target-accept-text", fit_with(target_accept="high"), SettingsError, "target_accept"),
    ("target-accept-one", fit_with(target_accept=1.0), SettingsError, "target_accept"),
    ("target-accept-nan", fit_with(target_accept=float("nan")), SettingsError,
     "target_accept"),
    ("chains-zero", fit_with(chains=0), SettingsError, "chains"),
    ("draws-fraction", fit_with(draws=2.5), SettingsError, "draws"),
    ("warmup-negative", fit_with(warmup=-1), SettingsError, "warmup"),
    ("sampler-unknown", fit_with(sampler="stan"), SettingsError, "sampler must be one of"),
    ("algorithm-unknown", fit_with(algorithm="vb"), SettingsError,
     "algorithm must be one of"),
    ("sample-prior-unknown", fit_with(sample_prior="maybe"), SettingsError,
     "sample_prior must be one of"),
    ("file-is-a-file", lambda c: ml.brm("y ~ x", c.data, file="/etc/hostname"), StorageError,
     "'/etc/hostname': it is a file"),
    # --- predictions
    ("ndraws-zero", lambda c: c.fit.posterior_epred(ndraws=0), MultilevelError, "ndraws"),
    ("ndraws-negative", lambda c: c.fit.predict(ndraws=-5), MultilevelError, "ndraws"),
    ("ndraws-fraction", lambda c: c.fit.fitted(ndraws=2.5), MultilevelError, "ndraws"),
    ("newdata-empty", lambda c: c.fit.predict(newdata=c.data.iloc[:0]), DataError,
     "newdata has no rows"),
    ("newdata-not-frame", lambda c: c.fit.posterior_epred(newdata={"x": [1]}), DataError,
     "newdata must be a pandas DataFrame"),
    ("newdata-missing-column", lambda c: c.fit.posterior_epred(newdata=pd.DataFrame(
        {"g": ["G1"]})), FormulaError, "'x'"),
    ("newdata-new-level", lambda c: c.fit.posterior_epred(newdata=pd.DataFrame(
        {"x": [0.0], "g": ["G99"]})), MultilevelError, "'G99'"),
    ("newdata-infinite", lambda c: c.fit.posterior_epred(newdata=pd.DataFrame(
        {"x": [np.inf], "g": ["G1"]})), DataError, "'x'"),
    ("re-formula-number", lambda c: c.fit.posterior_epred(re_formula=3), MultilevelError,
     "re_formula"),
    ("sample-new-levels-unknown", lambda c: c.fit.posterior_epred(sample_new_levels="x"),
     MultilevelError, "sample_new_levels"),
    ("allow-new-levels-text", lambda c: c.fit.posterior_epred(allow_new_levels="yes"),
     MultilevelError, "allow_new_levels"),
    ("hypothesis-unknown-parameter", lambda c: c.fit.hypothesis("xx > 0"), MultilevelError,
     "unknown name.*xx"),
    ("pp-mixture-of-no-mixture", lambda c: c.fit.pp_mixture(), MultilevelError,
     "only be applied to mixture models"),
    ("incl-thres-text", lambda c: c.fit.posterior_linpred(incl_thres="yes"), MultilevelError,
     "incl_thres must be True or False"),
    ("add-criterion-unknown", lambda c: c.fit.add_criterion("aic"), MultilevelError,
     "subset of loo, waic, kfold, bayes_R2, loo_R2, marglik"),
    # --- saved fits
    ("load-nothing", lambda c: ml.load(c.work / "absent"), StorageError, "No saved fit"),
    ("load-truncated-json", lambda c: ml.load(_truncate(c.copy_of_saved() / "fit.json")),
     StorageError, "not valid JSON"),
    ("load-garbage-json", lambda c: ml.load(_overwrite(c.copy_of_saved() / "fit.json",
                                                       b"\xff\xfe garbage")),
     StorageError, "not valid JSON"),
    ("load-json-list", lambda c: ml.load(_overwrite(c.copy_of_saved() / "fit.json", b"[1]")),
     StorageError, "not a saved multilevel fit"),
    ("load-unknown-key", lambda c: ml.load(c.edit_saved(lambda m: m.update(extra=1))),
     StorageError, "unknown keys 'extra'"),
    ("load-missing-key", lambda c: ml.load(c.edit_saved(lambda m: m.pop("seed"))),
     StorageError, "missing keys 'seed'"),
    ("load-old-format", lambda c: ml.load(c.edit_saved(lambda m: m.update(format_version=1))),
     StorageError, "format version 1"),
    ("load-missing-draws", lambda c: ml.load(_remove(c.copy_of_saved() / "draws.nc")),
     StorageError, "No saved fit"),
    ("load-garbage-draws", lambda c: ml.load(_overwrite(c.copy_of_saved() / "draws.nc",
                                                        b"not a netcdf file")),
     StorageError, "changed after it was saved"),
    ("load-garbage-draws-rehashed", lambda c: ml.load(_rehash(_overwrite(
        c.copy_of_saved() / "draws.nc", b"not a netcdf file"))),
     StorageError, "draws.nc"),
    ("load-tampered-formula", lambda c: ml.load(c.edit_saved(
        lambda m: m.update(formula="y ~ 1 + (1 | g)"))), StorageError, "changed after"),
    ("load-tampered-data", lambda c: ml.load(c.edit_saved(_scale_response)), StorageError,
     "changed after"),
    ("load-tampered-draws", lambda c: ml.load(_scale_draws(c.copy_of_saved())), StorageError,
     "changed after"),
    ("load-unknown-family", lambda c: ml.load(c.edit_saved(
        lambda m: m["family"].update(name="gausian"), rehash=True)), StorageError,
     "its family.*'gausian'"),
    ("load-odd-dtype", lambda c: ml.load(c.edit_saved(
        lambda m: m["data"]["columns"][0].update(dtype="no_such_dtype"), rehash=True)),
     StorageError, "its data"),
    ("load-injected-formula", lambda c: ml.load(c.edit_saved(lambda m: m.update(
        formula=f'y ~ x + I(pd.io.common.os.system("id > {c.sentinel}")) + (1 | g)'),
        rehash=True)), StorageError, "calls 'pd.io.common.os.system'"),
    ("load-unknown-setting", lambda c: ml.load(c.edit_saved(
        lambda m: m["settings"].update(turbo=True), rehash=True)), StorageError,
     "its settings"),
]


def _truncate(path: Path) -> Path:
    path.write_bytes(path.read_bytes()[:100])
    return path.parent


def _overwrite(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path.parent


def _remove(path: Path) -> Path:
    path.unlink()
    return path.parent


def _rehash(folder: Path) -> Path:
    metadata = json.loads((folder / "fit.json").read_text())
    metadata["content_hash"] = _content_hash(metadata, folder / "draws.nc")
    (folder / "fit.json").write_text(json.dumps(metadata))
    return folder


def _scale_response(metadata: dict) -> None:
    column = next(c for c in metadata["data"]["columns"] if c["name"] == "y")
    column["values"] = [10 * v for v in column["values"]]


def _scale_draws(folder: Path) -> Path:
    import arviz as az

    idata = az.from_netcdf(str(folder / "draws.nc"))
    idata.posterior = idata.posterior.load()
    idata.posterior["b"] = idata.posterior["b"] * 10
    (folder / "draws.nc").unlink()
    idata.to_netcdf(str(folder / "draws.nc"))
    return folder


def test_there_are_over_a_hundred_cases():
    assert len(CASES) >= 100
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "call", "error", "pattern"), CASES,
                         ids=[case[0] for case in CASES])
def test_bad_input_gets_a_clear_error(context, name, call, error, pattern):
    with pytest.raises(MultilevelError) as caught:
        call(context)
    assert isinstance(caught.value, error), f"{type(caught.value).__name__}: {caught.value}"
    assert caught.match(pattern)
    assert not context.sentinel.exists(), "a formula ran code"


@pytest.mark.slow
def test_a_tampered_file_fit_is_refitted_with_a_warning(context):
    target = context.work / "refit"
    first = ml.brm("y ~ x + (1 | g)", context.data, chains=1, draws=50, warmup=50, seed=2,
                   progressbar=False, file=target)
    _scale_draws(target)
    with pytest.warns(UserWarning, match="changed after it was saved.*Fitting the model again"):
        again = ml.brm("y ~ x + (1 | g)", context.data, chains=1, draws=50, warmup=50, seed=2,
                       progressbar=False, file=target)
    np.testing.assert_allclose(again.idata.posterior["b"], first.idata.posterior["b"])
    ml.load(target)  # the refit was saved with a valid hash
