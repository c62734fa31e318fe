"""Sampling a model: NUTS through numpyro, nutpie or PyMC, or an approximation.

``nuts.py`` holds the settings and runs the chosen backend into an InferenceData;
``numpyro.py`` compiles warmup and sampling into one XLA program; ``compile_cache.py`` reuses
nutpie's compiled models; ``approximation.py`` runs ADVI, Pathfinder or Laplace.
"""
