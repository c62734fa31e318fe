"""Write the figures of docs/plots.md into docs/images/.

Run from anywhere with ``python docs/make_images.py``; it fits three models (sleepstudy, the
High School and Beyond data and the rats data), which takes a few minutes on two cores.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import multilevel as ml  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"
DPI = 100


def save(figure, name: str, dpi: int = DPI) -> None:
    path = IMAGES / f"{name}.png"
    figure.savefig(path, dpi=dpi)
    print(f"wrote {path.relative_to(IMAGES.parent.parent)}")


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    warnings.simplefilter("ignore", UserWarning)

    sleep = ml.brm("Reaction ~ Days + (Days | Subject)", data=ml.load_dataset("sleepstudy"),
                   seed=1, progressbar=False)
    save(sleep.pp_check(seed=1), "pp_check_dens_overlay")
    save(sleep.pp_check("hist", ndraws=7, seed=1), "pp_check_hist")
    save(sleep.pp_check("stat", stat="sd", seed=1), "pp_check_stat")
    save(sleep.pp_check("intervals", seed=1), "pp_check_intervals")
    save(sleep.pp_check("loo_pit_overlay", seed=1), "pp_check_loo_pit_overlay")
    # 18 panels: a lower resolution keeps the file small
    save(sleep.pp_check("intervals_grouped", group="Subject", x="Days", seed=1),
         "pp_check_intervals_grouped", dpi=60)
    save(sleep.conditional_effects("Days", points=True), "conditional_effects_numeric")
    save(sleep.conditional_effects("Days", spaghetti=True, ndraws=100, seed=1),
         "conditional_effects_spaghetti")
    save(sleep.plot(), "plot", dpi=70)  # 4000 noisy trace points per row
    save(sleep.plot_ranef(), "plot_ranef")
    save(sleep.plot_shrinkage(), "plot_shrinkage_2d")
    save(sleep.mcmc_plot(["b_Days", "sd_Subject__Intercept", "sd_Subject__Days", "sigma"]),
         "mcmc_plot_intervals")
    save(sleep.mcmc_plot(["b_Days", "sd_Subject__Days"], type="areas"), "mcmc_plot_areas")

    hsb = ml.brm("mathach ~ ses * sector + (ses | school)", data=ml.load_dataset("hsb"),
                 chains=2, draws=500, warmup=500, seed=1, progressbar=False)
    save(hsb.conditional_effects("sector"), "conditional_effects_categorical")
    save(hsb.conditional_effects("ses:sector"), "conditional_effects_interaction")

    rats = ml.brm("m | trials(n) ~ 1 + (1 | batch)", data=ml.load_dataset("rats"),
                  family="binomial", seed=1, progressbar=False)
    save(rats.pp_check("bars", seed=1), "pp_check_bars")
    save(rats.pp_check("rootogram", seed=1), "pp_check_rootogram")
    save(rats.plot_shrinkage(), "plot_shrinkage_1d")


if __name__ == "__main__":
    main()
