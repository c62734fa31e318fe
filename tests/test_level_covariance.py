"""brms's ``gr(g, cov = A)``: group-level effects correlated between levels by a known matrix
(a phylogeny, a pedigree), against brms 2.18 references (tests/reference/families,
run_all.sh: ``phylogenetic``, ``phylogenetic_counts``), and the matrix's checks."""

import warnings

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import DataError, FormulaError
from multilevel.model.collapsed import unsupported_feature
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from reference import (
    FAMILY_REFERENCE_DIR,
    brms_efficiency,
    family_reference_names,
    fit_references,
    fitted_mismatches,
    load_reference,
    mixing_problems,
    posterior_mismatches,
    prior_mismatches,
    reference_newdata,
    reference_prior_table,
)

MODELS = family_reference_names("level_covariance")


def test_both_references_are_here():
    assert MODELS == ["phylogenetic", "phylogenetic_counts"]


@pytest.mark.parametrize("name", MODELS)
def test_default_priors_equal_brms(name):
    reference = load_reference(name, FAMILY_REFERENCE_DIR)
    assert prior_mismatches(reference_prior_table(reference), reference["get_prior"]) == []


def _small():
    data = pd.DataFrame({"y": [1.0, 2.0, 0.5, 1.5, 2.5, 0.0], "x": [0.1, 0.4, -0.3, 1.2, 0.8, -1],
                         "sp": ["a", "b", "c", "a", "b", "c"]})
    matrix = pd.DataFrame([[1.0, 0.5, 0.2], [0.5, 1.0, 0.2], [0.2, 0.2, 1.0]],
                          index=["a", "b", "c"], columns=["a", "b", "c"])
    return data, matrix


def test_the_effects_are_the_matrix_factor_times_independent_effects():
    data, matrix = _small()
    # the matrix's rows in another order than the levels': they are matched by name
    shuffled = matrix.loc[["c", "a", "b"], ["c", "a", "b"]]
    design = build_design(parse_formula("y ~ x + (1 + x | gr(sp, cov = A))"), data,
                          ml.get_family("gaussian"), {"A": shuffled})
    (block,) = design.blocks
    np.testing.assert_allclose(block.cov_cholesky @ block.cov_cholesky.T, matrix.to_numpy())
    assert block.levels == ["a", "b", "c"]
    # no collapsed form, which assumes independent levels
    assert "known covariance" in unsupported_feature(design)


@pytest.mark.slow
def test_the_model_multiplies_the_effects_by_the_matrix_factor():
    data, matrix = _small()
    model = ml.make_model("y ~ x + (1 | gr(sp, cov = A))", data, data2={"A": matrix})
    point = model.initial_point()
    z = np.array([0.3, -1.2, 0.8])
    point["z_sp_0"] = z[:, None]
    point["sd_sp_log__"] = np.log([0.7])
    (effects,) = model.replace_rvs_by_values([model["r_sp"]])
    r = model.compile_fn(effects, inputs=model.value_vars, on_unused_input="ignore")(point)
    np.testing.assert_allclose(r[:, 0], np.linalg.cholesky(matrix.to_numpy()) @ z * 0.7)


@pytest.mark.parametrize(("data2", "formula", "error", "match"), [
    (None, "y ~ (1 | gr(sp, cov = A))", DataError, "Object 'A' was not found in 'data2'"),
    ({"B": 1}, "y ~ (1 | gr(sp, cov = A))", DataError, "data2 holds 'B'"),
    ({"A": np.eye(3)}, "y ~ (1 | gr(sp, cov = A))", DataError,
     "Row or column names are required.*ndarray.*pandas DataFrame"),
    ({"A": "matrix"}, "y ~ (1 | gr(sp, cov = A))", DataError, "Row or column names"),
    ("A", "y ~ (1 | gr(sp, cov = A))", DataError, "data2 must be a dict"),
    ({"A": pd.DataFrame([[1.0, 0.5], [0.4, 1.0]], index=["a", "b"], columns=["a", "b"])},
     "y ~ (1 | gr(sp, cov = A))", DataError, "must be symmetric"),
    ({"A": pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], index=["a", "b"], columns=["a", "b"])},
     "y ~ (1 | gr(sp, cov = A))", DataError, "must be positive definite"),
    ({"A": pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["a", "b"], columns=["a", "b"])},
     "y ~ (1 | gr(sp, cov = A))", DataError,
     "for 'sp' do not match names of the grouping levels.*no row for 'c'"),
    ({"A": pd.DataFrame([["1", "x"], ["x", "1"]], index=["a", "b"], columns=["a", "b"])},
     "y ~ (1 | gr(sp, cov = A))", DataError, "must hold numbers only"),
    ({"A": pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["a", "b"], columns=["b", "a"])},
     "y ~ (1 | gr(sp, cov = A))", DataError, "columns of data2's 'A' must name the levels in "
     "the order of its rows"),
    ({"A": pd.DataFrame()}, "y ~ (1 | gr(sp, cov = A))", DataError, "Row or column names"),
    ({"A": pd.DataFrame(index=["a"], columns=["a"], dtype=float)},
     "y ~ (1 | gr(sp, cov = A))", DataError, "must be symmetric|positive definite"),
    ({}, "y ~ (1 | gr(sp, cov = 2))", FormulaError, "cov must name a matrix of data2"),
    ({}, "y ~ (1 | gr(sp, by = x, cov = A))", FormulaError, "both by and cov"),
])
def test_bad_matrices_are_named(data2, formula, error, match):
    data, _ = _small()
    with pytest.raises(error, match=match):
        ml.get_prior(formula, data, data2=data2)


def test_a_matrix_named_by_its_columns_alone_and_cov_null():
    data, matrix = _small()
    # brms takes the column names where the rows have none; cov = NULL is no matrix
    unnamed_rows = matrix.reset_index(drop=True)
    design = build_design(parse_formula("y ~ (1 | gr(sp, cov = A))"), data,
                          ml.get_family("gaussian"), {"A": unnamed_rows})
    assert list(design.data2["A"].index) == ["a", "b", "c"]
    plain = build_design(parse_formula("y ~ (1 | gr(sp, cov = NULL))"), data,
                         ml.get_family("gaussian"))
    assert plain.blocks[0].cov_cholesky is None


def test_terms_sharing_an_id_share_the_matrix():
    data, matrix = _small()
    with pytest.raises(FormulaError, match="share the ID 'p' but not their covariance"):
        ml.get_prior(ml.bf("y ~ (1 | p | gr(sp, cov = A))", sigma="~ (1 | p | sp)"), data,
                     data2={"A": matrix})


def test_level_labels_are_read_as_r_prints_them():
    # integer species codes in the data and the matrix's index alike
    data, matrix = _small()
    data = data.assign(sp=data["sp"].map({"a": 1, "b": 2, "c": 3}))
    matrix = matrix.set_axis([1, 2, 3], axis=0).set_axis([1, 2, 3], axis=1)
    table = ml.get_prior("y ~ (1 | gr(sp, cov = A))", data, data2={"A": matrix})
    assert "sp" in set(table["group"])


@pytest.fixture(scope="module")
def fits():
    return fit_references(MODELS)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_posterior_equals_brms(fits, name):
    reference, fit, _ = fits[name]
    assert posterior_mismatches(fit, reference["summary"]) == []
    assert mixing_problems(fit, reference["summary"]) == []


@pytest.mark.slow
def test_expected_values_of_new_rows_equal_brms_fitted(fits):
    reference, fit, _ = fits["phylogenetic"]
    newdata = reference_newdata(reference)
    draws = fit.posterior_epred(newdata=newdata)
    assert fitted_mismatches(draws.reshape(4, 500, len(newdata)), reference["fitted"],
                             brms_efficiency(fit, reference["summary"])) == []


@pytest.mark.slow
def test_a_saved_fit_and_its_update_keep_the_matrix(fits, tmp_path):
    _, fit, _ = fits["phylogenetic"]
    fit.save(tmp_path / "phylo")
    loaded = ml.load(tmp_path / "phylo")
    np.testing.assert_array_equal(loaded.design.blocks[0].cov_cholesky,
                                  fit.design.blocks[0].cov_cholesky)
    np.testing.assert_allclose(loaded.log_lik(), fit.log_lik())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # brms's warnings of a short run
        updated = fit.update(draws=100, warmup=100, seed=3)
    assert updated.design.data2.keys() == {"A"}
    np.testing.assert_array_equal(updated.design.blocks[0].cov_cholesky,
                                  fit.design.blocks[0].cov_cholesky)


def test_equations_write_the_covariance_between_levels():
    from matplotlib.mathtext import MathTextParser

    data, matrix = _small()
    kept = r"\text{, jointly normal, with }\mathrm{A}\text{ from data2}"
    levels = r"\text{, for }\mathrm{sp}\ j = 1, \ldots, 3"
    one = ml.equation("y ~ x + (1 | gr(sp, cov = A))", data, data2={"A": matrix})
    assert [line.latex for line in one.lines][1:] == [
        r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \mathrm{A}_{jj}\,\sigma_{\alpha}^{2})" + levels,
        r"\operatorname{Cov}(\alpha_{j}, \alpha_{j'}) = \mathrm{A}_{jj'}\,\sigma_{\alpha}^{2}"
        + kept]
    two = ml.equation("y ~ x + (1 + x | gr(sp, cov = A))", data, data2={"A": matrix},
                      notation="rb", priors=True)
    written = [line.latex for line in two.lines]
    assert (r"(u_{0j}, u_{1j})^{\top} \sim \mathrm{MVN}(\mathbf{0}, \mathrm{A}_{jj}\,"
            r"\mathbf{T})" + levels) in written
    assert (r"\operatorname{Cov}((u_{0j}, u_{1j})^{\top}, (u_{0j'}, u_{1j'})^{\top}) = "
            r"\mathrm{A}_{jj'}\,\mathbf{T}" + kept) in written
    agg = MathTextParser("agg")
    for line in written + [line.latex for line in one.lines]:
        assert agg.parse(f"${line}$", dpi=72).width > 0


@pytest.mark.slow
def test_icc_is_the_phylogenetic_signal_of_a_correlation_matrix(fits):
    _, fit, _ = fits["phylogenetic"]
    posterior = fit.idata.posterior
    phylo = posterior["sd_phylo"].values.ravel() ** 2
    total = phylo + posterior["sd_species"].values.ravel() ** 2 + (
        posterior["sigma"].values.ravel() ** 2)
    # brms's phylogenetic vignette: sd_phylo^2 / (sd_phylo^2 + sd_species^2 + sigma^2)
    assert fit.icc().loc["phylo", "Estimate"] == pytest.approx(np.mean(phylo / total))


@pytest.mark.slow
def test_icc_refuses_levels_of_unequal_variances():
    data, matrix = _small()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # brms's warnings of a short run
        fit = ml.brm("y ~ x + (1 | gr(sp, cov = A))", data, data2={"A": 2 * matrix},
                     chains=1, draws=50, warmup=50, seed=1, progressbar=False)
    with pytest.raises(ml.MultilevelError, match="diagonal of data2's 'A'"):
        fit.icc()
