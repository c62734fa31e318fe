"""The growth-model walkthrough of docs/growth.md, from unconditional growth to residual
structures and their comparison. Run it to reproduce the outputs shown there:

    python examples/growth.py
"""
import time

import multilevel as ml


def fit(formula, data, **kwargs):
    start = time.perf_counter()
    result = ml.brm(formula, data=data, seed=2026, progressbar=False, **kwargs)
    print(f"# {formula} -- {time.perf_counter() - start:.1f} s end to end")
    return result


def main():
    sleepstudy = ml.load_dataset("sleepstudy")
    # 1. unconditional growth: a line per subject
    linear = fit("Reaction ~ Days + (Days | Subject)", sleepstudy)
    print(linear.summary())
    # 2. flexible trends: a quadratic, and a change of slope after day 2
    quadratic = fit("Reaction ~ poly(Days, 2) + (Days | Subject)", sleepstudy)
    print(quadratic.fixef())
    piecewise = fit("Reaction ~ Days + I((Days - 2) * (Days > 2)) + (Days | Subject)",
                    sleepstudy)
    print(piecewise.fixef())
    smooth = fit("Reaction ~ s(Days) + (Days | Subject)", sleepstudy, target_accept=0.95)
    print(smooth.summary())
    # 3. heterogeneous residual variance over time
    spread = fit(ml.bf("Reaction ~ Days + (Days | Subject)", sigma="~ Days"), sleepstudy)
    print(spread.fixef())
    # ... and a residual sd of its own at each wave, compared with one common sd
    waves = ml.load_dataset("waves")
    by_wave = fit(ml.bf("y ~ time + (time | id)", sigma="~ 0 + factor(time)"), waves)
    print(by_wave.summary())
    common = fit("y ~ time + (time | id)", waves)
    print(ml.loo_compare(common=common, by_wave=by_wave)
          [["elpd_diff", "se_diff", "elpd_loo", "p_loo"]].round(1))
    # 4. residual structures
    ar1 = fit("Reaction ~ Days + (Days | Subject) + ar(time = Days, gr = Subject)",
              sleepstudy, target_accept=0.95)
    print(ar1.summary())
    cosy = fit("Reaction ~ Days + cosy(time = Days, gr = Subject)", sleepstudy)
    print(cosy.summary().correlation)
    print(ml.loo_compare(linear=linear, quadratic=quadratic, piecewise=piecewise,
                         smooth=smooth, spread=spread, ar1=ar1, cosy=cosy)
          [["elpd_diff", "se_diff", "elpd_loo", "p_loo"]].round(1))

    # 5. three levels: waves within pupils within schools, with a cross-level interaction
    reading = ml.load_dataset("reading")
    three = fit("score ~ time * (frl + size) + (time | pupil) + (time | school)", reading)
    print(three.summary())
    marginal = fit("score ~ time * (frl + size) + (time | school) + unstr(time, pupil)",
                   reading)
    print(marginal.summary().correlation)
    print(ml.loo_compare(random_slopes=three, unstructured=marginal)
          [["elpd_diff", "se_diff", "elpd_loo", "p_loo"]].round(1))

    # 6. a curve with an asymptote: the logistic growth of the orange trees
    orange = ml.load_dataset("orange")
    logistic = fit(ml.bf("circumference ~ Asym / (1 + exp((xmid - age) / scal))",
                         "Asym ~ 1 + (1 | Tree)", "xmid + scal ~ 1", nl=True), orange,
                   prior=[ml.prior("normal(200, 50)", nlpar="Asym"),
                          ml.prior("normal(700, 200)", nlpar="xmid"),
                          ml.prior("normal(350, 100)", nlpar="scal")])
    print(logistic.summary())
    print(logistic.coef()["Tree"].xs("Estimate", axis=1, level="stat").round(1))


if __name__ == "__main__":
    main()
