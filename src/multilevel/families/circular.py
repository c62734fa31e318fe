"""Families of angles: brms's ``von_mises``, whose mean lies on the circle through the
``tan_half`` link."""

from __future__ import annotations

import numpy as np
import pymc as pm

from .family import AuxParameter, Family
from .responses import check_angle


def _von_mises_likelihood(eta, mu, aux, trials, link):
    return pm.VonMises, {"mu": mu, "kappa": aux["kappa"]}


def _mean_direction(mu, aux, trials):
    # brms's posterior_epred of von_mises: the mean direction itself
    return np.asarray(mu, dtype=float)


von_mises = Family(
    "von_mises", "tan_half", ("tan_half", "identity"),
    # kappa starts at 1 (a wide spread), as Stan's starts lie about it: from its prior's mean,
    # 200, the angles' density is so narrow that chains may never find them
    (AuxParameter("kappa", 0.0, lambda y: "gamma(2, 0.01)", start=1.0),),
    check_angle, _von_mises_likelihood, _mean_direction, group_sd_start=0.5,
)
