"""The exported program's own log densities of brms's ordinal models where PyMC has none:
the sequential and adjacent-category models, and the cumulative model with the cloglog and
cauchit links (the families' ``category_likelihoods``, written out)."""

from __future__ import annotations

# log F(x) and log(1 - F(x)) for each link's inverse F, as code
_LOG_CDF_CODE = {
    "logit": ("-pt.softplus(-{x})", "-pt.softplus({x})"),
    "probit": ("pm.logcdf(pm.Normal.dist(), {x})", "pm.logcdf(pm.Normal.dist(), -{x})"),
    "cloglog": ("pt.log1mexp(-pt.exp({x}))", "-pt.exp({x})"),
    "cauchit": ("pt.log(pt.arctan2(1.0, -{x}) / np.pi)", "pt.log(pt.arctan2(1.0, {x}) / np.pi)"),
}
_SEQUENTIAL_DOCS = {
    "sratio": "stopping ratio: the response stops at category k with probability\n"
              "    F(theta_k - eta), having passed every threshold below",
    "cratio": "continuation ratio: the response continues past category k with\n"
              "    probability F(eta - theta_k)",
    "acat": "adjacent categories: each category's odds against the one below are\n"
            "    F(eta - theta_k) / (1 - F(eta - theta_k))",
}


def sequential_helper(kind: str, link: str) -> str:
    """The log density of brms's ``sratio``, ``cratio`` or ``acat`` model with ``link``, as
    the program's own function (the families' ``_category_log_probabilities``)."""
    log_f, log_1mf = _LOG_CDF_CODE[link]
    if kind == "acat":
        body = [f"    above, below = {log_f.format(x='-difference')}, "
                f"{log_1mf.format(x='-difference')}",
                "    weights = (before(above) + pt.sum(below, axis=-1, keepdims=True)",
                "               - before(below))",
                "    log_p = weights - pt.logsumexp(weights, axis=-1, keepdims=True)"]
    else:
        x = "difference" if kind == "sratio" else "-difference"
        first, second = ("stop", "go_on") if kind == "sratio" else ("go_on", "stop")
        body = [f"    {first}, {second} = {log_f.format(x=x)}, {log_1mf.format(x=x)}",
                "    log_p = (pt.concatenate([stop, pt.zeros_like(stop[..., :1])], axis=-1)",
                "             + before(go_on))"]
    return "\n".join([
        f"def {kind}_logp(value, eta, thresholds):",
        f'    """brms\'s {_SEQUENTIAL_DOCS[kind]}, F the inverse {link} link."""',
        "    difference = thresholds - eta[..., None]",
        "",
        "    def before(terms):  # each category's sum over the thresholds below it",
        "        zero = pt.zeros_like(terms[..., :1])",
        "        return pt.concatenate([zero, pt.cumsum(terms, axis=-1)], axis=-1)",
        "",
        *body,
        "    position = pt.cumsum(pt.ones_like(log_p), axis=-1) - 1",
        "    return pt.sum(pt.switch(pt.eq(position, (value - 1)[..., None]), log_p, 0.0),"
        " axis=-1)",
    ])


# each row's thresholds around its category less eta, and whether the category is the first
# or the last, as the cumulative helpers' common start
_ROW_BOUNDS_CODE = '''    category = value - 1
    ends = pt.zeros_like(thresholds[..., :1])
    bounds = pt.concatenate([ends, thresholds, ends], axis=-1)
    position = pt.cumsum(pt.ones_like(bounds), axis=-1) - 1
    upper = pt.sum(pt.switch(pt.eq(position, (category + 1)[..., None]), bounds, 0.0),
                   axis=-1) - eta
    lower = pt.sum(pt.switch(pt.eq(position, category[..., None]), bounds, 0.0), axis=-1) - eta
    first, last = pt.eq(category, 0), pt.eq(category, thresholds.shape[-1])
'''

CUMULATIVE_CLOGLOG_HELPER = '''def cumulative_logp(value, eta, thresholds):
    """brms's cumulative model with the cloglog link: P(y <= k) = F(theta_k - eta), F(x) =
    1 - exp(-exp(x)), so P(y = k) = exp(-exp(lower)) - exp(-exp(upper)) between the
    thresholds around k, the open ends exact."""
''' + _ROW_BOUNDS_CODE + '''    below = pt.switch(first, 0.0, pt.exp(lower))
    gap = pt.switch(last, 1.0, pt.exp(upper) - below)
    return -below + pt.switch(last, 0.0, pt.log1mexp(-gap))'''


CUMULATIVE_CAUCHIT_HELPER = '''def cumulative_logp(value, eta, thresholds):
    """brms's cumulative model with the cauchit link: P(y <= k) = F(theta_k - eta), F(x) =
    1/2 + atan(x) / pi = atan2(1, -x) / pi, so P(y = k) = F(upper) - F(lower) between the
    thresholds around k; a difference of two values near 1 is taken as the equal difference
    of their reflections in zero, and the open end is left out."""
''' + _ROW_BOUNDS_CODE + '''    reflect = ~first & (last | (upper + lower > 0))
    high = pt.switch(reflect, -lower, upper)
    low = pt.switch(reflect, -upper, lower)
    cdf_high = pt.arctan2(1.0, -high) / np.pi
    cdf_low = pt.switch(first | last, 0.0, pt.arctan2(1.0, -low) / np.pi)
    return pt.log(cdf_high - cdf_low)'''

# the exported program's own cumulative densities, by link, where PyMC has none
CUMULATIVE_HELPERS = {"cloglog": CUMULATIVE_CLOGLOG_HELPER, "cauchit": CUMULATIVE_CAUCHIT_HELPER}
