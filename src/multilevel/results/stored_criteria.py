"""Criteria kept with a fit, as brms's ``add_criterion()``: computed once, reused by
``loo()``, ``waic()``, ``kfold()`` and ``loo_compare()``, and saved with the fit."""

from __future__ import annotations

from ..errors import MultilevelError
from .bridge_sampling import bridge_sampler
from .caller import warnings_at_callers_line

# brms's criteria but loo_subsample, which needs the loo package's subsampling
CRITERIA = ("loo", "waic", "kfold", "bayes_R2", "loo_R2", "marglik")


def checked_criteria(criterion) -> list[str]:
    """``criterion`` (a name or several) as a list of brms's names, or brms's error."""
    names = [criterion] if isinstance(criterion, str) else list(criterion)
    if not names or not all(isinstance(name, str) and name in CRITERIA for name in names):
        unsupported = " (loo_subsample is not available here)" if "loo_subsample" in names \
            else ""
        raise MultilevelError(f"Argument 'criterion' should be a subset of "
                              f"{', '.join(CRITERIA)}{unsupported}; got {criterion!r}.")
    return list(dict.fromkeys(names))


class StoredCriteria:
    """brms's ``add_criterion()`` for :class:`~multilevel.Fit`, whose ``criteria`` dict holds
    what it computed."""

    criteria: dict

    @warnings_at_callers_line
    def add_criterion(self, criterion, overwrite: bool = False, file=None, **kwargs):
        """Compute criteria and keep them with the fit, as brms's ``add_criterion()``.

        ``loo()``, ``waic()`` and ``kfold()`` (with the same ``K``) then return what is
        kept, ``loo_compare(..., criterion=...)`` compares it (``"kfold"`` only so), and
        ``save()`` writes it with the fit.

        Parameters
        ----------
        criterion
            One of ``"loo"``, ``"waic"``, ``"kfold"``, ``"bayes_R2"``, ``"loo_R2"`` and
            ``"marglik"`` (:func:`multilevel.bridge_sampler`), or a list of them. The R²
            criteria are kept as their draws, as brms keeps them.
        overwrite
            Compute again criteria the fit already holds (by default they are kept).
        file
            Save the fit to this directory afterwards, as :meth:`save`; by default the one
            ``brm(..., file=)`` saved it to, if any, when a criterion was added.
        **kwargs
            Arguments of the computation: ``kfold()``'s (``K``, ``folds``, ``group``,
            ``seed``, ``executor``, sampler settings), ``loo_R2()``'s and
            ``bridge_sampler()``'s ``seed``.

        Returns
        -------
        Fit
            The fit itself, holding the criteria in ``criteria``.
        """
        names = checked_criteria(criterion)
        new = [name for name in names if overwrite or name not in self.criteria]
        for name in new:
            self.criteria.pop(name, None)
            self.criteria[name] = self._computed_criterion(name, kwargs)
        target = file if file is not None else (self.file if new else None)
        if target is not None:
            self.save(target)
            self.file = str(target)
        return self

    def _computed_criterion(self, name: str, arguments: dict):
        if name == "kfold":
            return self.kfold(**arguments)
        if name == "bayes_R2":
            return self.bayes_R2(summary=False)
        if name == "loo_R2":
            return self.loo_R2(summary=False, seed=arguments.get("seed"))
        if name == "marglik":
            return bridge_sampler(self, seed=arguments.get("seed"))
        return getattr(self, name)()
