"""From a formula string and a data frame to numeric arrays: the first stage.

``formula.py`` reads lme4/brms syntax into a :class:`~multilevel.spec.formula.FormulaSpec`;
``evaluation.py`` is the closed language its expressions are evaluated in; ``design.py``
evaluates the spec on the data into a :class:`~multilevel.spec.design.Design` (response,
population matrix, group blocks, offset, trials, weights), after ``checks.py``'s checks.
"""
