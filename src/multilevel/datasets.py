"""Datasets shipped with the package, readable offline."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from .errors import MultilevelError, close_matches

_DESCRIPTIONS = {
    "sleepstudy": "Reaction times (ms) of 18 subjects over 10 days of sleep deprivation (lme4).",
    "rats": "Tumours m among n rats in each of 71 historical control batches (Gelman et al.).",
    "hsb": "High School and Beyond: 7185 pupils' maths achievement in 160 schools.",
    "dyestuff": "Yield of dyestuff from 6 batches of an intermediate product (lme4).",
    "pastes": "Strength of paste from 3 casks in each of 10 batches (lme4).",
    "inhaler": "Ratings 1-4 of an inhalation device by 286 patients in a crossover trial "
               "(brms; Ezzet & Whitehead 1991).",
    "salamanders": "Salamander counts at 23 sites of streams with and without mountaintop "
                   "mining, by species (glmmTMB; Price et al. 2016).",
    "classroom": "Maths gains of 1,190 first-graders in 312 classes in 107 schools, with "
                 "pupil, class and school variables; classid is unique across schools (West, "
                 "Welch & Gałecki, Linear Mixed Models, ch. 4; WWGbook R package).",
    "reading": "Simulated reading scores of pupils in 40 schools at four yearly waves, for "
               "three-level growth models (examples/make_reading_data.py has the truth).",
    "waves": "Simulated scores of 100 pupils at five waves, with a residual sd that grows "
             "from wave to wave (growth_waves in tests/reference/families/simulate.py).",
    "kidney": "Times to the first and second recurrence of infection in 38 kidney patients, "
              "right-censored where censored is 1 (brms's and the survival package's; "
              "McGilchrist & Aisbett 1991).",
    "epilepsy": "Seizure counts of 59 epilepsy patients at four visits, treated (Trt 1) or "
                "not, with standardised age and baseline count (brms; Thall & Vail 1990).",
    "orange": "Trunk circumference (mm) of five orange trees at seven ages (days), the "
              "classic non-linear growth curve (R's Orange; Draper & Smith 1998).",
}
# R's factors that a CSV file does not keep: numbers R holds as a factor (epilepsy's Trt),
# levels R does not order alphabetically (kidney's sex); categories in R's order, so that
# coefficients are named and coded as brms names and codes them (b_Trt1, b_sexfemale)
_FACTOR_LEVELS = {
    "kidney": {"sex": ["male", "female"], "disease": ["other", "GN", "AN", "PKD"]},
    "epilepsy": {"Trt": [0, 1], "visit": [1, 2, 3, 4]},
    # R orders the trees by their largest circumference
    "orange": {"Tree": [3, 1, 5, 2, 4]},
}


def list_datasets() -> pd.DataFrame:
    """The shipped datasets with their sizes and a one-line description."""
    rows = []
    for name, description in _DESCRIPTIONS.items():
        frame = load_dataset(name)
        rows.append({"name": name, "rows": len(frame), "columns": ", ".join(frame.columns),
                     "description": description})
    return pd.DataFrame(rows).set_index("name")


def load_dataset(name: str) -> pd.DataFrame:
    """Load a shipped dataset by name.

    Parameters
    ----------
    name
        One of ``sleepstudy``, ``rats``, ``hsb``, ``dyestuff``, ``pastes``, ``inhaler``,
        ``salamanders``, ``classroom``, ``reading``, ``waves``, ``kidney``, ``epilepsy``,
        ``orange``.

    Returns
    -------
    DataFrame
        The data, with ``attrs["name"]`` set so summaries print ``Data: sleepstudy``.
    """
    if name not in _DESCRIPTIONS:
        raise MultilevelError(
            f"No dataset named {name!r}." + close_matches(name, _DESCRIPTIONS)
            + " Available: " + ", ".join(_DESCRIPTIONS) + "."
        )
    with resources.files("multilevel").joinpath("data", f"{name}.csv").open("r") as handle:
        frame = pd.read_csv(handle)
    for column, levels in _FACTOR_LEVELS.get(name, {}).items():
        frame[column] = pd.Categorical(frame[column], categories=levels)
    frame.attrs["name"] = name
    return frame
