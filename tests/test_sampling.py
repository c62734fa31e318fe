import os
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import multilevel as ml
from multilevel.inference import executable_cache
from multilevel.inference import numpyro as jax_sampling
from multilevel.inference.nuts import warn_about_convergence, without_library_notices
from multilevel.inference.settings import SamplerSettings
from multilevel.inference.starting_points import initial_points
from quick_mode import QUICK


class _Traced(Exception):
    """Raised in place of compiling numpyro's program, once it was traced."""


@pytest.fixture
def compile_modes(monkeypatch) -> list[bool]:
    """Whether each sampler program numpyro's path traces would be compiled with the few-rows
    options; the fit stops there, before compiling."""
    modes = []

    def recording(programs):
        (_, start_options), (_, sampler_options) = programs
        assert start_options == executable_cache.ONCE_COMPILER_OPTIONS
        modes.append(sampler_options == executable_cache.FEW_ROWS_COMPILER_OPTIONS)
        raise _Traced

    monkeypatch.setattr(jax_sampling, "compile_programs", recording)
    return modes


def _traced_only(*args, **kwargs) -> None:
    """``ml.brm(*args, **kwargs)`` up to the point where numpyro's program would compile."""
    with pytest.raises(ml.MultilevelError) as stopped:
        ml.brm(*args, **kwargs)
    assert isinstance(stopped.value.__cause__, _Traced)


def _idata_with(divergent: int) -> az.InferenceData:
    diverging = np.zeros((4, 100), dtype=bool)
    diverging.flat[:divergent] = True
    return az.InferenceData(sample_stats=xr.Dataset(
        {"diverging": (("chain", "draw"), diverging)}))


def test_brms_style_warnings():
    settings = SamplerSettings()
    with pytest.warns(UserWarning) as caught:
        warn_about_convergence(_idata_with(3), np.array([1.0, 1.2]), np.array([50.0, 800]),
                               np.array([90.0, 900]), settings)
    messages = [str(w.message) for w in caught]
    assert any("There were 3 divergent transitions after warmup" in m
               and "target_accept" in m for m in messages)
    assert any("largest R-hat is 1.20" in m for m in messages)
    assert any(m.startswith("Bulk Effective Samples Size (ESS) is too low") for m in messages)
    assert any(m.startswith("Tail Effective Samples Size (ESS) is too low") for m in messages)


@pytest.mark.parametrize(("target_accept", "suggested"),
                         [(0.8, "target_accept=0.95"), (0.95, "target_accept=0.99"), (0.99, None)])
def test_the_divergence_warning_suggests_a_higher_target_accept(target_accept, suggested):
    settings = SamplerSettings(target_accept=target_accept)
    with pytest.warns(UserWarning, match="divergent transitions") as caught:
        warn_about_convergence(_idata_with(2), np.array([1.0]), np.array([900.0]),
                               np.array([900.0]), settings)
    message = str(caught[0].message)
    assert f"Increasing target_accept above {target_accept}" in message
    if suggested is None:
        assert "e.g." not in message
    else:
        assert f"(e.g. brm(..., {suggested}))" in message


@pytest.mark.parametrize("stored", ["reached_max_treedepth", "maxdepth_reached", "tree_depth"])
def test_iterations_at_the_maximum_tree_depth_are_counted_as_rstan_does(stored):
    depth = np.full((4, 100), 6)
    depth[1, :7] = 12
    values = depth >= 12 if stored != "tree_depth" else depth
    idata = az.InferenceData(sample_stats=xr.Dataset({stored: (("chain", "draw"), values)}))
    with pytest.warns(UserWarning) as caught:
        warn_about_convergence(idata, np.array([1.0]), np.array([900.0]), np.array([900.0]),
                               SamplerSettings(max_treedepth=12))
    assert [str(w.message).split(". ")[0] for w in caught] == [
        "There were 7 transitions after warmup that exceeded the maximum treedepth"]
    assert "max_treedepth above 12" in str(caught[0].message)


def test_chains_with_a_low_e_bfmi_are_counted_from_arviz():
    rng = np.random.default_rng(3)
    # a chain whose energy wanders as a random walk has an E-BFMI near zero
    energy = np.stack([rng.normal(size=500), np.cumsum(rng.normal(size=500)),
                       rng.normal(size=500)])
    idata = az.InferenceData(sample_stats=xr.Dataset({"energy": (("chain", "draw"), energy)}))
    assert (az.bfmi(idata) < 0.2).tolist() == [False, True, False]
    with pytest.warns(UserWarning, match="There were 1 chains where the estimated Bayesian "
                                         "Fraction of Missing Information was low"):
        warn_about_convergence(idata, np.array([1.0]), np.array([900.0]), np.array([900.0]),
                               SamplerSettings())


@pytest.mark.slow
def test_numpyro_records_tree_depth_and_energy_and_keeps_max_treedepth(small_gaussian):
    with pytest.warns(UserWarning, match="exceeded the maximum treedepth. Increase "
                                         "max_treedepth above 2"):
        fit = ml.brm("y ~ x + (1 | g)", small_gaussian, sampler="numpyro", chains=2, draws=100,
                     warmup=100, seed=4, max_treedepth=2, progressbar=False)
    stats = fit.idata.sample_stats
    assert {"tree_depth", "reached_max_treedepth", "n_steps", "energy", "acceptance_rate",
            "step_size", "lp"} <= set(stats.data_vars)
    assert int(stats["n_steps"].max()) <= 3 and int(stats["tree_depth"].max()) == 2
    assert bool(stats["reached_max_treedepth"].any())
    assert np.isfinite(az.bfmi(fit.idata)).all()


def test_blackjax_keeps_its_own_max_treedepth():
    with pytest.raises(ml.SettingsError, match="max_treedepth cannot be changed with "
                                               "sampler='blackjax'"):
        SamplerSettings(sampler="blackjax", max_treedepth=12)
    with pytest.raises(ml.SettingsError, match="max_treedepth must be a positive integer"):
        SamplerSettings(max_treedepth=0)


def test_healthy_run_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_about_convergence(_idata_with(0), np.array([1.0, 1.004]), np.array([900.0, 1500]),
                               np.array([800.0, 1000]), SamplerSettings())


@pytest.fixture(scope="module")
def twin_fits(small_gaussian):
    """Two fits with the same seed, their two chains run in parallel and one after the other."""
    kwargs = dict(chains=2, draws=300, warmup=300, seed=42, progressbar=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Effective Samples Size")
        return (ml.brm("y ~ x + (1 | g)", small_gaussian, cores=2, **kwargs),
                ml.brm("y ~ x + (1 | g)", small_gaussian, cores=1, **kwargs))


@pytest.mark.slow
def test_same_seed_gives_same_draws_whatever_the_cores(twin_fits):
    first, second = twin_fits
    assert first.settings.backend == second.settings.backend == "numpyro"
    np.testing.assert_array_equal(first.draws.values, second.draws.values)
    for name in ("diverging", "energy", "tree_depth"):
        np.testing.assert_array_equal(first.idata.sample_stats[name].values,
                                      second.idata.sample_stats[name].values)
    assert first.seed == second.seed == 42


@pytest.mark.slow
def test_fit_carries_brms_names_and_shapes(twin_fits):
    fit, _ = twin_fits
    names = list(fit.posterior_summary().index)
    assert names[:5] == ["b_Intercept", "b_x", "sd_g__Intercept", "sigma", "Intercept"]
    assert names[5:] == [*(f"r_g[G{k},Intercept]" for k in range(6)), "lprior"]
    assert fit.draws.values.shape == (2, 300, 12)
    assert set(fit.idata.posterior.data_vars) == {"b_Intercept", "b", "Intercept", "sd_g",
                                                   "r_g", "sigma", "lprior"}


@pytest.mark.slow
def test_user_priors_enter_the_model(small_gaussian):
    """A tight prior pins its coefficient; coefficients in one class may have different priors."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Effective Samples Size")
        fit = ml.brm("y ~ 0 + x + (1 + x | g)", small_gaussian, chains=2, draws=300,
                     warmup=300, seed=9, progressbar=False,
                     prior=[ml.prior("normal(5, 0.01)", class_="b", coef="x"),
                            ml.prior("normal(3, 0.01)", class_="sd", coef="x", group="g")])
    summary = fit.posterior_summary()
    assert summary.loc["b_x", "Estimate"] == pytest.approx(5, abs=0.01)
    assert summary.loc["sd_g__x", "Estimate"] == pytest.approx(3, abs=0.01)
    assert summary.loc["sd_g__Intercept", "Estimate"] < 2.5
    assert "b_Intercept" not in summary.index


@pytest.mark.slow
def test_numpyro_runs_more_chains_than_cores_and_reports_progress(small_gaussian, capfd):
    fit = ml.brm("y ~ x + (1 | g)", small_gaussian, sampler="numpyro", chains=3, cores=2,
                 draws=60, warmup=40, seed=5, progressbar=True)
    intercepts = fit.idata.posterior["b_Intercept"].values
    assert intercepts.shape == (3, 60)
    assert len({tuple(chain) for chain in intercepts}) == 3
    # one bar over the three chains' 100 iterations each, redrawn in place
    lines = capfd.readouterr().err.split("\r")
    assert lines[1].startswith("Warmup:   0%") and " 0/300 " in lines[1]
    assert lines[-1].startswith("Sampling: 100%")
    assert "300/300" in lines[-1] and "chains done 3/3, divergences 0" in lines[-1]


@pytest.mark.slow
def test_numpyro_on_an_accelerator_runs_the_chains_vectorised(small_gaussian, monkeypatch):
    import jax

    class Accelerator:
        platform = "gpu"

    # the program still runs on the CPU: only the choice of the vectorised path is forced
    monkeypatch.setattr(jax, "local_devices", lambda: [Accelerator()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ml.brm("y ~ x + (1 | g)", small_gaussian, sampler="numpyro", chains=3, draws=30,
                     warmup=30, seed=8, progressbar=False)
    intercepts = fit.idata.posterior["b_Intercept"].values
    assert intercepts.shape == (3, 30)
    assert np.all(np.isfinite(intercepts))
    assert len({tuple(chain) for chain in intercepts}) == 3
    assert fit.idata.sample_stats["diverging"].shape == (3, 30)


def test_xla_flags_set_otherwise_stay_as_they_are(monkeypatch):
    import sys

    monkeypatch.delitem(sys.modules, jax_sampling.PYMC_JAX_MODULE, raising=False)
    monkeypatch.setenv("XLA_FLAGS", "--before")
    with jax_sampling.xla_flags_kept():
        os.environ["XLA_FLAGS"] = "--set-inside"
    # PyMC's module was not imported inside: whoever set the value meant it
    assert os.environ["XLA_FLAGS"] == "--set-inside"


class _Lowered:
    """A lowered program whose compile fails with ``error`` whenever options are given."""

    def __init__(self, error: str | None = None):
        self.error, self.options = error, []

    def compile(self, compiler_options=None):
        self.options.append(compiler_options)
        if compiler_options and self.error:
            raise RuntimeError(self.error)
        return "compiled"


def test_xla_options_this_jaxlib_lacks_fall_back_to_a_plain_compile():
    options = executable_cache.FEW_ROWS_COMPILER_OPTIONS
    lacking = _Lowered("INVALID_ARGUMENT: No such compile option: 'xla_cpu_use_fusion_emitters'")
    assert executable_cache._compile(lacking, options) == "compiled"
    assert lacking.options == [options, None]
    with pytest.raises(RuntimeError, match="out of memory"):
        executable_cache._compile(_Lowered("RESOURCE_EXHAUSTED: out of memory"), options)
    many_rows = _Lowered()
    executable_cache._compile(many_rows, {})
    assert many_rows.options == [None]


@pytest.mark.parametrize("options", ["FEW_ROWS_COMPILER_OPTIONS", "ONCE_COMPILER_OPTIONS"])
def test_the_installed_jaxlib_knows_the_compiler_options(options):
    import jax

    # an unknown option raises; the fallback above would hide it and compile more slowly
    lowered = jax.jit(lambda x: x + 1.0).lower(1.0)
    assert float(lowered.compile(
        compiler_options=getattr(executable_cache, options))(1.0)) == 2.0


@pytest.mark.slow
def test_brm_compiles_in_the_few_rows_mode_by_the_rows_the_likelihood_reads(small_gaussian,
                                                                             compile_modes):
    settings = dict(sampler="numpyro", chains=1, draws=20, warmup=20, seed=3, progressbar=False)
    many = pd.concat([small_gaussian] * 20, ignore_index=True)  # 1,200 rows
    _traced_only("y ~ x + (1 | g)", small_gaussian, **settings)  # cross-products: no rows
    _traced_only("y ~ x + (1 | g)", small_gaussian, family="student", **settings)  # 60 rows
    _traced_only("y ~ x + (1 | g)", many, family="student", **settings)
    assert compile_modes == [True, True, False]


def test_initial_points_jitter_the_support_points_where_pymc_does(small_gaussian):
    from multilevel.families import get_family
    from multilevel.model.build import build_model
    from multilevel.priors.table import build_prior_table
    from multilevel.spec.design import build_design
    from multilevel.spec.formula import parse_formula

    design = build_design(parse_formula("y ~ x + (1 | g)"), small_gaussian, get_family("gaussian"))
    model, _ = build_model(design, build_prior_table(design))
    support = model.initial_point()  # PyMC's support points, transformed, without jitter
    first, second, again = initial_points(model, np.array([1, 2, 1]))
    log_density = model.compile_logp(mode=QUICK)
    for point in (first, second):
        assert point.keys() == support.keys()
        for name, value in support.items():
            offset = point[name] - value
            assert np.all((np.abs(offset) <= 1) & (offset != 0)), name
        assert np.isfinite(log_density(point))
    assert all(np.array_equal(first[name], again[name]) for name in support)
    assert not any(np.array_equal(first[name], second[name]) for name in support)


@pytest.mark.slow
def test_warmup_starts_with_the_inverse_mass_of_steep_coordinates_scaled_down():
    import jax
    import jax.numpy as jnp
    from numpyro.infer import NUTS

    # a tightly identified coordinate (sd 0.01) and a loose one (sd 1) at (0.5, 0.5)
    kernel = NUTS(potential_fn=lambda z: 0.5 * jnp.sum((z / jnp.array([0.01, 1.0])) ** 2))
    state = jax_sampling._gradient_scaled(
        kernel.init(jax.random.PRNGKey(0), 10, jnp.array([0.5, 0.5]), (), {}))
    adapt = state.adapt_state
    np.testing.assert_allclose(adapt.inverse_mass_matrix, [1 / 5000, 1.0])
    np.testing.assert_allclose(adapt.mass_matrix_sqrt * adapt.mass_matrix_sqrt_inv, 1.0)
    assert np.all(np.isfinite(kernel.sample(state, (), {}).z))
    # a gradient that is not finite at the start leaves that coordinate at the identity
    cusp = NUTS(potential_fn=lambda z: jnp.sqrt(jnp.abs(z[0])) + 0.5 * jnp.sum(z ** 2))
    state = jax_sampling._gradient_scaled(
        cusp.init(jax.random.PRNGKey(0), 10, jnp.array([0.0, 0.5]), (), {}))
    np.testing.assert_allclose(state.adapt_state.inverse_mass_matrix, [1.0, 1.0])


@pytest.mark.slow
def test_only_a_warmup_that_estimates_the_mass_matrix_starts_gradient_scaled(small_gaussian,
                                                                            compile_modes,
                                                                            monkeypatch):
    scaled = []
    original = jax_sampling._gradient_scaled

    def recording(state):
        scaled.append(True)
        return original(state)

    monkeypatch.setattr(jax_sampling, "_gradient_scaled", recording)
    for warmup in (jax_sampling.MASS_WINDOW_WARMUP - 1, jax_sampling.MASS_WINDOW_WARMUP):
        scaled.clear()
        _traced_only("y ~ x + (1 | g)", small_gaussian, sampler="numpyro", chains=1, draws=20,
                     warmup=warmup, seed=3, progressbar=False)
        assert bool(scaled) == (warmup >= jax_sampling.MASS_WINDOW_WARMUP)


@pytest.mark.parametrize(("arguments", "message"), [
    ({"seed": "abc"}, "seed must be a non-negative integer"),
    ({"seed": -1}, "seed must be a non-negative integer"),
    ({"seed": True}, "seed must be a non-negative integer"),
    ({"seed": 2**64}, r"seed must be .* less than 2\*\*64 or None"),
    ({"cores": 0}, "cores must be a positive integer or None"),
    ({"cores": -3}, "cores must be a positive integer or None"),
    ({"cores": "2"}, "cores must be a positive integer or None"),
    ({"target_accept": "high"}, "target_accept must lie strictly between 0 and 1"),
    ({"target_accept": float("nan")}, "target_accept must lie strictly between 0"),
    ({"chains": True}, "chains must be a positive integer"),
    ({"draws": 2.5}, "draws must be a positive integer"),
    ({"warmup": -1}, "warmup must be a non-negative integer"),
    ({"sampler": 3}, "sampler must be one of auto, nutpie"),
    ({"progressbar": "yes"}, "progressbar must be True or False"),
])
def test_bad_settings_name_the_argument_and_what_is_valid(arguments, message):
    with pytest.raises(ml.MultilevelError, match=message):
        SamplerSettings(**arguments)


def test_numpy_scalars_are_valid_settings():
    settings = SamplerSettings(chains=np.int64(2), draws=np.int32(10), warmup=np.int64(0),
                               seed=np.uint32(5), cores=np.int8(1),
                               target_accept=np.float32(0.9), progressbar=np.bool_(False))
    assert settings.resolved_seed() == 5 and settings.resolved_cores() == 1


def test_brm_rejects_a_negative_seed_before_building_anything(sleepstudy):
    with pytest.raises(ml.MultilevelError, match="seed must be") as caught:
        ml.brm("Reaction ~ Days", sleepstudy, seed=-1)
    # not the rewording of a sampler failure, which blames the priors
    assert "priors" not in str(caught.value)


def test_checkpoints_fall_on_the_progress_lines_and_on_the_last_iteration():
    assert jax_sampling._next_check(0, 100, 10, None) == 1
    # at the pace since the last checkpoint, CHECK_SECONDS' worth, up to the next tenth
    assert jax_sampling._next_check(1, 100, 10, jax_sampling.CHECK_SECONDS / 4) == 4
    assert jax_sampling._next_check(7, 100, 10, 1e-6) == 3
    assert jax_sampling._next_check(95, 105, 10, 1e-6) == 5
    assert jax_sampling._next_check(100, 105, 10, 1e-6) == 5
    # an iteration slower than the time between checkpoints still runs
    assert jax_sampling._next_check(3, 100, 10, 10.0) == 1


@pytest.mark.slow
def test_between_calls_the_bar_moves_on_to_the_last_iteration(small_gaussian, monkeypatch):
    updates = []

    class Progress:
        def __init__(self, chains, warmup, draws):
            self.chains = chains

        def update(self, chain, iteration, divergent):
            updates.append((chain, iteration, divergent))

        def close(self):
            pass

    monkeypatch.setattr(jax_sampling, "ProgressBar", Progress)
    ml.brm("y ~ x + (1 | g)", small_gaussian, sampler="numpyro", chains=2, draws=150,
           warmup=150, seed=1, cores=1)
    for chain in (0, 1):
        iterations = [iteration for c, iteration, _ in updates if c == chain]
        # the first call runs one iteration, the last ends the chain, every tenth is reached
        assert iterations[0] == 1 and iterations[-1] == 300
        assert iterations == sorted(set(iterations))
        assert {30 * k for k in range(1, 11)} <= set(iterations)


@pytest.mark.slow
def test_draws_do_not_depend_on_where_the_checkpoints_fall(small_gaussian, twin_fits,
                                                           monkeypatch):
    default, _ = twin_fits
    # a checkpoint after every iteration
    monkeypatch.setattr(jax_sampling, "_next_check", lambda done, total, every, pace: 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = ml.brm("y ~ x + (1 | g)", small_gaussian, chains=2, draws=300, warmup=300,
                        seed=42, progressbar=False)
    np.testing.assert_array_equal(default.draws.values, single.draws.values)
    np.testing.assert_array_equal(default.idata.sample_stats["diverging"].values,
                                  single.idata.sample_stats["diverging"].values)


def test_a_failing_chain_stops_the_others_and_its_error_goes_on():
    import threading

    stop = threading.Event()
    seen = []
    # every chain is running before the first fails; a chain not yet started would be
    # cancelled instead, which is right but shows nothing about stopping
    started = threading.Barrier(3, timeout=5)

    def run(chain):
        started.wait()
        if chain == 0:
            raise ValueError("chain 0 failed")
        stop.wait(5)
        seen.append(stop.is_set())
        return chain

    with pytest.raises(ValueError, match="chain 0 failed"):
        jax_sampling._in_threads(run, tasks=3, workers=3, stop=stop)
    # the other chains saw the request to stop and their threads are gone
    assert seen == [True, True]
    assert not any(thread.name.startswith("multilevel-chain")
                   for thread in threading.enumerate())


def test_library_notices_are_silenced_inside_only(caplog):
    import logging

    logger = logging.getLogger("pytensor.tensor.blas")
    sampling = logging.getLogger("pymc.sampling.mcmc")
    filters, logger_filters = list(warnings.filters), list(logger.filters)
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.INFO):
        warnings.simplefilter("always")
        with without_library_notices():
            warnings.warn("PyTensor could not link to a BLAS installation.", UserWarning,
                          stacklevel=1)
            warnings.warn("something else", UserWarning, stacklevel=1)
            sampling.info("NUTS: [z_Subject_0]")
            sampling.warning("a sampler's warning")
        sampling.info("after the fit")
    assert [str(w.message) for w in caught] == ["something else"]
    assert [r.getMessage() for r in caplog.records if r.name == sampling.name] == [
        "a sampler's warning", "after the fit"]
    assert warnings.filters == filters
    assert logger.filters == logger_filters and sampling.filters == []


@pytest.mark.slow
def test_chains_start_again_where_the_log_density_is_not_finite():
    """A gamma model with the inverse link: PyMC's jittered support points give some rows a
    negative mean (log density -inf), where a chain would never move; starting values drawn
    as Stan draws them find a valid start."""
    from multilevel.model.build import build_model
    from multilevel.priors.table import build_prior_table
    from multilevel.spec.design import build_design
    from multilevel.spec.formula import parse_formula
    from reference import FAMILY_REFERENCE_DIR

    data = pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "gamma.csv")
    family = ml.get_family("gamma", "inverse")
    design = build_design(parse_formula("y ~ x + (1 | g)"), data, family)
    model, _ = build_model(design, build_prior_table(design))
    log_density = model.compile_logp(mode=QUICK)
    assert not np.isfinite(log_density(initial_points(model, [1])[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergences near the boundary, as brms meets them
        fit = ml.brm("y ~ x + (1 | g)", data, family=family, chains=2, draws=200, warmup=200,
                     seed=1, progressbar=False)
    # every draw keeps every row's mean positive (brms's reference, gamma_inverse, is
    # compared with the posterior in test_families)
    assert np.all(fit.posterior_linpred() > 0)


def test_a_chain_with_no_finite_start_is_an_error_naming_it():
    from multilevel.inference.starting_points import MAX_ATTEMPTS

    class Nowhere:
        calls = 0

        def initial(self, key, position, *arrays):
            Nowhere.calls += 1
            state = type("State", (), {"potential_energy": np.inf, "z_grad": np.zeros(2)})
            return 0, 0, state

    class Starts:
        def again(self, seed, attempt):
            return np.zeros(2)

    with pytest.raises(ml.MultilevelError, match="No starting point for chain 3 among 100"):
        jax_sampling._started(Nowhere(), None, np.zeros(2), (), Starts(), np.arange(4), 2)
    assert Nowhere.calls == MAX_ATTEMPTS
