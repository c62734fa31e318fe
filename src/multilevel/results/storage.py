"""Saving and loading fits in open formats: netCDF for the draws, JSON for everything else.

A saved fit is a directory holding ``draws.nc`` (the InferenceData: posterior, sample stats,
log-likelihood and prior draws) and ``fit.json`` (formula, family, user priors, data, sampler
settings, seed, and a sha256 content hash over the rest of ``fit.json`` and the bytes of
``draws.nc``). Loading checks the hash first, so a fit whose draws, data or formula were changed
after saving, or whose files were damaged, is refused instead of silently giving another
posterior. The hash is a check of integrity, not a signature: whoever can write the files can
also write a matching hash. What makes loading safe with files of unknown origin is that it
evaluates nothing but the closed formula language of ``spec/evaluation.py`` and reads data,
never code. Loading rebuilds the design and prior table from the saved parts, which are
deterministic, so predictions and summaries of a loaded fit equal the original's.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd

from ..errors import MultilevelError, StorageError
from ..families.mixture import family_from_record, family_record
from ..inference.settings import SamplerSettings
from ..model.build import ModelNames, group_dims
from ..names import population_names
from ..priors.table import Prior, PriorTable, build_prior_table
from ..spec.brms_formula import BrmsFormula
from ..spec.contrasts import POLYNOMIAL_FACTORS
from ..spec.design import Design, build_design
from ..spec.formula import parse_formula
from ..spec.model_frame import R_FACTORS
from .bridge_sampling import BridgeEstimate
from .criteria import InformationCriterion
from .refits import KFold

FORMAT = "multilevel-fit"
# version 2: fit.json carries a content hash over itself and the draws
FORMAT_VERSION = 2
DRAWS_FILE = "draws.nc"
METADATA_FILE = "fit.json"
METADATA_KEYS = ("format", "format_version", "multilevel_version", "formula", "family",
                 "priors", "settings", "seed", "sample_prior", "data_name", "names",
                 "fingerprint", "data", "content_hash")
# keys a fit without distributional or non-linear formulas may lack
OPTIONAL_KEYS = ("dpars", "nl", "imputations", "fixed", "data2", "criteria", "center")


def _scalar(value):
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def frame_to_json(frame: pd.DataFrame) -> dict:
    """A data frame as plain JSON values, keeping each column's dtype and category levels."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        entry = {"name": str(name), "dtype": str(series.dtype)}
        if isinstance(series.dtype, pd.CategoricalDtype):
            entry["categories"] = [_scalar(c) for c in series.cat.categories]
            entry["ordered"] = bool(series.cat.ordered)
            entry["codes"] = series.cat.codes.astype(int).tolist()
        else:
            entry["values"] = [_scalar(v) for v in series.tolist()]
        columns.append(entry)
    return {"index": [_scalar(v) for v in frame.index.tolist()], "columns": columns,
            "name": frame.attrs.get("name"), R_FACTORS: frame.attrs.get(R_FACTORS),
            POLYNOMIAL_FACTORS: frame.attrs.get(POLYNOMIAL_FACTORS)}


def frame_from_json(payload: dict) -> pd.DataFrame:
    """The inverse of :func:`frame_to_json`."""
    columns = {}
    for entry in payload["columns"]:
        dtype = entry["dtype"]
        if "codes" in entry:
            columns[entry["name"]] = pd.Categorical.from_codes(
                entry["codes"], categories=entry["categories"], ordered=entry["ordered"])
        elif dtype.startswith("datetime64"):
            columns[entry["name"]] = pd.to_datetime(pd.Series(entry["values"])).astype(dtype)
        else:
            values = entry["values"]
            if dtype.startswith("float"):
                values = [np.nan if v is None else v for v in values]
            columns[entry["name"]] = pd.Series(values, dtype=dtype)
    frame = pd.DataFrame(columns)
    frame.index = pd.Index(payload["index"])
    if payload.get("name") is not None:
        frame.attrs["name"] = payload["name"]
    for key in (R_FACTORS, POLYNOMIAL_FACTORS):
        if payload.get(key) is not None:
            frame.attrs[key] = list(payload[key])
    return frame


def _criteria_to_json(criteria: dict) -> dict:
    """A fit's kept criteria as plain JSON values, for its saved metadata."""
    payload = {}
    for name, value in criteria.items():
        if isinstance(value, InformationCriterion):
            entry = {"criterion": value.criterion, "draws": value.draws,
                     "estimates": frame_to_json(value.estimates),
                     "pointwise": frame_to_json(value.pointwise)}
            if isinstance(value, KFold):
                entry |= {"K": value.K, "folds": np.asarray(value.folds).tolist(),
                          "fold_type": value.fold_type,
                          "refits": (None if value.refits is None
                                     else frame_to_json(value.refits))}
        elif name == "marglik":
            entry = {"logml": value.logml, "niter": value.niter, "cv": value.cv}
        else:
            entry = {"draws": np.asarray(value, dtype=float).tolist()}
        payload[name] = entry
    return payload


def _criteria_from_json(payload: dict) -> dict:
    """The inverse of :func:`_criteria_to_json`."""
    criteria = {}
    for name, entry in payload.items():
        if name in ("loo", "waic", "kfold"):
            parts = (entry["criterion"], frame_from_json(entry["estimates"]),
                     frame_from_json(entry["pointwise"]), int(entry["draws"]))
            criteria[name] = (InformationCriterion(*parts) if name != "kfold" else KFold(
                *parts, K=int(entry["K"]), folds=np.asarray(entry["folds"]),
                fold_type=entry["fold_type"],
                refits=None if entry["refits"] is None else frame_from_json(entry["refits"])))
        elif name == "marglik":
            criteria[name] = BridgeEstimate(float(entry["logml"]), int(entry["niter"]),
                                            float(entry["cv"]))
        else:
            criteria[name] = np.asarray(entry["draws"], dtype=float)
    return criteria


def priors_to_json(priors) -> list[dict]:
    return [asdict(p) for p in priors]


def priors_from_json(rows: list[dict]) -> tuple[Prior, ...]:
    return tuple(Prior(**row) for row in rows)


def fingerprint(formula: str, data: pd.DataFrame, family, priors, settings,
                sample_prior: str, data2=None) -> str:
    """A hash of everything that determines a fit's draws, for ``brm(..., file=...)``."""
    hasher = hashlib.sha256()
    hasher.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
    for name in sorted(data2 or {}, key=str):
        value = data2[name]
        hasher.update(str(name).encode())
        if isinstance(value, pd.DataFrame):
            hasher.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
            hasher.update(str(list(value.columns)).encode())
        else:  # refused when the design is built
            hasher.update(repr(value).encode())
    described = {
        # every part of a bf() exactly: its printed form rounds held values
        "formula": asdict(formula) if isinstance(formula, BrmsFormula) else formula,
        "columns": [[str(c), str(t)] for c, t in data.dtypes.items()],
        "family": [family.name, family.link] + (
            [family_record(family)] if family.components else []),
        "priors": priors_to_json(priors),
        "settings": {k: v for k, v in asdict(settings).items() if k != "progressbar"},
        "sample_prior": sample_prior,
    }
    hasher.update(json.dumps(described, sort_keys=True, default=str).encode())
    return hasher.hexdigest()


def _content_hash(metadata: dict, draws_path: Path) -> str:
    """sha256 over the metadata (without its own hash) and the bytes of the draws file."""
    hasher = hashlib.sha256()
    described = {key: value for key, value in metadata.items() if key != "content_hash"}
    hasher.update(json.dumps(described, sort_keys=True).encode())
    with open(draws_path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def check_writable(path: str | Path) -> Path:
    """Make sure a fit can be saved to the directory ``path``, before any sampling.

    Raises
    ------
    StorageError
        When ``path`` is a file, or the directory cannot be created or written to.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise StorageError(f"Cannot save the fit to {str(path)!r}: it is a file; a fit is "
                           "saved as a directory holding draws.nc and fit.json.")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except OSError as error:
        raise StorageError(f"Cannot save the fit to {str(path)!r}: {error.strerror or error}. "
                           "Choose a directory you can write to.") from None
    return path


# groups a fit computes from its draws and data when asked (``log_lik()``, ``loo()``): the
# pointwise log-likelihood has draws x rows numbers, often many times the draws themselves, so
# a saved fit leaves it out and a loaded one computes it again
_DERIVED_GROUPS = ("log_likelihood",)


def save_fit(fit, path: str | Path) -> Path:
    """Write ``fit`` to the directory ``path`` (created if needed); return the path."""
    path = check_writable(path)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "multilevel_version": version("multilevel"),
        "formula": fit.formula,
        "dpars": [[name, part.text] for name, part in fit.design.user_spec.nlpars
                  + fit.design.user_spec.dpars],
        "nl": fit.design.spec.nonlinear is not None,
        "fixed": [[name, value] for name, value in fit.design.spec.fixed_dpars],
        "center": fit.design.user_spec.center,
        "family": family_record(fit.family),
        "priors": priors_to_json(fit.user_priors),
        "settings": asdict(fit.settings),
        "seed": fit.seed,
        "sample_prior": fit.sample_prior,
        "data_name": fit.data_name,
        "names": asdict(fit.names),
        "fingerprint": fit.fingerprint,
        "data": frame_to_json(fit.design.model_frame(rebuild=True)),
        "imputations": fit.imputations,
    }
    if fit.design.data2:
        metadata["data2"] = {name: frame_to_json(matrix)
                             for name, matrix in fit.design.data2.items()}
    if fit.criteria:
        metadata["criteria"] = _criteria_to_json(fit.criteria)
    temporary = path / (DRAWS_FILE + ".tmp")
    fit.idata.to_netcdf(str(temporary), groups=[group for group in fit.idata.groups()
                                                 if group not in _DERIVED_GROUPS])
    temporary.replace(path / DRAWS_FILE)
    metadata["content_hash"] = _content_hash(metadata, path / DRAWS_FILE)
    (path / METADATA_FILE).write_text(json.dumps(metadata))
    return path


def read_fingerprint(path: str | Path) -> str | None:
    """The fingerprint of a saved fit, or None when ``path`` holds no readable fit."""
    metadata_path = Path(path) / METADATA_FILE
    if not metadata_path.is_file() or not (Path(path) / DRAWS_FILE).is_file():
        return None
    try:
        metadata = json.loads(metadata_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return metadata.get("fingerprint") if isinstance(metadata, dict) else None


def _read_metadata(path: Path) -> dict:
    metadata_path = path / METADATA_FILE
    if not metadata_path.is_file() or not (path / DRAWS_FILE).is_file():
        raise StorageError(f"No saved fit at {str(path)!r}: expected {METADATA_FILE} and "
                           f"{DRAWS_FILE} in that directory (written by fit.save()).")
    try:
        metadata = json.loads(metadata_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise StorageError(f"{str(metadata_path)!r} is not valid JSON ({error}); the file is "
                           "truncated or damaged. Refit the model.") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise StorageError(f"{str(metadata_path)!r} is not a saved multilevel fit.")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise StorageError(
            f"{str(metadata_path)!r} has format version {metadata.get('format_version')!r}; "
            f"this version of multilevel reads version {FORMAT_VERSION} (fits saved with a "
            "content hash). Refit the model and save it again."
        )
    unknown = sorted(set(metadata) - set(METADATA_KEYS) - set(OPTIONAL_KEYS))
    missing = sorted(set(METADATA_KEYS) - set(metadata) - set(OPTIONAL_KEYS))
    if unknown or missing:
        raise StorageError(
            f"{str(metadata_path)!r} is not as fit.save() writes it: "
            + (f"unknown keys {', '.join(map(repr, unknown))}" if unknown else "")
            + ("; " if unknown and missing else "")
            + (f"missing keys {', '.join(map(repr, missing))}" if missing else "") + "."
        )
    if metadata["content_hash"] != _content_hash(metadata, path / DRAWS_FILE):
        raise StorageError(
            f"The fit saved at {str(path)!r} was changed after it was saved: its content hash "
            "does not match its formula, data, settings and draws. It is not loaded; refit "
            "the model."
        )
    return metadata


@dataclass(frozen=True)
class SavedFit:
    """A saved fit's parts, verified and rebuilt: the arguments of :class:`Fit`."""

    idata: az.InferenceData
    design: Design
    prior_table: PriorTable
    names: ModelNames
    settings: SamplerSettings
    seed: int
    data_name: str
    user_priors: tuple[Prior, ...]
    sample_prior: str
    fingerprint: str
    imputations: int = 1
    criteria: dict = field(default_factory=dict)


def read_saved_fit(path: str | Path) -> SavedFit:
    """Read the parts of a fit written by :meth:`Fit.save`, after verifying its content hash.

    Loading evaluates nothing but the closed formula language (``spec/evaluation.py``).

    Parameters
    ----------
    path
        The directory given to ``fit.save``.

    Returns
    -------
    SavedFit
        Equal to the saved fit's draws, data, formula, priors, family and settings.

    Raises
    ------
    StorageError
        When the directory holds no fit, or its files are damaged, malformed or were changed
        after saving.
    """
    path = Path(path)
    metadata = _read_metadata(path)
    step = "its data"
    try:
        data = frame_from_json(metadata["data"])
        step = "its priors"
        priors = priors_from_json(metadata["priors"])
        step = "its settings"
        settings = SamplerSettings(**metadata["settings"])
        records = dict(metadata["names"])
        # saved before a smooth's unpenalised columns were named apart from its sds (one
        # column then, named as the smooth)
        records.setdefault("smooth_fixed", records.get("smooths", ()))
        names = ModelNames(**{k: tuple(v) for k, v in records.items()})
        step = "its family"
        family = family_from_record(metadata["family"])
        step = "its formula and data"
        with warnings.catch_warnings():
            # the warnings about dropped rows, constant slopes or global priors were given
            # when it was fitted
            warnings.simplefilter("ignore")
            formula = BrmsFormula(metadata["formula"],
                                  tuple(map(tuple, metadata.get("dpars", []))),
                                  metadata.get("nl", False),
                                  tuple(map(tuple, metadata.get("fixed", []))),
                                  metadata.get("center", True))
            data2 = {name: frame_from_json(matrix)
                     for name, matrix in metadata.get("data2", {}).items()}
            design = build_design(parse_formula(formula), data, family, data2 or None)
            table = build_prior_table(design, list(priors) or None)
        step = "its criteria"
        criteria = _criteria_from_json(metadata.get("criteria", {}))
        step = DRAWS_FILE
        idata = az.from_netcdf(str(path / DRAWS_FILE))
        for group in idata.groups():
            idata[group].load()
    except (MultilevelError, KeyError, TypeError, ValueError, AttributeError, OSError) as error:
        raise StorageError(f"Cannot read {step} from the fit saved at {str(path)!r}: "
                           f"{error}") from None
    missing = sorted(set(names.stored) - set(idata.posterior.data_vars))
    # a value the family holds that an earlier version kept out of the draws (an ordinal
    # model's disc) is the constant column it would have been
    posterior = idata.posterior
    for name in [m for m in missing if m in design.fixed_aux]:
        posterior[name] = (("chain", "draw"), np.full(
            (posterior.sizes["chain"], posterior.sizes["draw"]), float(design.fixed_aux[name])))
    missing = [m for m in missing if m not in design.fixed_aux]
    if missing:
        raise StorageError(f"The draws saved at {str(path)!r} lack {', '.join(missing)}.")
    _check_coefficients(idata, design, path)
    return SavedFit(idata=idata, design=design, prior_table=table, names=names,
                    settings=settings, seed=metadata["seed"], data_name=metadata["data_name"],
                    user_priors=priors, sample_prior=metadata["sample_prior"],
                    fingerprint=metadata["fingerprint"],
                    imputations=int(metadata.get("imputations", 1)), criteria=criteria)


def _check_coefficients(idata: az.InferenceData, design: Design, path: Path) -> None:
    """Refuse draws whose coefficients are not the rebuilt design's, in order: a fit saved by
    a version that ordered or named the design's columns otherwise (before R's order of
    terms) would have its draws read under other coefficients' names."""
    expected = {population_names(dpar)[3]: part.b_names
                for dpar, part in [("", design), *design.parameter_parts.items()]}
    expected |= {group_dims(group)[1]: design.group_coefs(group) for group in design.groups}
    coords = idata.posterior.coords
    for dim, names in expected.items():
        if dim in coords and [str(v) for v in coords[dim].values] != list(names):
            raise StorageError(
                f"The fit saved at {str(path)!r} has the coefficients "
                f"{', '.join(map(str, coords[dim].values))}, but its formula now gives "
                f"{', '.join(names)} (this version writes the terms in R's order, as brms); "
                "fit the model again.")

