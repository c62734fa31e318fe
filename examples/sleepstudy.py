"""Fit brms's classic sleepstudy model and print its prior table and summary.

Run with ``python examples/sleepstudy.py``.
"""

import multilevel as ml

sleepstudy = ml.load_dataset("sleepstudy")
fit = ml.brm("Reaction ~ Days + (Days | Subject)", data=sleepstudy, seed=1234,
             progressbar=False)
print(fit.prior.to_string(index=False))
print()
print(fit.summary())
