import warnings

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.errors import DataError, FormulaError
from multilevel.families import get_family
from multilevel.spec.design import build_design
from multilevel.spec.formula import parse_formula
from multilevel.spec.newdata import new_data_design


def design(formula, data, family="gaussian"):
    return build_design(parse_formula(formula), data, get_family(family))


def test_sleepstudy_design(sleepstudy):
    d = design("Reaction ~ Days + (Days | Subject)", sleepstudy)
    assert d.has_intercept and d.b_names == ["Days"]
    (block,) = d.blocks
    assert block.coefs == ["Intercept", "Days"] and block.has_correlations
    assert block.levels[:3] == ["308", "309", "310"] and len(block.levels) == 18
    assert d.correlation_names("Subject") == ["Intercept__Days"]
    np.testing.assert_array_equal(block.values[:, 1], sleepstudy["Days"])
    # the gather index points every row at its own subject
    labels = [block.levels[i] for i in block.index]
    assert labels == [str(s) for s in sleepstudy["Subject"]]


def test_coefficient_names_as_r_prints_them(hsb):
    d = design("mathach ~ ses * himinty + sex + minority:ses + I(ses^2) + log(size) "
               "+ scale(ses) + poly(meanses, 2) + factor(himinty)", hsb)
    # brms 2.18's make_standata(): the columns of X, in R's order of terms (main effects
    # first) and of variables within a term (as they first appear: ses before minority)
    assert d.b_names == [
        "ses", "himinty", "sexMale", "IsesE2", "logsize", "scaleses", "polymeanses21",
        "polymeanses22", "factorhiminty1", "ses:himinty", "ses:minorityYes",
    ]


def test_scale_is_r_scale_on_the_data_and_on_new_rows():
    data = pd.DataFrame({"y": [1.0, 3, 2, 5, 4, 6], "x": [1.0, 2, 3, 4, 5, 9]})
    formula = ("y ~ scale(x) + scale(x, scale = FALSE) + scale(x, center = FALSE) "
               "+ scale(x, center = 2, scale = 4)")
    d = design(formula, data)
    # brms 2.18's standata(fit)$X and standata(fit, newdata)$X for these data: R's sd and
    # root mean square divide by n - 1, and new rows keep the fitted data's mean and scale
    assert d.b_names == ["scalex", "scalexscaleEQFALSE", "scalexcenterEQFALSE",
                         "scalexcenterEQ2scaleEQ4"]
    np.testing.assert_allclose(d.X[:, 0], [-1.0606602, -0.7071068, -0.3535534, 0.0,
                                           0.3535534, 1.7677670], atol=1e-7)
    np.testing.assert_allclose(d.X[:, 1], [-3.0, -2, -1, 0, 1, 5])
    np.testing.assert_allclose(d.X[:, 2], [0.1917412, 0.3834825, 0.5752237, 0.7669650,
                                           0.9587062, 1.7256712], atol=1e-7)
    np.testing.assert_allclose(d.X[:, 3], (data["x"] - 2) / 4)
    new = new_data_design(d, pd.DataFrame({"x": [0.0, 10.0]}), [])
    np.testing.assert_allclose(new.X[:, :3], [[-1.414214, -4, 0.0], [2.121320, 6, 1.917412]],
                               atol=1e-6)


def _rows_with_gaps():
    data = pd.DataFrame({"y": [-0.6264538, np.nan, -0.8356286, 1.5952808, 0.3295078,
                               -0.8204684, 0.4874291, 0.7383247, 0.5757814, np.nan],
                         "x": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 20],
                         "z": [2.0, 4, np.nan, 5, 1, 7, 6, 9, 8, 10]})
    with pytest.warns(UserWarning, match="3 of 10 rows"):
        return design("y ~ scale(x) + poly(x, 2) + scale(z)", data), data


def test_transformations_learn_from_every_row_their_variables_have():
    d, data = _rows_with_gaps()
    # brms 2.18's make_standata()$X for these data: R evaluates scale() and poly() on every
    # row before it drops the rows with missing values (x on all ten, z on the nine it has)
    assert d.nobs == 7
    np.testing.assert_allclose(d.X, [
        [-1.01840211, -0.33946737, 0.48978063, -1.22927259],
        [-0.46291005, -0.15430335, 0.00568191, -0.25308553],
        [-0.27774603, -0.09258201, -0.11591096, -1.55466828],
        [-0.09258201, -0.03086067, -0.21761715, 0.39770584],
        [0.09258201, 0.03086067, -0.29943665, 0.07231015],
        [0.27774603, 0.09258201, -0.36136947, 1.04849721],
        [0.46291005, 0.15430335, -0.40341560, 0.72310153]], atol=1e-7)
    # new rows keep that scaling and basis: R's scale(x) and poly(x, 2) of the tenth row
    new = new_data_design(d, pd.DataFrame({"x": [20.0], "z": [10.0]}), [])
    np.testing.assert_allclose(new.X, [[2.49971427, 0.83323809, 0.44659812, 1.37389290]],
                               atol=1e-7)
    # a saved fit is built again from a copy of every row, so that it keeps the scaling
    assert d.learned_from is not data and len(d.model_frame(rebuild=True)) == 10
    with pytest.warns(UserWarning, match="3 of 10 rows"):
        again = design("y ~ scale(x) + poly(x, 2) + scale(z)", d.model_frame(rebuild=True))
    np.testing.assert_array_equal(again.X, d.X)


def test_the_response_and_offsets_are_evaluated_on_the_complete_rows():
    # brms 2.18's make_standata(): scale() in the response or an offset() is R's scale() of
    # the complete rows (brms reads the model frame's column only in its model matrices)
    data = pd.DataFrame({"y": [1.0, 2, np.nan, 4, 5, 6, 7, 8, 9, 100],
                         "x": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, np.nan]})
    with pytest.warns(UserWarning, match="2 of 10 rows"):
        d = design("scale(y) ~ x + offset(scale(x))", data)
    complete = data.dropna()
    for values, column in ((d.y, complete["y"]), (d.offset, complete["x"])):
        np.testing.assert_allclose(values, (column - column.mean()) / column.std(ddof=1))


def test_a_design_of_complete_rows_keeps_no_other_rows():
    data = pd.DataFrame({"y": [1.0, 3, 2, 5, 4, 6], "x": [1.0, 2, 3, 4, 5, 9]})
    d = design("y ~ scale(x)", data)
    assert d.learned_from is None
    # rows dropped, but no transformation to learn from them: nothing more is kept
    data.loc[0, "y"] = np.nan
    with pytest.warns(UserWarning, match="1 of 6 rows"):
        d = design("y ~ x", data)
    assert d.learned_from is None


@pytest.mark.parametrize(("formula", "brms_names"), [
    # R's model.matrix() on the data below
    ("y ~ f + x:f", ["fb", "fc", "fa:x", "fb:x", "fc:x"]),
    ("y ~ x:f + f", ["fb", "fc", "x:fa", "x:fb", "x:fc"]),
    ("y ~ (a + b):c + c", ["c", "a:c", "b:c"]),
    ("y ~ log(c):f + f", ["fb", "fc", "logc:fa", "logc:fb", "logc:fc"]),
    # c inside log(c) is log(c)'s argument, not where the variable c first appears
    ("y ~ log(c) + f:c", ["logc", "fa:c", "fb:c", "fc:c"]),
    ("y ~ scale(c) + a:c", ["scalec", "a:c"]),
])
def test_terms_and_their_variables_in_r_order(formula, brms_names):
    data = pd.DataFrame({"y": np.arange(6.0), "x": [-1.0, 1, -1, 1, 2, -2],
                         "f": list("ababcc"), "a": np.arange(1.0, 7), "b": np.arange(6.0, 0, -1),
                         "c": [1.0, 3, 2, 5, 4, 6]})
    assert design(formula, data).b_names == brms_names


def test_treatment_contrasts_use_r_level_order():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "grp": ["b", "a", "B", "c", "a", "b"]})
    d = design("y ~ grp", data)
    # R sorts a < b < B < c in an English locale: 'a' is the reference level
    assert d.b_names == ["grpb", "grpB", "grpc"]


def test_boolean_predictor_is_a_factor():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "treated": [True, False, True, False]})
    assert design("y ~ treated", data).b_names == ["treatedTRUE"]


def test_no_intercept_keeps_all_levels():
    data = pd.DataFrame({"y": [1.0, 2, 3, 4], "sex": ["Female", "Male"] * 2})
    d = design("y ~ 0 + sex", data)
    assert not d.has_intercept and d.b_names == ["sexFemale", "sexMale"]


def test_uncorrelated_terms_make_one_block_each(sleepstudy):
    d = design("Reaction ~ Days + (Days || Subject)", sleepstudy)
    assert [b.coefs for b in d.blocks] == [["Intercept"], ["Days"]]
    assert d.groups == ["Subject"] and d.group_coefs("Subject") == ["Intercept", "Days"]
    assert not any(b.has_correlations for b in d.blocks)


def test_nested_levels_as_brms_names_them():
    pastes = ml.load_dataset("pastes")
    d = design("strength ~ 1 + (1 | batch/cask)", pastes)
    assert d.groups == ["batch", "batch:cask"]
    assert d.group_levels("batch:cask")[:4] == ["A_a", "A_b", "A_c", "B_a"]
    assert len(d.group_levels("batch:cask")) == 30


def test_any_dtype_groups():
    data = pd.DataFrame({"y": np.arange(6.0), "g": [2.0, 10.0, 2.0, 10.0, 1.5, 1.5],
                         "h": [True, False] * 3})
    d = design("y ~ (1 | g) + (1 | h)", data)
    assert d.group_levels("g") == ["1.5", "2", "10"]
    assert d.group_levels("h") == ["FALSE", "TRUE"]


def test_unknown_column_suggests_close_matches(sleepstudy):
    with pytest.raises(FormulaError) as error:
        design("Reaction ~ Dayz + (1 | Subject)", sleepstudy)
    message = str(error.value)
    assert "'Dayz'" in message and "Did you mean 'Days'" in message


def test_unknown_grouping_column(sleepstudy):
    with pytest.raises(FormulaError, match="'Subjet' used in group term"):
        design("Reaction ~ Days + (1 | Subjet)", sleepstudy)


def test_unknown_function_is_a_formula_error(sleepstudy):
    with pytest.raises(FormulaError, match="population-level terms"):
        design("Reaction ~ frobnicate(Days)", sleepstudy)


def test_response_must_be_numeric(sleepstudy):
    with pytest.raises(DataError, match="Response 'Subject' must be numeric.*gaussian"):
        design("Subject ~ Days", sleepstudy.assign(Subject=sleepstudy.Subject.astype(str)))


def test_missing_rows_dropped_with_count(sleepstudy):
    data = sleepstudy.copy()
    data.loc[[0, 5, 7], "Reaction"] = np.nan
    data.loc[9, "Days"] = np.nan
    data["unused"] = np.nan
    with pytest.warns(UserWarning, match="4 of 180 rows have missing values in Reaction, Days"):
        d = design("Reaction ~ Days + (1 | Subject)", data)
    assert d.nobs == 176 and d.n_dropped == 4


def test_all_rows_missing_is_an_error(sleepstudy):
    with pytest.raises(DataError, match="no data are left"):
        design("Reaction ~ Days", sleepstudy.assign(Days=np.nan))


def test_constant_slope_within_group_warns(hsb):
    with pytest.warns(UserWarning, match="'pracad' is constant within every level of 'school'"):
        design("mathach ~ pracad + (pracad | school)", hsb)


def test_varying_slope_does_not_warn(sleepstudy):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        design("Reaction ~ Days + (Days | Subject)", sleepstudy)


def test_duplicated_group_effect_is_an_error(sleepstudy):
    with pytest.raises(FormulaError, match="Duplicated group-level effect 'Intercept'"):
        design("Reaction ~ Days + (1 | Subject) + (Days | Subject)", sleepstudy)


def test_offset_trials_and_weights():
    rats = ml.load_dataset("rats")
    d = design("m | trials(n) ~ 1 + (1 | batch)", rats, "binomial")
    np.testing.assert_array_equal(d.trials, rats["n"])
    d2 = design("cbind(m, n - m) ~ 1 + (1 | batch)", rats, "binomial")
    np.testing.assert_array_equal(d2.trials, rats["n"])
    np.testing.assert_array_equal(d2.y, rats["m"])
    data = pd.DataFrame({"y": [1, 0, 3], "t": [1.0, 2.0, 4.0], "w": [1.0, 2.0, 1.0]})
    d3 = design("y | weights(w) ~ 1 + offset(log(t))", data, "poisson")
    np.testing.assert_allclose(d3.offset, np.log([1, 2, 4]))
    np.testing.assert_array_equal(d3.weights, [1, 2, 1])


def test_censoring_codes_are_read_as_brms_reads_them():
    """brms's words, their beginnings, its codes and logicals (True: right-censored)."""
    from multilevel.api import _design

    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                         "words": ["none", "l", "right", "inter", "le", "n"],
                         "codes": [0, -1, 1, 2, -1, 0],
                         "flag": [False, True, True, False, False, True],
                         "y2": [np.nan, np.nan, np.nan, 4.5, np.nan, np.nan]})
    expected = [0, -1, 1, 2, -1, 0]
    for column in ("words", "codes"):
        design = _design(f"y | cens({column}, y2) ~ 1", data, "gaussian")
        codes, upper = design.censoring
        # the bounds are part of the model's data (a saved fit is rebuilt from it)
        assert design.model_frame().columns.tolist() == ["y", column, "y2"]
        assert codes.tolist() == expected
        # y2 counts only in intervals; elsewhere it may be missing, as in brms
        assert upper.tolist() == [1.0, 2.0, 3.0, 4.5, 5.0, 6.0]
    codes, _ = _design("y | cens(flag) ~ 1", data, "gaussian").censoring
    assert codes.tolist() == [0, 1, 1, 0, 0, 1]


def test_an_intercept_coefficient_is_an_uncentred_column_of_ones(sleepstudy):
    design = build_design(parse_formula("Reaction ~ 0 + Intercept + Days"), sleepstudy,
                          get_family("gaussian"))
    assert design.b_names == ["Intercept", "Days"] and not design.has_intercept
    np.testing.assert_array_equal(design.X[:, 0], 1.0)
    np.testing.assert_array_equal(design.X[:, 1], sleepstudy["Days"])


def test_an_uncentred_formula_makes_its_intercept_a_coefficient(sleepstudy):
    """brms's bf(center = FALSE) is its '0 + Intercept': the intercept a b coefficient, the
    predictors uncentred; a distributional parameter's formula keeps its own intercept (brms
    2.18's get_prior()), and a formula without an intercept stays as it is."""
    uncentred = ml.bf("Reaction ~ Days + (1 | Subject)", sigma="~ Days", center=False)
    design = build_design(parse_formula(uncentred), sleepstudy, get_family("gaussian"))
    explicit = build_design(parse_formula(ml.bf("Reaction ~ 0 + Intercept + Days + (1 | Subject)",
                                                sigma="~ Days")),
                            sleepstudy, get_family("gaussian"))
    assert design.b_names == explicit.b_names == ["Intercept", "Days"]
    np.testing.assert_array_equal(design.X, explicit.X)
    assert design.dpars["sigma"].has_intercept
    assert not parse_formula(ml.bf("Reaction ~ 0 + Days", center=False)).explicit_intercept
    # update() keeps the option; so does the formula a fit is built again from
    assert parse_formula(uncentred).as_bf().center is False
    with pytest.raises(ml.PriorError, match="coefficient here.*class_='b', coef='Intercept'"):
        ml.get_prior(uncentred, sleepstudy, prior=ml.prior("normal(250, 20)", class_="Intercept"))
    with pytest.raises(FormulaError, match="center=False.*cumulative family"):
        ml.get_prior(ml.bf("rating ~ treat", center=False), ml.load_dataset("inhaler"),
                     "cumulative")
    with pytest.raises(FormulaError, match="center=False\\) applies to a linear formula"):
        ml.bf("y ~ b1 * x", b1="~ 1", nl=True, center=False)


def test_a_response_expression_is_evaluated_as_r_evaluates_it(sleepstudy):
    """'Reaction / 100' divides, as in R's formulas (formulae would read '/' as nesting)."""
    scaled = design("Reaction / 100 ~ Days + (1 | Subject)", sleepstudy)
    np.testing.assert_allclose(scaled.y, sleepstudy["Reaction"] / 100)
    table = ml.get_prior("Reaction/100 ~ Days + (1 | Subject)", sleepstudy)
    # brms 2.18's get_prior(): the location is the rounded median of Reaction / 100
    assert table.loc[table["class"] == "Intercept", "prior"].tolist() == [
        "student_t(3, 2.9, 2.5)"]


@pytest.mark.parametrize(("formula", "brms_names"), [
    # brms 2.18's get_prior() on hsb
    ("mathach ~ poly(ses, 2, raw = TRUE) + (1 | school)",
     ["polyses2rawEQTRUE1", "polyses2rawEQTRUE2"]),
    ("mathach ~ I(ses > 0) + (1 | school)", ["Ises>0TRUE"]),
    # R's model.matrix: without an intercept the first factor takes all its levels and a
    # comparison after it only TRUE
    ("mathach ~ 0 + sector + I(ses > 0) + (1 | school)",
     ["sectorCatholic", "sectorPublic", "Ises>0TRUE"]),
])
def test_r_logicals_are_named_as_brms_names_them(hsb, formula, brms_names):
    """R's TRUE in a call reaches formulae as Python's True and comes back as TRUE; a
    comparison is a logical in R, whose one column is its level TRUE."""
    assert design(formula, hsb).b_names == brms_names


def test_levels_sort_as_r_sorts_them():
    # brms 2.18 (R's sort() in a UTF-8 locale, ICU's collation): punctuation and spaces
    # before digits, digits one by one before letters, lower before upper case
    labels = ["lvl.two", "B", "a-b", "10", "_u", "9", "lvl one", "3rd", "a_b", "b"]
    data = pd.DataFrame({"y": np.arange(20.0), "f": labels * 2})
    d = design("y ~ x + (1 | f)", data.assign(x=np.linspace(0, 1, 20)))
    assert d.blocks[0].levels == ["_u", "10", "3rd", "9", "a_b", "a-b", "b", "B", "lvl one",
                                  "lvl.two"]
    ids = pd.DataFrame({"y": np.arange(12.0), "school": [1, 1, 10, 10, 100, 100] * 2,
                        "class": [160, 217, 178, 208, 135, 74] * 2})
    nested = design("y ~ 1 + (1 | school:class)", ids)
    assert nested.blocks[0].levels == ["1_160", "1_217", "10_178", "10_208", "100_135",
                                       "100_74"]


@pytest.mark.parametrize(("formula", "brms_names"), [
    # brms 2.18's make_standata()$X of these data
    ("y ~ x %in% f", ["x:fa", "x:fb", "x:fc"]),
    ("y ~ f + x %in% f", ["fb", "fc", "fa:x", "fb:x", "fc:x"]),
    ("y ~ f / x", ["fb", "fc", "fa:x", "fb:x", "fc:x"]),
    ("y ~ factor(dec)", ["factordec2.5", "factordec10"]),
])
def test_nesting_and_factor_labels_as_r_writes_them(formula, brms_names):
    data = pd.DataFrame({"y": np.arange(12.0), "x": np.linspace(-1, 1, 12),
                         "f": list("abc") * 4, "dec": [1.0, 10.0, 2.5] * 4})
    assert design(formula, data).b_names == brms_names


# brms 2.18's make_standata()$X of these data (without its Intercept column): within an
# interaction R lets the first variable's columns vary fastest
@pytest.mark.parametrize(("formula", "brms_names"), [
    ("y ~ f * h", ["fb", "fc", "hv", "hw", "fb:hv", "fc:hv", "fb:hw", "fc:hw"]),
    ("y ~ poly(x, 2) * f", ["polyx21", "polyx22", "fb", "fc", "polyx21:fb", "polyx22:fb",
                            "polyx21:fc", "polyx22:fc"]),
    ("y ~ f * poly(x, 2)", ["fb", "fc", "polyx21", "polyx22", "fb:polyx21", "fc:polyx21",
                            "fb:polyx22", "fc:polyx22"]),
    ("y ~ 0 + f:h", ["fa:hu", "fb:hu", "fc:hu", "fa:hv", "fb:hv", "fc:hv", "fa:hw", "fb:hw",
                     "fc:hw"]),
    ("y ~ f * h + poly(x, 2):f", ["fb", "fc", "hv", "hw", "fb:hv", "fc:hv", "fb:hw", "fc:hw",
                                  "fa:polyx21", "fb:polyx21", "fc:polyx21", "fa:polyx22",
                                  "fb:polyx22", "fc:polyx22"]),
])
def test_interaction_columns_in_r_order(formula, brms_names):
    # every cell of f and h in each level of g, so that no group-level column is constant
    data = pd.DataFrame({"y": np.arange(36.0), "x": np.linspace(-1, 1, 36),
                         "f": list("abc") * 12, "h": list("uuuvvvwww") * 4,
                         "g": ["p"] * 18 + ["q"] * 18})
    fitted = design(formula, data)
    assert fitted.b_names == brms_names
    # the same columns on new rows: the first rows again, in the order of the names
    np.testing.assert_allclose(new_data_design(fitted, data.iloc[:5], []).X, fitted.X[:5])
    # brms 2.18's tidy_ranef() of (f * h | g): a group term's coefficients in the same order
    if formula == "y ~ f * h":
        grouped = design("y ~ 1 + (f * h | g)", data)
        assert grouped.blocks[0].coefs == ["Intercept", *brms_names]


@pytest.mark.parametrize("formula", ["y ~ f:h", "y ~ x + f:h:x", "y ~ f:flag", "y ~ x:z + f:x"])
def test_interactions_formulae_codes_otherwise_are_refused(formula):
    data = pd.DataFrame({"y": np.arange(12.0), "x": np.linspace(-1, 1, 12),
                         "z": np.linspace(2, 0, 12), "f": list("abc") * 4, "h": list("uv") * 6,
                         "flag": [True, False] * 6})
    # R codes both factors of f:h by all their levels here, collinear with the intercept;
    # f in f:x after x:z by its contrasts (brms: x:z, x:fb, x:fc), formulae by all three
    with pytest.raises(FormulaError, match=r"by their contrasts only where.*\(0 \+ "):
        design(formula, data)
    # the two ways to write it that R and formulae code alike
    assert len(design("y ~ f * h", data).b_names) == 5
    assert len(design("y ~ 0 + f:h", data).b_names) == 6


@pytest.mark.parametrize(("formula", "brms_names"), [
    # brms 2.18's make_standata(): the factor of the second term is coded by its contrasts,
    # as the term without it (x) lies within the term before it
    ("y ~ f:x + h:x", ["fa:x", "fb:x", "fc:x", "x:hv"]),
    ("y ~ f + f:x + h:x", ["fb", "fc", "fa:x", "fb:x", "fc:x", "x:hv"]),
])
def test_interactions_r_codes_by_contrasts_after_their_margin(formula, brms_names):
    data = pd.DataFrame({"y": np.arange(12.0), "x": np.linspace(-1, 1, 12),
                         "f": list("abc") * 4, "h": list("uv") * 6})
    assert design(formula, data).b_names == brms_names


def test_a_transformation_out_of_its_domain_is_an_error_without_numpy_warnings():
    data = pd.DataFrame({"y": np.arange(6.0), "x": [-1.0, 1, 2, 3, 4, 5]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "invalid value encountered in log" would fail
        with pytest.raises(DataError, match="'logx' is not finite in 1 row"):
            design("y ~ log(x)", data)


def test_new_rows_find_integer_categories_however_they_are_written():
    # the shipped epilepsy data hold Trt as a categorical of the integers 0 and 1
    data = pd.DataFrame({"y": np.arange(8.0), "x": np.linspace(0, 1, 8),
                         "trt": pd.Categorical([0, 1] * 4)})
    d = design("y ~ x + trt", data)
    assert d.b_names == ["x", "trt1"]
    for values in ([1, 0], ["1", "0"], pd.Categorical([1, 0], categories=[0, 1]), [1.0, 0.0]):
        new = new_data_design(d, pd.DataFrame({"x": [0.5, 0.5], "trt": values}), [])
        np.testing.assert_array_equal(new.X[:, 1], [1.0, 0.0])
    with pytest.raises(DataError, match=r"level\(s\) '2'.*valid levels: '0', '1'"):
        new_data_design(d, pd.DataFrame({"x": [0.5], "trt": [2]}), [])


def test_a_design_is_built_again_from_its_own_frame():
    # strings become ordered categoricals inside (formulae keeps only those in order); a saved
    # fit, update() and kfold() build the design again from that frame
    data = pd.DataFrame({"y": np.arange(9.0), "f": list("cab") * 3})
    d = design("y ~ f", data)
    assert design("y ~ f", d.data).b_names == d.b_names == ["fb", "fc"]
    assert design("y ~ f", d.data.iloc[:6].reset_index(drop=True)).b_names == ["fb", "fc"]


def test_r_elementwise_functions_take_r_names_and_values():
    """sin(), round(), pmin() and the like, as brms 2.18's get_prior() names their columns
    (R's model.matrix names, brms's renaming) and R computes them."""
    data = pd.DataFrame({"y": np.arange(8.0), "x": np.linspace(-1.25, 2.5, 8),
                         "t": np.arange(1.0, 9.0)})
    cases = {"y ~ sin(2 * 3.14159 * t / 12) + cos(t/12)": ["costD12", "sin2MU3.14159MUtD12"],
             "y ~ round(x) + floor(x) + ceiling(x)": ["ceilingx", "floorx", "roundx"],
             "y ~ pmin(x, 1) + pmax(x, 0)": ["pmaxx0", "pminx1"],
             "y ~ sign(x) + tan(x)": ["signx", "tanx"], "y ~ round(x, 1)": ["roundx1"],
             "y ~ ifelse(t >= 5, x, 0)": ["ifelset>EQ5x0"]}
    for formula, names in cases.items():
        table = ml.get_prior(formula, data)
        assert table.loc[(table["class"] == "b") & (table["coef"] != ""), "coef"].tolist() == names
    design = build_design(parse_formula("y ~ round(x) + pmin(x, 1) + ceiling(x) + "
                                        "ifelse(t >= 5, x, 0)"), data,
                          ml.get_family("gaussian"))
    x = data["x"].to_numpy()
    expected = {"roundx": np.round(x), "pminx1": np.minimum(x, 1.0), "ceilingx": np.ceil(x),
                "ifelset>EQ5x0": np.where(data["t"] >= 5, x, 0.0)}
    for name, values in expected.items():
        np.testing.assert_allclose(design.X[:, design.b_names.index(name)], values)
    # R rounds halves to even: its round(2.5) is 2
    assert design.X[-1, design.b_names.index("roundx")] == 2.0


@pytest.mark.parametrize(("term", "names", "column", "reference"), [
    ('relevel(factor(h), "w")', ["relevelfactorhwu", "relevelfactorhwv"], "h", "w"),
    ('relevel(h, ref = "v")', ["relevelhrefEQvu", "relevelhrefEQvw"], "h", "v"),
    ("relevel(factor(k), 2)", ["relevelfactork21", "relevelfactork23"], "k", 2),
])
def test_relevel_sets_the_reference_level_as_r(term, names, column, reference):
    """R's relevel(): the reference level named or numbered, brms 2.18's names."""
    data = pd.DataFrame({"y": np.arange(9.0), "h": list("uvw") * 3, "k": [1, 2, 3] * 3})
    table = ml.get_prior(f"y ~ {term}", data)
    assert table.loc[(table["class"] == "b") & (table["coef"] != ""), "coef"].tolist() == names
    design = build_design(parse_formula(f"y ~ {term}"), data, ml.get_family("gaussian"))
    # the reference level's rows are the intercept's alone
    assert np.all(design.X[(data[column] == reference).to_numpy()] == 0.0)
    assert np.all(design.X[(data[column] != reference).to_numpy()].sum(axis=1) == 1.0)


def test_relevel_to_a_missing_level_is_named():
    data = pd.DataFrame({"y": np.arange(6.0), "h": list("uvw") * 2})
    with pytest.raises(FormulaError, match="'ref' must be an existing level; 'z' is not one of "
                                           "'u', 'v', 'w'"):
        ml.get_prior('y ~ relevel(h, "z")', data)
