"""brms's make_conditions(): the conditions conditional effects are shown under."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import multilevel as ml

BRMS = Path(__file__).parent / "reference" / "conditions" / "make_conditions.csv"


@pytest.mark.parametrize("variables", ["zAge", "Trt", "zBase,Trt", "Trt,zAge"])
def test_make_conditions_equals_brms(variables):
    """brms 2.18's make_conditions(epilepsy, vars) (make_conditions.R): each level of a
    factor, a number's mean and one sd either side, the last variable fastest, labelled with
    two digits."""
    brms = pd.read_csv(BRMS, dtype={"Trt": str})
    brms = brms[brms["vars"] == variables].reset_index(drop=True)
    names = variables.split(",")
    ours = ml.make_conditions(ml.load_dataset("epilepsy"), names)
    assert ours.columns.tolist() == [*names, "cond__"]
    assert ours["cond__"].tolist() == brms["cond__"].tolist()
    for name in names:
        if name == "Trt":
            assert ours[name].astype(str).tolist() == brms[name].tolist()
        else:
            np.testing.assert_allclose(ours[name], brms[name], atol=1e-12)


def test_make_conditions_names_what_is_wrong():
    data = ml.load_dataset("epilepsy")
    with pytest.raises(ml.MultilevelError, match="no column 'age' in the data"):
        ml.make_conditions(data, "age")
    with pytest.raises(ml.MultilevelError, match="a fitted model or a data frame"):
        ml.make_conditions([1, 2], "zAge")
    logical = ml.make_conditions(data.assign(old=data["Age"] > 30), "old")
    assert logical["cond__"].tolist() == ["old = FALSE", "old = TRUE"]
