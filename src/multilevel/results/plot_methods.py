"""The plots of a fit, as methods: each is :mod:`multilevel.plots`' function of the fit."""

from __future__ import annotations


class PlotMethods:
    """brms's plot methods of :class:`~multilevel.Fit`. matplotlib is imported only when a
    plot is asked for, so that fitting stays light."""

    def pp_check(self, *args, **kwargs):
        """Posterior predictive check; see :func:`multilevel.plots.pp_check`."""
        from .. import plots
        return plots.pp_check(self, *args, **kwargs)

    def conditional_effects(self, *args, **kwargs):
        """Conditional effects; see :func:`multilevel.plots.conditional_effects`."""
        from .. import plots
        return plots.conditional_effects(self, *args, **kwargs)

    def conditional_smooths(self, *args, **kwargs):
        """Each smooth term over its variable; see :func:`multilevel.plots.conditional_smooths`."""
        from .. import plots
        return plots.conditional_smooths(self, *args, **kwargs)

    def plot(self, *args, **kwargs):
        """Trace and density plots; see :func:`multilevel.plots.plot`."""
        from .. import plots
        return plots.plot(self, *args, **kwargs)

    def mcmc_plot(self, *args, **kwargs):
        """Intervals, densities, traces, R-hat and more of the draws, as brms's
        ``mcmc_plot()``; see :func:`multilevel.plots.mcmc_plot`."""
        from .. import plots
        return plots.mcmc_plot(self, *args, **kwargs)

    def pairs(self, variables=None, regex: bool = False):
        """Scatter plots of each pair of parameters' draws with their histograms, as brms's
        ``pairs()``: ``mcmc_plot(variables, type="pairs")``."""
        return self.mcmc_plot(variables, type="pairs", regex=regex)

    def plot_ranef(self, *args, **kwargs):
        """Caterpillar plot of group effects; see :func:`multilevel.plots.plot_ranef`."""
        from .. import plots
        return plots.plot_ranef(self, *args, **kwargs)

    def plot_shrinkage(self, *args, **kwargs):
        """No-pooling against multilevel estimates; see :func:`multilevel.plots.plot_shrinkage`."""
        from .. import plots
        return plots.plot_shrinkage(self, *args, **kwargs)
