"""How results show: whole tables in a terminal, HTML tables in Jupyter, under brms's headings;
the progress bar; warnings once each, at the user's line."""

import re

import numpy as np
import pandas as pd
import pytest

import multilevel as ml
from multilevel.inference import progress
from multilevel.results.criteria import InformationCriterion
from multilevel.results.display import BrmsTable, GroupTables
from multilevel.results.hypothesis import hypothesis
from multilevel.results.summary import Summary, table_columns

SLEEP = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture
def narrow_terminal():
    with pd.option_context("display.width", 60, "display.max_columns", 5):
        yield


def test_the_prior_table_prints_every_column_without_row_numbers(sleepstudy, narrow_terminal):
    table = ml.get_prior(SLEEP, sleepstudy)
    assert isinstance(table, pd.DataFrame)
    text = repr(table)
    assert "..." not in text
    header = text.splitlines()[0].split()
    assert header == ["prior", "class", "coef", "group", "resp", "dpar", "nlpar", "lb", "ub",
                      "tag", "source"]
    assert "student_t(3, 0, 59.3)        sd      Days Subject" in text
    assert str(table) == text
    html = table._repr_html_()
    assert html.count("<table") == 1 and "<th>group</th>" in html and "Subject" in html
    # still a data frame: selections work and keep printing whole
    assert table[table["class"] == "sd"]["group"].tolist()[1:] == ["Subject"] * 3
    assert "..." not in repr(table[["prior", "class", "coef", "group", "lb", "source"]])


def test_a_brms_table_shows_heading_footnote_and_digits():
    table = BrmsTable.of(pd.DataFrame({"Estimate": [1.23456], "Star": ["*"]}),
                         heading="Hypothesis Tests for class b:", footer="---\nnote", digits=2)
    assert repr(table).splitlines() == ["Hypothesis Tests for class b:",
                                        "   Estimate Star", "0      1.23    *", "---", "note"]
    html = table._repr_html_()
    assert "<b>Hypothesis Tests for class b:</b>" in html and "<td>1.23</td>" in html
    assert "<pre>---\nnote</pre>" in html


def _level_table(levels, coefs):
    columns = pd.MultiIndex.from_product([coefs, ["Estimate", "Est.Error", "Q2.5", "Q97.5"]],
                                         names=["coef", "stat"])
    values = np.arange(len(levels) * len(columns), dtype=float).reshape(len(levels), -1)
    return pd.DataFrame(values, index=pd.Index(levels, name="Subject"), columns=columns)


def test_group_tables_print_as_brms_prints_ranef(narrow_terminal):
    tables = GroupTables(Subject=_level_table(["308", "309"], ["Intercept", "Days"]))
    lines = repr(tables).splitlines()
    assert lines[:4] == ["$Subject", ", , Intercept", "", lines[3]]
    assert lines[3].split() == ["Estimate", "Est.Error", "Q2.5", "Q97.5"]
    assert ", , Days" in lines and "..." not in repr(tables)
    assert tables["Subject"]["Days"]["Estimate"].tolist() == [4.0, 12.0]
    html = tables._repr_html_()
    assert html.count("<table") == 2 and "<b>$Subject</b>" in html
    assert "<i>, , Days</i>" in html


def test_group_tables_print_as_brms_prints_varcorr():
    sd = pd.DataFrame({"Estimate": [26.8], "Est.Error": [6.9]}, index=["Intercept"])
    # a correlation's row is its pair of coefficients, an index of two named levels
    pairs = pd.MultiIndex.from_tuples([("Intercept", "Days")], names=["coef1", "coef2"])
    cor = pd.DataFrame({"Estimate": [0.07], "Est.Error": [0.3]}, index=pairs)
    tables = GroupTables(Subject={"sd": sd, "cor": cor}, residual__={"sd": sd})
    lines = repr(tables).splitlines()
    assert [line for line in lines if line.startswith("$")] == [
        "$Subject", "$Subject$sd", "$Subject$cor", "$residual__", "$residual__$sd"]
    assert lines[lines.index("$Subject$cor") + 2].split() == ["Intercept", "Days", "0.07", "0.3"]
    assert "coef1" not in repr(tables)
    assert tables._repr_html_().count("<table") == 3


def test_hypothesis_prints_with_brms_heading_and_footnote():
    class Draws:
        prior_draws = None

        def as_draws_df(self):
            rng = np.random.default_rng(1)
            return pd.DataFrame({"b_Days": rng.normal(10, 2, 1000)})

    table = hypothesis(Draws(), "Days > 5", alpha=0.1)
    text = repr(table)
    assert text.startswith("Hypothesis Tests for class b:\n")
    assert "'CI': 80%-CI for one-sided and 90%-CI for two-sided hypotheses." in text
    assert "the posterior probability exceeds 90%" in text
    # rows numbered from 1, as brms's
    assert re.search(r"\n1 +\(Days\)-\(5\) > 0 +\d+\.\d\d ", text)
    assert "Hypothesis Tests for class b:" in table._repr_html_()
    assert table.loc[1, "Estimate"] == pytest.approx(5, abs=0.3)
    assert repr(hypothesis(Draws(), "b_Days > 5", class_=None)).startswith(
        "Hypothesis Tests for class :")
    # R's power, as brms reads it
    draws = Draws().as_draws_df()["b_Days"]
    assert hypothesis(Draws(), "Days^2 = 100").loc[1, "Estimate"] == pytest.approx(
        np.mean(draws**2) - 100)


def _criterion(k):
    pointwise = pd.DataFrame({"elpd_loo": -np.ones(len(k)), "p_loo": np.full(len(k), 0.1),
                              "pareto_k": k})
    estimates = pd.DataFrame({"Estimate": [-10.0, 1.0, 20.0], "SE": [1.0, 0.1, 2.0]},
                             index=["elpd_loo", "p_loo", "looic"])
    return InformationCriterion("loo", estimates, pointwise, 400)


def test_loo_prints_as_the_loo_package():
    good = repr(_criterion(np.full(10, 0.1)))
    assert good.splitlines()[0] == "Computed from 400 by 10 log-likelihood matrix"
    assert good.endswith("------\n\nAll Pareto k estimates are good (k < 0.5).\n"
                         "See help('pareto-k-diagnostic') for details.")
    mixed = repr(_criterion(np.array([0.1] * 8 + [0.6, 1.2])))
    # R's columns: counts and percentages formatted to a common width, then left-aligned
    assert "(-Inf, 0.5]   (good)     8     80.0%" in mixed
    assert "   (0.7, 1]   (bad)      0      0.0%" in mixed
    assert "   (1, Inf)   (very bad) 1     10.0%" in mixed
    assert "All Pareto k estimates are ok" not in mixed
    assert "All Pareto k estimates are ok (k < 0.7)." in repr(_criterion(np.array([0.6, 0.1])))
    assert mixed.endswith("See help('pareto-k-diagnostic') for details.")
    html = _criterion(np.full(10, 0.1))._repr_html_()
    assert "Computed from 400 by 10" in html and "<table" in html and "-10.0" in html


def test_a_summary_takes_the_interval_of_its_probability():
    columns = table_columns(0.9)
    assert columns[2:4] == ["l-90% CI", "u-90% CI"]
    assert table_columns(0.899)[2] == "l-89.9% CI"
    fixed = pd.DataFrame([[1.0, 0.1, 0.8, 1.2, 1.0, 900.0, 800.0]], columns=columns,
                         index=["Intercept"])
    summary = Summary(family="gaussian", links="mu = identity", formula="y ~ 1",
                      data_name="mine", nobs=10, chains=4, draws=1000, warmup=1000,
                      backend="numpyro", fixed=fixed, prob=0.9)
    text = str(summary)
    assert "   Data: mine (Number of observations: 10) " in text
    assert "Estimate Est.Error l-90% CI u-90% CI Rhat Bulk_ESS Tail_ESS" in text
    assert "<th>l-90% CI</th>" in summary._repr_html_()


def test_the_progress_bar_counts_chains_draws_and_divergences(capsys, monkeypatch):
    monkeypatch.setattr(progress, "REDRAW_SECONDS", 0)
    bar = progress.ProgressBar(chains=2, warmup=50, draws=50)
    bar.update(0, 50, 0)
    bar.update(1, 60, 2)
    bar.update(0, 100, 1)
    bar.update(1, 100, 3)
    bar.close()
    states = capsys.readouterr().err.split("\r")
    assert states[1].startswith("Warmup:   0%") and " 0/200 " in states[1]
    assert any(s.startswith("Sampling:  55%") and "chains done 0/2, divergences 2" in s
               for s in states)
    assert states[-1].startswith("Sampling: 100%")
    assert "200/200" in states[-1] and "chains done 2/2, divergences 4" in states[-1]


def test_the_progress_bar_counts_vectorised_chains_together(capsys):
    bar = progress.ProgressBar(chains=3, warmup=0, draws=10)
    bar.update(-1, 10, 5)
    bar.close()
    assert "30/30" in capsys.readouterr().err
    assert bar.divergent == [5, 0, 0] and bar.done == [10, 10, 10]


# --- in a Jupyter kernel -------------------------------------------------------------------
NOTEBOOK_CELLS = [
    """\
import multilevel as ml
data = ml.load_dataset("sleepstudy")
data.loc[[0, 1], "Reaction"] = float("nan")
fit = ml.brm("Reaction ~ Days + (1 | Subject)", data=data, chains=2, draws=100, warmup=100,
             seed=1)""",
    "fit", "fit.summary(prob=0.9)", "fit.prior", "ml.get_prior('Reaction ~ Days', data)",
    "fit.fixef()", "fit.ranef()", "fit.coef()", "fit.varcorr()", "fit.loo()",
    "fit.hypothesis('Days > 5')",
]


@pytest.mark.slow
def test_a_notebook_shows_one_bar_tables_and_warnings_at_the_cell(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS])
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    fitting, *shown = notebook.cells
    streams = [output for output in fitting.outputs if output["output_type"] == "stream"]
    assert {output["name"] for output in streams} == {"stderr"}
    text = "".join(output["text"] for output in streams)
    # one bar, redrawn in place, that ends with both chains done
    assert text.count("Warmup:   0%") == 1
    assert "Sampling: 100%" in text and "chains done 2/2, divergences 0" in text
    warnings = [line for line in text.splitlines() if "UserWarning" in line]
    assert sum("Rows containing NAs were excluded" in line for line in warnings) == 1
    # every warning names the cell's line, none a module of the package
    assert warnings and all(re.match(r"^\S*ipykernel_\d+[/\\]\d+\.py:4: UserWarning", line)
                            for line in warnings), warnings
    html = {}
    for source, cell in zip(NOTEBOOK_CELLS[1:], shown, strict=True):
        result, *others = sorted(cell.outputs, key=lambda output: output["output_type"])
        assert result["output_type"] == "execute_result", (source, cell.outputs)
        assert "<table" in result["data"]["text/html"], source
        assert "..." not in result["data"]["text/plain"], source
        html[source] = result["data"]["text/html"]
        if source.startswith("ml.get_prior"):
            # the data lose two rows again, said at the cell's line
            assert len(others) == 1 and re.match(
                r"^\S*ipykernel_\d+[/\\]\d+\.py:1: UserWarning: Rows containing NAs",
                others[0]["text"]), cell.outputs
        elif source == "fit.loo()":
            # from 200 draws, a Pareto k above 0.7 is up to chance: if warned of, at the cell
            assert all(re.match(r"^\S*ipykernel_\d+[/\\]\d+\.py:1: UserWarning: Found \d+ "
                                r"observation\(s\) with a pareto_k > 0.7", other["text"])
                       for other in others), cell.outputs
        else:
            assert others == [], (source, cell.outputs)
    assert "Multilevel Hyperparameters:" in html["fit"]
    assert "l-90% CI" in html["fit.summary(prob=0.9)"]
    assert "Data: data (Number of observations: 178)" in html["fit"]
    assert "$Subject" in html["fit.ranef()"] and "$Subject$sd" in html["fit.varcorr()"]
    assert "Hypothesis Tests for class b:" in html["fit.hypothesis('Days > 5')"]
    assert "Computed from 200 by 178 log-likelihood matrix" in html["fit.loo()"]
