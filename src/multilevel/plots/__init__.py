"""Plots of a fit as brms and bayesplot draw them, with matplotlib.

Every function takes a :class:`multilevel.Fit` and returns a :class:`PlotFigure`, a
:class:`matplotlib.figure.Figure`. Figures are made with the object API rather than ``pyplot``,
so nothing is kept in pyplot's global figure list: a notebook shows the returned figure once, a
script saves it with ``fig.savefig(...)``, and any backend (Agg included) works.
"""

from .common import PlotFigure
from .conditional import conditional_effects
from .mcmc import mcmc_plot
from .ppc import pp_check
from .ranef import plot_ranef
from .shrinkage import plot_shrinkage
from .smooths import conditional_smooths
from .trace import plot

__all__ = ["PlotFigure", "conditional_effects", "conditional_smooths", "mcmc_plot", "plot",
           "plot_ranef", "plot_shrinkage", "pp_check"]
