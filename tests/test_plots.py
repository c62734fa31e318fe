"""Plots: every kind renders to PNG, and what it draws is what the fit says.

Two small fits are shared by the module (each costs a compile): a Gaussian model on 16 hsb
schools with a numeric predictor, two factors, an interaction and a varying slope, and the
binomial rats model.
"""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

import multilevel as ml
from multilevel.plots import PlotFigure

matplotlib.use("Agg")

SCHOOLS = 16


@pytest.fixture(scope="module")
def hsb_fit():
    data = ml.load_dataset("hsb")
    data = data[data["school"].isin(sorted(data["school"].unique())[:SCHOOLS])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws: ESS warnings are expected
        return ml.brm("mathach ~ ses * sector + minority + (ses | school)", data=data, chains=2,
                      draws=200, warmup=200, seed=1, progressbar=False)


@pytest.fixture(scope="module")
def rats_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ml.brm("m | trials(n) ~ 1 + (1 | batch)", data=ml.load_dataset("rats"),
                      family="binomial", chains=2, draws=200, warmup=200, seed=1,
                      progressbar=False)


def _save(figure, tmp_path, name):
    path = tmp_path / f"{name}.png"
    figure.savefig(path, dpi=50)
    assert path.stat().st_size > 1000
    return path


def _arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


# --- pp_check ------------------------------------------------------------------------------

@pytest.mark.slow
def test_pp_check_dens_overlay_draws_y_over_replicates(hsb_fit, tmp_path):
    figure = hsb_fit.pp_check(ndraws=5, seed=1)
    _save(figure, tmp_path, "dens")
    (ax,) = figure.axes
    assert len(ax.lines) == 6
    assert ax.lines[-1].get_label() == "y"
    assert ax.get_xlabel() == "mathach"
    assert len(hsb_fit.pp_check(seed=1).axes[0].lines) == 11  # brms's default of 10 draws


@pytest.mark.slow
def test_pp_check_hist_has_a_panel_for_y_and_each_replicate(hsb_fit, tmp_path):
    figure = hsb_fit.pp_check("hist", ndraws=3, seed=1)
    _save(figure, tmp_path, "hist")
    assert [ax.get_title() for ax in figure.axes] == ["y", "yrep 1", "yrep 2", "yrep 3"]
    heights = sum(p.get_height() for p in figure.axes[0].patches)
    assert heights == hsb_fit.nobs


@pytest.mark.slow
@pytest.mark.parametrize("stat", ["mean", "sd", "max", np.median])
def test_pp_check_stat_marks_the_observed_statistic(hsb_fit, tmp_path, stat):
    figure = hsb_fit.pp_check("stat", stat=stat, ndraws=100, seed=1)
    _save(figure, tmp_path, "stat")
    (ax,) = figure.axes
    (observed,) = [line for line in ax.lines if line.get_label() == "T(y)"]
    expected = {"mean": np.mean, "sd": lambda y: np.std(y, ddof=1), "max": np.max}.get(
        stat, np.median)(hsb_fit.design.y)
    assert observed.get_xdata()[0] == pytest.approx(expected)
    assert sum(p.get_height() for p in ax.patches) == 100


@pytest.mark.slow
def test_pp_check_intervals_has_a_point_and_interval_per_observation(hsb_fit, tmp_path):
    figure = hsb_fit.pp_check("intervals", ndraws=100, seed=1)
    _save(figure, tmp_path, "intervals")
    (ax,) = figure.axes
    ranges = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(ranges) == 2 and all(len(c.get_segments()) == hsb_fit.nobs for c in ranges)
    (points,) = [c for c in ax.collections if c.get_label() == "y"]
    np.testing.assert_allclose(points.get_offsets()[:, 1], hsb_fit.design.y)


@pytest.mark.slow
def test_pp_check_unknown_type_lists_the_valid_ones(hsb_fit):
    with pytest.raises(ml.MultilevelError, match="Valid types: dens_overlay, hist, stat"):
        hsb_fit.pp_check("density")
    with pytest.raises(ml.MultilevelError, match="Unknown statistic"):
        hsb_fit.pp_check("stat", stat="skew")


@pytest.mark.slow
def test_pp_check_grouped_types_draw_a_panel_per_level(hsb_fit, tmp_path):
    data = hsb_fit.design.data
    levels = sorted(data["sector"].unique())
    figure = hsb_fit.pp_check("stat_grouped", group="sector", stat="mean", seed=1)
    _save(figure, tmp_path, "stat_grouped")
    assert [ax.get_title().split("\n")[0] for ax in figure.axes] == [str(v) for v in levels]
    for ax, level in zip(figure.axes, levels, strict=True):
        (observed,) = [line for line in ax.lines if line.get_label() == "T(y)"]
        rows = (data["sector"] == level).to_numpy()
        assert observed.get_xdata()[0] == pytest.approx(hsb_fit.design.y[rows].mean())

    intervals = hsb_fit.pp_check("intervals_grouped", group="school", ndraws=50, seed=1)
    assert len(intervals.axes) == SCHOOLS
    for ax, school in zip(intervals.axes, sorted(data["school"].unique()), strict=True):
        (points,) = [c for c in ax.collections if c.get_label() == "y"]
        rows = (data["school"] == school).to_numpy()
        np.testing.assert_allclose(points.get_offsets()[:, 1], hsb_fit.design.y[rows])
    # one legend, the figure's
    assert len(intervals.legends) == 1
    assert all(ax.get_legend() is None for ax in intervals.axes)

    dens = hsb_fit.pp_check("dens_overlay_grouped", group="sector", ndraws=3, seed=1)
    assert [len(ax.lines) for ax in dens.axes] == [4, 4]


@pytest.mark.slow
def test_pp_check_rows_without_a_group_level_get_a_panel(hsb_fit, monkeypatch):
    data = hsb_fit.design.data.copy()
    missing = data.index[:7]
    data["track"] = np.where(data.index.isin(missing), None, data["sector"])
    monkeypatch.setattr(hsb_fit.design, "data", data)
    figure = hsb_fit.pp_check("intervals_grouped", group="track", ndraws=20, seed=1)
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == sorted(data["sector"].unique()) + ["NA"]
    counts = [len(next(c for c in ax.collections if c.get_label() == "y").get_offsets())
              for ax in figure.axes]
    assert sum(counts) == hsb_fit.nobs and counts[-1] == len(missing)


@pytest.mark.slow
def test_pp_check_group_is_checked_against_the_type_and_the_data(hsb_fit):
    with pytest.raises(ml.MultilevelError, match="'group' is required for pp_check type"):
        hsb_fit.pp_check("dens_overlay_grouped")
    with pytest.raises(ml.MultilevelError, match="not a column.*Did you mean 'school'"):
        hsb_fit.pp_check("stat_grouped", group="schol")
    with pytest.raises(ml.MultilevelError, match="type='dens_overlay_grouped'"):
        hsb_fit.pp_check("dens_overlay", group="school")
    with pytest.raises(ml.MultilevelError, match="grouped pp_check types only"):
        hsb_fit.pp_check("hist", group="school")


@pytest.mark.slow
def test_pp_check_discrete_response_uses_integer_bins(rats_fit, tmp_path):
    y = rats_fit.design.y
    dens = rats_fit.pp_check(ndraws=4, seed=2)
    _save(dens, tmp_path, "rats_dens")
    observed = dens.axes[0].lines[-1]
    assert observed.get_drawstyle() == "steps-mid"
    np.testing.assert_allclose(observed.get_ydata()[0], np.mean(y == observed.get_xdata()[0]))

    hist = rats_fit.pp_check("hist", ndraws=2, seed=2)
    _save(hist, tmp_path, "rats_hist")
    widths = {round(p.get_width(), 9) for p in hist.axes[0].patches}
    assert widths == {1.0}

    bars = rats_fit.pp_check("bars", ndraws=20, seed=2)
    _save(bars, tmp_path, "rats_bars")
    heights = [p.get_height() for p in bars.axes[0].patches if isinstance(p, Rectangle)]
    assert sum(heights) == len(y)

    stat = rats_fit.pp_check("stat", stat="mean", seed=2)
    _save(stat, tmp_path, "rats_stat")
    assert stat.axes[0].lines[0].get_xdata()[0] == pytest.approx(np.mean(y))


@pytest.mark.slow
def test_pp_check_rootogram_shows_each_counts_frequency(rats_fit, hsb_fit, tmp_path):
    y = rats_fit.design.y
    figure = rats_fit.pp_check("rootogram", ndraws=50, seed=3)
    _save(figure, tmp_path, "rootogram")
    (ax,) = figure.axes
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    np.testing.assert_array_equal([b.get_height() for b in bars],
                                  np.bincount(y.astype(int), minlength=len(bars)))
    (expected,) = ax.lines
    # each replicate has as many rows as the data, so the mean frequencies add up to them
    assert expected.get_ydata().sum() == pytest.approx(len(y))
    replicates = rats_fit.posterior_predict(ndraws=50, seed=3)
    np.testing.assert_allclose(expected.get_ydata()[:5],
                               [(replicates == k).sum(axis=1).mean() for k in range(5)])
    assert ax.get_yscale() == "function"
    with pytest.raises(ml.MultilevelError, match="'rootogram' needs a count response"):
        hsb_fit.pp_check("rootogram")


@pytest.mark.slow
def test_pp_check_loo_pit_overlay_weights_every_draw_by_psis(hsb_fit, monkeypatch, tmp_path):
    import arviz as az

    seen = {}
    plot_loo_pit = az.plot_loo_pit

    def recorded(**kwargs):
        seen.update(kwargs)
        return plot_loo_pit(**kwargs)

    monkeypatch.setattr(az, "plot_loo_pit", recorded)
    figure = hsb_fit.pp_check("loo_pit_overlay", seed=1)
    _save(figure, tmp_path, "loo_pit")
    draws = hsb_fit.idata.posterior.sizes["chain"] * hsb_fit.idata.posterior.sizes["draw"]
    np.testing.assert_array_equal(seen["y"], hsb_fit.design.y)
    assert seen["y_hat"].shape == seen["log_weights"].shape == (hsb_fit.nobs, draws)
    # each observation's smoothed weights are normalised
    np.testing.assert_allclose(np.exp(seen["log_weights"]).sum(axis=1), 1.0)
    # an observation's weights are largest on the draws that fit it worst, as 1 / likelihood
    log_lik = hsb_fit.log_lik()
    worst = np.argmin(log_lik[:, 0])
    assert seen["log_weights"][0, worst] == seen["log_weights"][0].max()
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()][0] == "LOO-PIT"
    with pytest.raises(ml.MultilevelError, match="uses every draw"):
        hsb_fit.pp_check("loo_pit_overlay", ndraws=10)


# --- conditional_effects -------------------------------------------------------------------

@pytest.mark.slow
def test_conditional_effects_spaghetti_draws_a_line_per_draw(hsb_fit, tmp_path):
    figure = hsb_fit.conditional_effects(["ses", "ses:sector", "sector"], spaghetti=True,
                                         ndraws=30, seed=1, resolution=15)
    _save(figure, tmp_path, "ce_spaghetti")
    numeric, interaction, factor = figure.axes
    (lines,) = numeric.collections
    paths = np.stack(lines.get_segments())
    assert paths.shape == (30, 15, 2)
    (centre,) = numeric.lines
    # the centre line is the draws' median, brms's robust default
    np.testing.assert_allclose(centre.get_ydata(), np.median(paths[:, :, 1], axis=0))
    assert [len(c.get_segments()) for c in interaction.collections] == [30, 30]
    # a factor keeps its error bars, as without spaghetti
    (plain,) = hsb_fit.conditional_effects("sector", ndraws=30, seed=1).axes
    assert len(factor.containers) == len(plain.containers) == 1
    assert len(factor.collections) == len(plain.collections)


@pytest.mark.slow
def test_conditional_effects_numeric_is_the_epred_median_line(hsb_fit, tmp_path):
    figure = hsb_fit.conditional_effects("ses", resolution=20)
    _save(figure, tmp_path, "ce_numeric")
    (ax,) = figure.axes
    (line,) = ax.lines
    assert len(line.get_xdata()) == 20
    assert len(ax.collections) == 1  # the credible band
    assert ax.get_xlabel() == "ses" and ax.get_ylabel() == "mathach"
    data = hsb_fit.design.data
    newdata = data.iloc[:1][["ses", "sector", "minority", "school"]].copy()
    newdata["ses"] = data["ses"].max()
    newdata["sector"], newdata["minority"] = "Catholic", "No"
    expected = np.median(hsb_fit.posterior_epred(newdata=newdata, re_formula="~0"))
    assert line.get_ydata()[-1] == pytest.approx(expected)


@pytest.mark.slow
def test_conditional_effects_categorical_has_a_point_per_level(hsb_fit, tmp_path):
    figure = hsb_fit.conditional_effects("sector", points=True)
    _save(figure, tmp_path, "ce_factor")
    (ax,) = figure.axes
    (errorbars,) = ax.containers
    assert len(errorbars.lines[0].get_xdata()) == 2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Catholic", "Public"]
    # the data are overlaid, only pupils at minority's reference level
    (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    data = hsb_fit.design.data
    assert len(points.get_offsets()) == int((data["minority"] == "No").sum())


@pytest.mark.slow
def test_conditional_effects_numeric_by_factor_draws_a_line_per_level(hsb_fit, tmp_path):
    figure = hsb_fit.conditional_effects("ses:sector")
    _save(figure, tmp_path, "ce_interaction")
    (ax,) = figure.axes
    assert len(ax.lines) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Catholic", "Public"]
    catholic, public = (line.get_ydata() for line in ax.lines)
    # the Public line is the Catholic one plus sectorPublic and ses:sectorPublic * ses
    fixef = hsb_fit.fixef()["Estimate"]
    ses = ax.lines[0].get_xdata()
    slope_gap = (public[-1] - catholic[-1]) - (public[0] - catholic[0])
    assert slope_gap == pytest.approx(fixef["ses:sectorPublic"] * (ses[-1] - ses[0]), rel=0.25)


@pytest.mark.slow
def test_conditional_effects_factor_by_factor_and_defaults(hsb_fit, tmp_path):
    figure = hsb_fit.conditional_effects("sector:minority")
    _save(figure, tmp_path, "ce_factor_factor")
    assert len(figure.axes[0].containers) == 2
    defaults = hsb_fit.conditional_effects(resolution=10)
    assert [ax.get_title() for ax in defaults.axes] == ["ses", "sector", "minority", "ses:sector"]


@pytest.mark.slow
def test_conditional_effects_hold_brms_data_frames(hsb_fit):
    effects = hsb_fit.conditional_effects(["ses", "sector", "ses:sector"], resolution=5)
    assert list(effects.keys()) == ["ses", "sector", "ses:sector"]
    # brms 2.18's conditional_effects(fit, ..., resolution = 5) of this model: columns in
    # this order, the grid sorted by the first effect, then the second
    frame = effects["ses:sector"]
    assert list(frame.columns) == ["ses", "sector", "mathach", "minority", "school", "cond__",
                                   "effect1__", "effect2__", "estimate__", "se__", "lower__",
                                   "upper__"]
    assert list(effects["ses"].columns[:5]) == ["ses", "mathach", "sector", "minority",
                                                "school"]
    assert list(effects["sector"].columns[:5]) == ["sector", "mathach", "ses", "minority",
                                                   "school"]
    data = hsb_fit.design.data
    grid = np.linspace(data["ses"].min(), data["ses"].max(), 5)
    np.testing.assert_allclose(frame["ses"], np.repeat(grid, 2))
    assert list(frame["sector"]) == ["Catholic", "Public"] * 5
    assert list(frame["effect2__"].cat.categories) == ["Catholic", "Public"]
    assert frame["school"].isna().all() and (frame["minority"] == "No").all()
    assert frame["mathach"].iloc[0] == pytest.approx(data["mathach"].mean())
    # the summary of the expected values of those rows: median, R's mad(), 95% interval
    draws = hsb_fit.posterior_epred(newdata=frame[["ses", "sector", "minority"]]
                                    .assign(school=data["school"].iloc[0]), re_formula="~0")
    median = np.median(draws, axis=0)
    np.testing.assert_allclose(frame["estimate__"], median)
    np.testing.assert_allclose(frame["se__"],
                               1.4826 * np.median(np.abs(draws - median), axis=0))
    np.testing.assert_allclose(frame[["lower__", "upper__"]].T,
                               np.quantile(draws, [0.025, 0.975], axis=0))
    # the lines drawn are those estimates
    catholic, public = (line.get_ydata() for line in effects.axes[2].lines)
    np.testing.assert_allclose(catholic, median[::2])
    np.testing.assert_allclose(public, median[1::2])
    by_mean = hsb_fit.conditional_effects("sector", robust=False)
    means = by_mean["sector"]
    factor = hsb_fit.posterior_epred(newdata=means[["sector", "ses", "minority"]]
                                     .assign(school=data["school"].iloc[0]), re_formula="~0")
    np.testing.assert_allclose(means["estimate__"], factor.mean(axis=0))
    np.testing.assert_allclose(means["se__"], factor.std(axis=0, ddof=1))
    with pytest.raises(KeyError, match="the effects shown are sector"):
        by_mean["ses"]


@pytest.mark.slow
def test_conditional_effects_take_brms_int_conditions(hsb_fit):
    """brms's int_conditions: the values of an effect's variable, a list or a function of
    the data's column; a numeric second effect's from the largest down, as brms."""
    effects = hsb_fit.conditional_effects("sector:ses", int_conditions={"ses": [-1, 0, 1]})
    frame = effects["sector:ses"]
    assert list(frame["ses"]) == [-1.0, 0.0, 1.0, -1.0, 0.0, 1.0]
    assert list(frame["effect2__"].cat.categories) == [1.0, 0.0, -1.0]
    assert [t.get_text() for t in effects.axes[0].get_legend().get_texts()] == [
        "1.00", "0.00", "-1.00"]
    data = hsb_fit.design.data
    quartiles = hsb_fit.conditional_effects(
        "ses", int_conditions={"ses": lambda ses: ses.quantile([0.25, 0.75])})["ses"]
    np.testing.assert_allclose(quartiles["ses"], data["ses"].quantile([0.25, 0.75]))
    with pytest.raises(ml.MultilevelError, match="int_conditions names 'minority'"):
        hsb_fit.conditional_effects("ses", int_conditions={"minority": ["Yes"]})


@pytest.mark.slow
def test_conditional_effects_take_a_panel_per_condition(hsb_fit):
    """brms's conditions = make_conditions(fit, "minority"): each effect once per row, the
    row's values held and its cond__ the panel's label; each panel is the conditional effect
    with that row's values given alone."""
    conditions = ml.make_conditions(hsb_fit, "minority")
    assert conditions["cond__"].tolist() == ["minority = No", "minority = Yes"]
    effects = hsb_fit.conditional_effects(["ses", "sector"], conditions=conditions)
    assert len(effects.axes) == 4
    assert [ax.get_title() for ax in effects.axes] == [
        "ses\nminority = No", "ses\nminority = Yes", "sector\nminority = No",
        "sector\nminority = Yes"]
    frame = effects["ses"]
    assert list(frame["cond__"].cat.categories) == ["minority = No", "minority = Yes"]
    for label, value in (("minority = No", "No"), ("minority = Yes", "Yes")):
        panel = frame[frame["cond__"] == label].reset_index(drop=True)
        assert set(panel["minority"]) == {value}
        alone = hsb_fit.conditional_effects("ses", conditions={"minority": value})["ses"]
        np.testing.assert_allclose(panel["estimate__"], alone["estimate__"])
        assert set(alone["cond__"]) == {"1"}
    unlabelled = hsb_fit.conditional_effects(
        "ses", conditions=pd.DataFrame({"minority": ["No", "Yes"]}))["ses"]
    assert list(unlabelled["cond__"].cat.categories) == ["1", "2"]
    with pytest.raises(ml.MultilevelError, match="labels \\(cond__\\) should be unique"):
        hsb_fit.conditional_effects("ses", conditions=conditions.assign(cond__="same"))
    with pytest.raises(ml.MultilevelError, match="at least one row"):
        hsb_fit.conditional_effects("ses", conditions=conditions.iloc[:0])


@pytest.mark.slow
def test_conditional_effects_surface_of_two_numeric_effects():
    """brms's surface = TRUE: the estimate over a grid of both numeric variables, a filled
    contour map; the second effect stays numeric in the data frame, as brms's."""
    rng = np.random.default_rng(8)
    data = pd.DataFrame({"x": rng.normal(size=80), "z": rng.normal(size=80)})
    data["y"] = data["x"] * data["z"] + rng.normal(size=80)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # few draws
        fit = ml.brm("y ~ x * z", data, chains=2, draws=200, warmup=200, seed=2,
                     progressbar=False)
    figure = fit.conditional_effects("x:z", surface=True, resolution=6)
    frame = figure["x:z"]
    assert len(frame) == 36 and frame["effect2__"].dtype == float
    np.testing.assert_allclose(frame["x"], np.repeat(np.linspace(data["x"].min(),
                                                                 data["x"].max(), 6), 6))
    draws = fit.posterior_epred(newdata=frame[["x", "z"]])
    np.testing.assert_allclose(frame["estimate__"], np.median(draws, axis=0))
    assert figure.axes[0].collections and len(figure.axes) == 2  # the map and its colour bar


@pytest.mark.slow
def test_conditional_effects_unknown_effect_names_the_valid_ones(hsb_fit, rats_fit):
    with pytest.raises(ml.MultilevelError, match=r"'sex' is not a population-level.*ses, sector"):
        hsb_fit.conditional_effects("ses:sex")
    with pytest.raises(ml.MultilevelError, match="no population-level predictors"):
        rats_fit.conditional_effects()


@pytest.mark.slow
def test_pairs_is_mcmc_plots_pairs_and_variables_name_the_draws(hsb_fit):
    """brms's pairs(fit) is bayesplot's mcmc_pairs(): a histogram per parameter on the
    diagonal, a scatter of draws per pair below; variables(fit) the draws' columns."""
    chosen = ["b_ses", "sigma", "sd_school__Intercept"]
    pairs = hsb_fit.pairs(chosen)
    assert len(pairs.axes) == len(hsb_fit.mcmc_plot(chosen, type="pairs").axes)
    assert len(hsb_fit.pairs("^b_", regex=True).axes) >= 4
    names = hsb_fit.variables()
    assert names == [c for c in hsb_fit.as_draws_df().columns if not c.startswith(".")]
    assert {"b_Intercept", "b_ses", "sigma", "sd_school__Intercept"} <= set(names)


# --- plot, plot_ranef ----------------------------------------------------------------------

@pytest.mark.slow
def test_plot_has_density_and_trace_per_parameter(hsb_fit, tmp_path):
    figure = hsb_fit.plot()
    _save(figure, tmp_path, "plot")
    expected = [n for n in hsb_fit.draws.names if n.startswith(("b_", "sd_", "cor_"))]
    expected.append("sigma")
    assert len(figure.axes) == 2 * len(expected)
    titles = [ax.get_title(loc="left") for ax in figure.axes[::2]]
    assert titles == expected
    assert all(len(ax.lines) == 2 for ax in figure.axes[1::2])  # one trace per chain
    assert len(hsb_fit.plot("^sd_", regex=True).axes) == 4
    with pytest.raises(ml.MultilevelError, match="Did you mean 'b_ses'"):
        hsb_fit.plot(["b_se"])


@pytest.mark.slow
def test_mcmc_plot_intervals_are_the_draws_median_and_central_intervals(hsb_fit, tmp_path):
    names = ["b_ses", "sigma"]
    figure = hsb_fit.mcmc_plot(names)
    _save(figure, tmp_path, "mcmc_intervals")
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(reversed(names))
    frame = hsb_fit.as_draws_df()
    for row, name in enumerate(names):
        outer, inner, median = ax.lines[3 * row:3 * row + 3]
        values = frame[name].to_numpy()
        assert median.get_xdata()[0] == pytest.approx(np.median(values))
        assert list(inner.get_xdata()) == pytest.approx(np.quantile(values, [0.25, 0.75]))
        assert list(outer.get_xdata()) == pytest.approx(np.quantile(values, [0.05, 0.95]))
        # the first parameter on top, as bayesplot lists them
        assert median.get_ydata()[0] == len(names) - 1 - row


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["areas", "hist", "dens", "dens_overlay", "trace", "acf",
                                  "rhat", "neff", "pairs"])
def test_every_mcmc_plot_type_draws_each_parameter(hsb_fit, tmp_path, kind):
    names = ["b_ses", "sd_school__Intercept", "sigma"]
    figure = hsb_fit.mcmc_plot(names, type=kind)
    _save(figure, tmp_path, f"mcmc_{kind}")
    if kind in ("areas", "rhat", "neff"):
        assert [t.get_text() for t in figure.axes[0].get_yticklabels()] == names[::-1]
    elif kind == "pairs":
        assert len(figure.axes) == len(names) ** 2
    else:
        assert [ax.get_title(loc="left") for ax in figure.axes] == names
    if kind in ("dens_overlay", "trace"):
        assert all(len(ax.lines) == 2 for ax in figure.axes)  # one per chain
    if kind == "rhat":
        # brms's split R-hat, as fit.rhat(); a segment and a point per parameter
        assert figure.axes[0].lines[5].get_xdata()[0] == pytest.approx(
            float(hsb_fit.rhat("sigma").iloc[0]), rel=1e-9)
    if kind == "neff":
        assert figure.axes[0].lines[5].get_xdata()[0] == pytest.approx(
            float(hsb_fit.neff_ratio("sigma").iloc[0]), rel=1e-9)
    if kind == "areas":
        # bayesplot's areas span all the draws, each density on one scale
        sigma = hsb_fit.as_draws_df()["sigma"]
        curve = figure.axes[0].lines[6]  # a curve, the median and the range per parameter
        assert curve.get_xdata()[[0, -1]] == pytest.approx([sigma.min(), sigma.max()])


@pytest.mark.slow
def test_mcmc_plot_names_its_types_and_checks_probabilities(hsb_fit):
    with pytest.raises(ml.MultilevelError, match="one of intervals, areas"):
        hsb_fit.mcmc_plot(type="violin")
    with pytest.raises(ml.MultilevelError, match="0 < prob <= prob_outer <= 1"):
        hsb_fit.mcmc_plot(prob=0.95)
    with pytest.raises(ml.MultilevelError, match="No parameters to plot"):
        hsb_fit.mcmc_plot([], type="hist")


@pytest.mark.slow
def test_plot_ranef_sorts_levels_by_estimate(hsb_fit, tmp_path):
    figure = hsb_fit.plot_ranef()
    _save(figure, tmp_path, "ranef")
    assert [ax.get_title() for ax in figure.axes] == ["school: Intercept", "school: ses"]
    ranef = hsb_fit.ranef()["school"]
    for ax, coef in zip(figure.axes, ["Intercept", "ses"], strict=True):
        (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        estimates = points.get_offsets()[:, 0]
        np.testing.assert_allclose(estimates, np.sort(ranef[(coef, "Estimate")].to_numpy()))
        assert len(ax.get_yticklabels()) == SCHOOLS
    with pytest.raises(ml.MultilevelError, match="Grouping factors: school"):
        hsb_fit.plot_ranef("schol")


# --- plot_shrinkage ------------------------------------------------------------------------

@pytest.mark.slow
def test_plot_shrinkage_2d_arrows_each_school_to_its_estimate(hsb_fit, tmp_path):
    figure = hsb_fit.plot_shrinkage()
    _save(figure, tmp_path, "shrinkage_2d")
    (ax,) = figure.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Intercept", "ses")
    arrows = _arrows(ax)
    assert len(arrows) == SCHOOLS
    fixef = hsb_fit.fixef()["Estimate"]
    ranef = hsb_fit.ranef()["school"]
    (multilevel,) = [c for c in ax.collections if c.get_label() == "multilevel"]
    np.testing.assert_allclose(multilevel.get_offsets()[:, 0],
                               fixef["Intercept"] + ranef[("Intercept", "Estimate")])
    (population,) = [c for c in ax.collections if c.get_label() == "population estimate"]
    np.testing.assert_allclose(population.get_offsets()[0], [fixef["Intercept"], fixef["ses"]])


@pytest.mark.slow
def test_plot_shrinkage_1d_binomial_starts_at_the_empirical_logit(rats_fit, tmp_path):
    figure = rats_fit.plot_shrinkage()
    _save(figure, tmp_path, "shrinkage_1d")
    (ax,) = figure.axes
    data = rats_fit.design.data
    assert len(_arrows(ax)) == len(data)
    (no_pooling,) = [c for c in ax.collections if c.get_label() == "no pooling"]
    empirical = np.log((data["m"] + 0.5) / (data["n"] - data["m"] + 0.5))
    np.testing.assert_allclose(no_pooling.get_offsets()[:, 1], empirical, rtol=1e-6)
    (population,) = [line for line in ax.lines if line.get_label() == "population estimate"]
    assert population.get_ydata()[0] == pytest.approx(rats_fit.fixef().loc["Intercept",
                                                                              "Estimate"])


@pytest.mark.slow
def test_plot_shrinkage_one_coefficient_and_errors(hsb_fit, tmp_path):
    figure = hsb_fit.plot_shrinkage(coef="ses")
    _save(figure, tmp_path, "shrinkage_ses")
    (ax,) = figure.axes
    assert len(_arrows(ax)) == SCHOOLS
    assert [t.get_text() for t in ax.get_xticklabels()] == ["no pooling", "multilevel"]
    with pytest.raises(ml.MultilevelError, match="Coefficients of school: Intercept, ses"):
        hsb_fit.plot_shrinkage(coef="sector")
    with pytest.raises(ml.MultilevelError, match="Grouping factors: school"):
        hsb_fit.plot_shrinkage(group="class")


def test_plot_shrinkage_fits_a_hurdles_positive_part_and_refuses_ordinal_models():
    """A hurdle lognormal's zeros come from its hurdle: each level's log-scale estimate
    comes from its positive values alone, and a level with none has no estimate. Ordinal
    and categorical models have no single linear predictor to fit per level."""
    from types import SimpleNamespace

    from multilevel.plots.shrinkage import _adjusted_response, _no_pooling_fit

    y = np.array([0.0, np.e, np.e ** 3, 0.0, 0.0])
    fit = SimpleNamespace(family=ml.hurdle_lognormal, design=SimpleNamespace(y=y))
    response, weights, variance = _adjusted_response(fit, np.array([0, 0, 0, 1, 1]), 2)
    assert np.isfinite(response).all() and list(weights) == [0, 1, 1, 0, 0]
    link = ml.hurdle_lognormal.link_function
    intercept = np.ones((3, 1))
    level = _no_pooling_fit(link, response[:3], weights[:3], variance, intercept, np.zeros(3))
    assert level == pytest.approx([2.0])
    empty = _no_pooling_fit(link, response[3:], weights[3:], variance, intercept[:2],
                            np.zeros(2))
    assert np.isnan(empty).all()
    for family in ("cumulative", "categorical"):
        with pytest.raises(ml.MultilevelError, match=f"which a {family} model does not have"):
            ml.plots.plot_shrinkage(SimpleNamespace(family=ml.get_family(family)))


# --- display in notebooks -------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _small_figure() -> PlotFigure:
    figure = PlotFigure(figsize=(3, 2))
    figure.subplots().plot([0, 1], [1, 0])
    return figure


def test_plot_figure_renders_png_and_still_saves(tmp_path):
    figure = _small_figure()
    canvas = figure.canvas
    assert isinstance(figure, Figure)
    assert figure._repr_png_().startswith(PNG_SIGNATURE)
    # rendering for a notebook must not swap the figure onto another canvas
    assert figure.canvas is canvas and type(canvas) is FigureCanvasBase
    _save(figure, tmp_path, "small")
    figure.savefig(tmp_path / "small.svg")
    assert (tmp_path / "small.svg").read_text().lstrip().startswith("<?xml")


def test_ipython_shows_a_plot_figure_as_one_png():
    formatters = pytest.importorskip("IPython.core.formatters")
    figure = _small_figure()
    # a formatter of our own: registering types on it leaves the global one alone
    display = formatters.DisplayFormatter()
    bundle, _ = display.format(figure)
    assert bundle["image/png"] == figure._repr_png_()
    assert "PlotFigure" in bundle["text/plain"]
    # as matplotlib_inline does for %matplotlib inline: its printer takes precedence
    display.formatters["image/png"].for_type(Figure, lambda fig: PNG_SIGNATURE + b"inline")
    bundle, _ = display.format(figure)
    assert bundle["image/png"] == PNG_SIGNATURE + b"inline"


@pytest.mark.slow
def test_every_plot_method_returns_a_plot_figure(hsb_fit, rats_fit):
    figures = [hsb_fit.pp_check(ndraws=2, seed=1), hsb_fit.conditional_effects("ses"),
               hsb_fit.plot("sigma"), hsb_fit.plot_ranef(), rats_fit.plot_shrinkage(),
               hsb_fit.hypothesis("ses > 2").plot()]
    assert all(isinstance(figure, PlotFigure) for figure in figures)


class _Draws:
    """A stand-in fit for hypothesis(): its draws and, optionally, prior draws."""

    def __init__(self, frame, prior_draws=None):
        self.frame, self.prior_draws = frame, prior_draws

    def as_draws_df(self):
        return self.frame


def test_hypothesis_plot_draws_each_posterior_over_its_prior(tmp_path):
    from multilevel.plots.hypothesis import shortened
    from multilevel.results.hypothesis import hypothesis

    rng = np.random.default_rng(3)
    draws = pd.DataFrame({"b_Intercept": rng.normal(250, 5, 1000),
                          "b_Days": rng.normal(10, 2, 1000)})
    long = "Days + Days + Days + Days + Days + Days + Days + Days > 1"
    with pytest.warns(UserWarning, match="prior of an overall intercept"):
        table = hypothesis(_Draws(draws, pd.DataFrame({"prior_b": rng.normal(0, 10, 1000)})),
                           ["Days > 8", long, "Intercept = 250"])
    figure = table.plot()
    _save(figure, tmp_path, "hypothesis")
    panels = [ax for ax in figure.axes if ax.get_title()]
    # brms's limit_chars(): the label's last four characters kept after 37 and '...'
    assert [ax.get_title() for ax in panels] == [
        "(Days)-(8) > 0", shortened(table.loc[2, "Hypothesis"], 40), "(Intercept)-(250) = 0"]
    assert panels[1].get_title() == "(Days+Days+Days+Days+Days+Days+Days+D... > 0"
    # two filled densities where there are prior draws; the intercept has none (brms's warning)
    assert [len(ax.collections) for ax in panels] == [2, 2, 1]
    assert [text.get_text() for text in figure.legends[0].get_texts()] == ["Posterior", "Prior"]
    alone = table.plot(ignore_prior=True)
    assert [len(ax.collections) for ax in alone.axes] == [1, 1, 1] and not alone.legends
    with pytest.raises(ml.MultilevelError, match="two colours"):
        table.plot(colors=["red"])
