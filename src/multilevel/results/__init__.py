"""What a fit offers once sampled: summaries, predictions, criteria, hypotheses, storage.

:class:`~multilevel.results.fit.Fit` ties the spec, design, prior table and InferenceData
together; the modules beside it read only those: ``posterior.py`` (brms's names and
summaries), ``summary.py`` (brms's printed layout), ``predict.py``, ``criteria.py`` (LOO,
WAIC, R², ICC), ``hypothesis.py`` and ``storage.py`` (saving and verified loading).
"""
