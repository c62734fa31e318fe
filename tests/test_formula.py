import pytest

from multilevel.errors import FormulaError
from multilevel.spec.formula import parse_formula


def test_sleepstudy_formula():
    spec = parse_formula("Reaction ~ Days + (Days | Subject)")
    assert spec.response == "Reaction"
    assert spec.population == "Days"
    (term,) = spec.group_terms
    assert (term.expr, term.factors, term.correlated) == ("Days", ("Subject",), True)


def test_double_bar_is_uncorrelated():
    (term,) = parse_formula("y ~ x + (x || g)").group_terms
    assert not term.correlated and term.expr == "x"


def test_nesting_expands_like_lme4():
    terms = parse_formula("strength ~ 1 + (1 | batch/cask)").group_terms
    assert [t.group for t in terms] == ["batch", "batch:cask"]
    assert terms[1].factors == ("batch", "cask")


def test_interaction_grouping_and_crossed_terms():
    terms = parse_formula("y ~ (1 | a:b) + (1 | c)").group_terms
    assert [t.group for t in terms] == ["a:b", "c"]


def test_intercept_removal_kept_for_formulae():
    assert parse_formula("y ~ 0 + x").population == "0 + x"
    assert parse_formula("y ~ x - 1").population == "x - 1"
    assert parse_formula("y ~ -1 + x").population == "- 1 + x"
    assert parse_formula("y ~ (1 | g)").population == "1"
    assert parse_formula("y ~ (1 | g) + x").population == "x"


def test_r_power_becomes_python_power():
    assert parse_formula("y ~ I(x^2)").population == "I(x**2)"


def test_response_additions_and_cbind():
    spec = parse_formula("m | trials(n) ~ 1 + (1 | batch)")
    assert spec.response == "m" and spec.additions == {"trials": "n"}
    spec = parse_formula("y | weights(w) + trials(n) ~ x")
    assert spec.additions == {"weights": "w", "trials": "n"}
    spec = parse_formula("cbind(m, n - m) ~ 1 + (1 | batch)")
    assert spec.cbind == ("m", "n - m") and spec.response is None


def test_offset_is_separated():
    spec = parse_formula("y ~ x + offset(log(t)) + (1 | g)")
    assert spec.offsets == ("log(t)",)
    assert spec.population == "x"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Reaction Days", "exactly one '~'"),
        ("y ~ x ~ z", "exactly one '~'"),
        ("y ~ (x | g", "Unbalanced '('"),
        ("y ~ x)", "Unbalanced ')'"),
        ("y ~ ( | g)", "nothing left of the bar"),
        ("y ~ (1 | )", "no grouping factor"),
        ("y ~ (1 | g + h)", "'g + h' is not a column name"),
        ("y | foo(n) ~ x", "foo(n)"),
        ("~ x", "no response"),
        ("y ~ ", "nothing right of '~'"),
        ("cbind(m) ~ 1", "or one column per category (dirichlet, multinomial)"),
        ("y ~ x + ", "Empty term"),
    ],
)
def test_malformed_formulas_name_the_culprit(text, fragment):
    with pytest.raises(FormulaError) as error:
        parse_formula(text)
    assert fragment in str(error.value)


@pytest.mark.parametrize("text", ["y ~ 0 + Intercept + x", "y ~ Intercept + x - 1",
                                  "y ~ -1 + Intercept + x + (1 | g)"])
def test_brms_intercept_as_a_coefficient_is_read(text):
    """brms's '0 + Intercept': formulae gets the formula with its intercept, so that factors
    are coded as brms codes them, and the spec says the intercept is an ordinary coefficient."""
    spec = parse_formula(text)
    assert (spec.population, spec.explicit_intercept) == ("x", True)
    assert not parse_formula("y ~ 0 + x").explicit_intercept


def test_intercept_beside_the_implicit_one_is_an_error():
    with pytest.raises(FormulaError, match="'0 \\+ Intercept \\+ \\.\\.\\.'"):
        parse_formula("y ~ Intercept + x")


@pytest.mark.parametrize(("term", "kind"), [
    ("(mo(x) | g)", r"monotonic group-level effects \(mo\(\) in a group term\).*population"),
    ("(1 | mm(g, h))", r"multi-membership grouping factors \(mm\(\) in a group term\)"),
    ("(s(x) | g)", r"smooth terms \(s\(\) in a group term\)"),
])
def test_brms_special_terms_inside_group_terms_are_named(term, kind):
    with pytest.raises(FormulaError, match=kind):
        parse_formula(f"y ~ x + {term}")
