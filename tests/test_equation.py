"""Model equations in Gelman & Hill's and Raudenbush & Bryk's notations.

Each model's equations are written out by hand below and compared line by line; every line
of every model, priors included, is drawn by matplotlib's mathtext, which fails on anything it
cannot parse.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.mathtext import MathTextParser

import multilevel as ml
from multilevel.errors import SettingsError
from reference import FAMILY_REFERENCE_DIR

# lays the line out and rasterises it with Agg, raising on anything mathtext cannot parse
AGG = MathTextParser("agg")


def render(line: str) -> None:
    drawn = AGG.parse(f"${line}$", dpi=72)
    assert drawn.width > 0 and drawn.height > 0


def lines(equation) -> list[str]:
    return [line.latex for line in equation.lines]


def for_group(name: str, letter: str, count: int) -> str:
    return rf"\text{{, for }}\mathrm{{{name}}}\ {letter} = 1, \ldots, {count}"


SUBJECT = for_group("Subject", "j", 18)
SCHOOL = for_group("school", "j", 160)
E_IJ = r"e_{ij} \sim \mathrm{N}(0, \sigma^{2})"
E_IJK = r"e_{ijk} \sim \mathrm{N}(0, \sigma^{2})"
LEVEL_1, LEVEL_2, LEVEL_3 = (rf"\text{{Level {n}}}" for n in (1, 2, 3))
SIGMA_2X2 = (r"\Sigma = \left(\substack{\sigma_{\alpha}^{2} \\ "
             r"\rho_{\alpha\beta_{1}}\sigma_{\alpha}\sigma_{\beta_{1}}} \quad "
             r"\substack{\rho_{\alpha\beta_{1}}\sigma_{\alpha}\sigma_{\beta_{1}} \\ "
             r"\sigma_{\beta_{1}}^{2}}\right)")
T_2X2 = (r"\mathbf{T} = \left(\substack{\tau_{0}^{2} \\ \rho_{01}\tau_{0}\tau_{1}} \quad "
         r"\substack{\rho_{01}\tau_{0}\tau_{1} \\ \tau_{1}^{2}}\right)")


# --- data ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def classroom():
    data = ml.load_dataset("classroom")
    # the class's number within its school, as the nesting tutorial uses it
    return data.assign(classnum=data.groupby("schoolid")["classid"].rank(method="dense")
                       .astype(int))


@pytest.fixture(scope="module")
def rts():
    """Reaction times of subjects to items, crossed, as in the crossed-groups tutorial: the
    condition is a property of the item."""
    rng = np.random.default_rng(3)
    subjects = [f"S{s:02d}" for s in range(1, 13)]
    items = [f"W{i:02d}" for i in range(1, 9)]
    data = pd.DataFrame([(s, i) for s in subjects for i in items], columns=["subject", "item"])
    data["condition"] = np.where(data["item"] < "W05", "related", "unrelated")
    data["rt"] = 600 + 40 * (data["condition"] == "unrelated") + rng.normal(0, 50, len(data))
    return data


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(1)
    n = 120
    data = pd.DataFrame({"g": rng.integers(0, 6, n).astype(str), "x": rng.normal(size=n)})
    data["z"] = (data["x"] + rng.normal(size=n) > 0).astype(int)
    data["mode"] = np.array(["bus", "car", "walk"])[rng.integers(0, 3, n)]
    data["sei"] = rng.uniform(0.1, 0.5, n)
    data["grade"] = rng.integers(1, 4, n)
    return data


@pytest.fixture(scope="module")
def datasets(sleepstudy, hsb, classroom, rts, simulated):
    return {"sleepstudy": sleepstudy, "hsb": hsb, "classroom": classroom, "rts": rts,
            "simulated": simulated, **{name: ml.load_dataset(name)
                                       for name in ("rats", "inhaler", "salamanders")},
            "decay": pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "nonlinear.csv"),
            "trial": pd.read_csv(FAMILY_REFERENCE_DIR / "data" / "grouped_by.csv")}


# --- the models, written out by hand -----------------------------------------------------------

CASES = {
    "random intercepts (sleepstudy)": (
        "Reaction ~ 1 + (1 | Subject)", "sleepstudy", "gaussian", {
            "gh": [r"\mathrm{Reaction}_{i} \sim \mathrm{N}(\alpha_{j[i]}, \sigma^{2})",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})" + SUBJECT],
            "rb": [LEVEL_1,
                   r"\mathrm{Reaction}_{ij} = \beta_{0j} + e_{ij}",
                   E_IJ,
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + u_{0j}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + SUBJECT],
            "rb expanded": [r"\mathrm{Reaction}_{ij} = \gamma_{00} + u_{0j} + e_{ij}",
                            E_IJ,
                            r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + SUBJECT],
        }),
    "random intercepts (hsb tutorial)": (
        "mathach ~ 1 + (1 | school)", "hsb", "gaussian", {
            "gh": [r"\mathrm{mathach}_{i} \sim \mathrm{N}(\alpha_{j[i]}, \sigma^{2})",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})" + SCHOOL],
            "rb": [LEVEL_1,
                   r"\mathrm{mathach}_{ij} = \beta_{0j} + e_{ij}",
                   E_IJ,
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + u_{0j}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + SCHOOL],
        }),
    "correlated slopes": (
        "Reaction ~ Days + (Days | Subject)", "sleepstudy", "gaussian", {
            "gh": [r"\mathrm{Reaction}_{i} \sim \mathrm{N}(\alpha_{j[i]} + "
                   r"\beta_{1j[i]}\,\mathrm{Days}_{i}, \sigma^{2})",
                   r"(\alpha_{j}, \beta_{1j})^{\top} \sim \mathrm{MVN}((\mu_{\alpha}, "
                   r"\mu_{\beta_{1}})^{\top}, \Sigma)" + SUBJECT,
                   SIGMA_2X2],
            "rb": [LEVEL_1,
                   r"\mathrm{Reaction}_{ij} = \beta_{0j} + \beta_{1j}\,\mathrm{Days}_{ij} + e_{ij}",
                   E_IJ,
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + u_{0j}",
                   r"\beta_{1j} = \gamma_{10} + u_{1j}",
                   r"(u_{0j}, u_{1j})^{\top} \sim \mathrm{MVN}(\mathbf{0}, \mathbf{T})" + SUBJECT,
                   T_2X2],
            "rb expanded": [r"\mathrm{Reaction}_{ij} = \gamma_{00} + "
                            r"\gamma_{10}\,\mathrm{Days}_{ij} + u_{0j} + "
                            r"u_{1j}\,\mathrm{Days}_{ij} + e_{ij}",
                            E_IJ,
                            r"(u_{0j}, u_{1j})^{\top} \sim \mathrm{MVN}(\mathbf{0}, \mathbf{T})"
                            + SUBJECT,
                            T_2X2],
        }),
    "uncorrelated slopes": (
        "Reaction ~ Days + (Days || Subject)", "sleepstudy", "gaussian", {
            "gh": [r"\mathrm{Reaction}_{i} \sim \mathrm{N}(\alpha_{j[i]} + "
                   r"\beta_{1j[i]}\,\mathrm{Days}_{i}, \sigma^{2})",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})" + SUBJECT,
                   r"\beta_{1j} \sim \mathrm{N}(\mu_{\beta_{1}}, \sigma_{\beta_{1}}^{2})"
                   + SUBJECT],
            "rb": [LEVEL_1,
                   r"\mathrm{Reaction}_{ij} = \beta_{0j} + \beta_{1j}\,\mathrm{Days}_{ij} + e_{ij}",
                   E_IJ,
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + u_{0j}",
                   r"\beta_{1j} = \gamma_{10} + u_{1j}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + SUBJECT,
                   r"u_{1j} \sim \mathrm{N}(0, \tau_{1}^{2})" + SUBJECT],
        }),
    # meanses and sector are constant within schools: school-level predictors; meanses:ses is
    # a cross-level interaction, meanses predicting the slope of ses
    "school-level predictors and a cross-level interaction (hsb)": (
        "mathach ~ meanses * ses + sector + (ses | school)", "hsb", "gaussian", {
            "gh": [r"\mathrm{mathach}_{i} \sim \mathrm{N}(\alpha_{j[i]} + "
                   r"\beta_{1j[i]}\,\mathrm{ses}_{i}, \sigma^{2})",
                   r"(\alpha_{j}, \beta_{1j})^{\top} \sim \mathrm{MVN}((\gamma^{\alpha}_{0} + "
                   r"\gamma^{\alpha}_{1}\,\mathrm{meanses}_{j} + "
                   r"\gamma^{\alpha}_{2}\,\mathrm{sectorPublic}_{j}, \gamma^{\beta_{1}}_{0} + "
                   r"\gamma^{\beta_{1}}_{1}\,\mathrm{meanses}_{j})^{\top}, \Sigma)" + SCHOOL,
                   SIGMA_2X2],
            "rb": [LEVEL_1,
                   r"\mathrm{mathach}_{ij} = \beta_{0j} + \beta_{1j}\,\mathrm{ses}_{ij} + e_{ij}",
                   E_IJ,
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + \gamma_{01}\,\mathrm{meanses}_{j} + "
                   r"\gamma_{02}\,\mathrm{sectorPublic}_{j} + u_{0j}",
                   r"\beta_{1j} = \gamma_{10} + \gamma_{11}\,\mathrm{meanses}_{j} + u_{1j}",
                   r"(u_{0j}, u_{1j})^{\top} \sim \mathrm{MVN}(\mathbf{0}, \mathbf{T})" + SCHOOL,
                   T_2X2],
            "rb expanded": [r"\mathrm{mathach}_{ij} = \gamma_{00} + "
                            r"\gamma_{01}\,\mathrm{meanses}_{j} + "
                            r"\gamma_{02}\,\mathrm{sectorPublic}_{j} + "
                            r"\gamma_{10}\,\mathrm{ses}_{ij} + "
                            r"\gamma_{11}\,\mathrm{meanses}_{j}\,\mathrm{ses}_{ij} + u_{0j} + "
                            r"u_{1j}\,\mathrm{ses}_{ij} + e_{ij}",
                            E_IJ,
                            r"(u_{0j}, u_{1j})^{\top} \sim \mathrm{MVN}(\mathbf{0}, \mathbf{T})"
                            + SCHOOL,
                            T_2X2],
        }),
    "three levels: pupils in classes in schools": (
        "mathgain ~ mathkind + ses + (1 | schoolid/classid)", "classroom", "gaussian", {
            "gh": [r"\mathrm{mathgain}_{i} \sim \mathrm{N}(\alpha_{j[i]} + "
                   r"\beta_{1}\,\mathrm{mathkind}_{i} + \beta_{2}\,\mathrm{ses}_{i}, \sigma^{2})",
                   r"\alpha_{j} \sim \mathrm{N}(\alpha_{k[j]}, \sigma_{\alpha_{j}}^{2})"
                   + for_group("schoolid{:}classid", "j", 312),
                   r"\alpha_{k} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha_{k}}^{2})"
                   + for_group("schoolid", "k", 107)],
            "rb": [LEVEL_1,
                   r"\mathrm{mathgain}_{ijk} = \pi_{0jk} + \pi_{1jk}\,\mathrm{mathkind}_{ijk} + "
                   r"\pi_{2jk}\,\mathrm{ses}_{ijk} + e_{ijk}",
                   E_IJK,
                   LEVEL_2,
                   r"\pi_{0jk} = \beta_{00k} + r_{0jk}",
                   r"\pi_{1jk} = \beta_{10k}",
                   r"\pi_{2jk} = \beta_{20k}",
                   r"r_{0jk} \sim \mathrm{N}(0, \tau_{r0}^{2})"
                   + for_group("schoolid{:}classid", "j", 312),
                   LEVEL_3,
                   r"\beta_{00k} = \gamma_{000} + u_{00k}",
                   r"\beta_{10k} = \gamma_{100}",
                   r"\beta_{20k} = \gamma_{200}",
                   r"u_{00k} \sim \mathrm{N}(0, \tau_{u00}^{2})" + for_group("schoolid", "k", 107)],
            "rb expanded": [r"\mathrm{mathgain}_{ijk} = \gamma_{000} + "
                            r"\gamma_{100}\,\mathrm{mathkind}_{ijk} + "
                            r"\gamma_{200}\,\mathrm{ses}_{ijk} + r_{0jk} + u_{00k} + e_{ijk}",
                            E_IJK,
                            r"r_{0jk} \sim \mathrm{N}(0, \tau_{r0}^{2})"
                            + for_group("schoolid{:}classid", "j", 312),
                            r"u_{00k} \sim \mathrm{N}(0, \tau_{u00}^{2})"
                            + for_group("schoolid", "k", 107)],
        }),
    # yearstea is constant within classes (level 2), housepov within schools (level 3)
    "three levels with class and school predictors": (
        "mathgain ~ mathkind + yearstea + housepov + mathkind:housepov + (1 | schoolid/classid)",
        "classroom", "gaussian", {
            "gh": [r"\mathrm{mathgain}_{i} \sim \mathrm{N}(\alpha_{j[i]} + "
                   r"\beta_{1}\,\mathrm{mathkind}_{i} + "
                   r"\beta_{2}\,\mathrm{mathkind}_{i}\,\mathrm{housepov}_{k[i]}, \sigma^{2})",
                   r"\alpha_{j} \sim \mathrm{N}(\alpha_{k[j]} + "
                   r"\gamma^{\alpha}_{1}\,\mathrm{yearstea}_{j}, \sigma_{\alpha_{j}}^{2})"
                   + for_group("schoolid{:}classid", "j", 312),
                   r"\alpha_{k} \sim \mathrm{N}(\gamma^{\alpha}_{0} + "
                   r"\gamma^{\alpha}_{2}\,\mathrm{housepov}_{k}, \sigma_{\alpha_{k}}^{2})"
                   + for_group("schoolid", "k", 107)],
            "rb": [LEVEL_1,
                   r"\mathrm{mathgain}_{ijk} = \pi_{0jk} + \pi_{1jk}\,\mathrm{mathkind}_{ijk} + "
                   r"e_{ijk}",
                   E_IJK,
                   LEVEL_2,
                   r"\pi_{0jk} = \beta_{00k} + \beta_{01k}\,\mathrm{yearstea}_{jk} + r_{0jk}",
                   r"\pi_{1jk} = \beta_{10k}",
                   r"r_{0jk} \sim \mathrm{N}(0, \tau_{r0}^{2})"
                   + for_group("schoolid{:}classid", "j", 312),
                   LEVEL_3,
                   r"\beta_{00k} = \gamma_{000} + \gamma_{001}\,\mathrm{housepov}_{k} + u_{00k}",
                   r"\beta_{01k} = \gamma_{010}",
                   r"\beta_{10k} = \gamma_{100} + \gamma_{101}\,\mathrm{housepov}_{k}",
                   r"u_{00k} \sim \mathrm{N}(0, \tau_{u00}^{2})" + for_group("schoolid", "k", 107)],
        }),
    "nested groups (tutorial)": (
        "mathgain ~ 1 + (1 | schoolid/classnum)", "classroom", "gaussian", {
            "gh": [r"\mathrm{mathgain}_{i} \sim \mathrm{N}(\alpha_{j[i]}, \sigma^{2})",
                   r"\alpha_{j} \sim \mathrm{N}(\alpha_{k[j]}, \sigma_{\alpha_{j}}^{2})"
                   + for_group("schoolid{:}classnum", "j", 312),
                   r"\alpha_{k} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha_{k}}^{2})"
                   + for_group("schoolid", "k", 107)],
        }),
    # class numbers restart in every school, so (1 | classnum) crosses schools
    "crossed by mistake (tutorial)": (
        "mathgain ~ 1 + (1 | schoolid) + (1 | classnum)", "classroom", "gaussian", {
            "gh": [r"\mathrm{mathgain}_{i} \sim \mathrm{N}(\beta_{0} + \beta_{0j[i]} + "
                   r"\beta_{0k[i]}, \sigma^{2})",
                   r"\beta_{0j} \sim \mathrm{N}(0, \sigma_{\beta_{0j}}^{2})"
                   + for_group("schoolid", "j", 107),
                   r"\beta_{0k} \sim \mathrm{N}(0, \sigma_{\beta_{0k}}^{2})"
                   + for_group("classnum", "k", 9)],
            "rb": [LEVEL_1,
                   r"\mathrm{mathgain}_{ijk} = \beta_{0jk} + e_{ijk}",
                   E_IJK,
                   LEVEL_2,
                   r"\beta_{0jk} = \gamma_{00} + u_{0j} + v_{0k}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{u0}^{2})" + for_group("schoolid", "j", 107),
                   r"v_{0k} \sim \mathrm{N}(0, \tau_{v0}^{2})" + for_group("classnum", "k", 9)],
        }),
    "crossed subjects and items": (
        "rt ~ condition + (1 | subject) + (1 | item)", "rts", "gaussian", {
            "gh": [r"\mathrm{rt}_{i} \sim \mathrm{N}(\beta_{0} + \beta_{0j[i]} + \beta_{0k[i]} + "
                   r"\beta_{1}\,\mathrm{conditionunrelated}_{k[i]}, \sigma^{2})",
                   r"\beta_{0j} \sim \mathrm{N}(0, \sigma_{\beta_{0j}}^{2})"
                   + for_group("subject", "j", 12),
                   r"\beta_{0k} \sim \mathrm{N}(0, \sigma_{\beta_{0k}}^{2})"
                   + for_group("item", "k", 8)],
            "rb": [LEVEL_1,
                   r"\mathrm{rt}_{ijk} = \beta_{0jk} + e_{ijk}",
                   E_IJK,
                   LEVEL_2,
                   r"\beta_{0jk} = \gamma_{00} + \gamma_{01}\,\mathrm{conditionunrelated}_{k} + "
                   r"u_{0j} + v_{0k}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{u0}^{2})" + for_group("subject", "j", 12),
                   r"v_{0k} \sim \mathrm{N}(0, \tau_{v0}^{2})" + for_group("item", "k", 8)],
            "rb expanded": [r"\mathrm{rt}_{ijk} = \gamma_{00} + "
                            r"\gamma_{01}\,\mathrm{conditionunrelated}_{k} + u_{0j} + v_{0k} + "
                            r"e_{ijk}",
                            E_IJK,
                            r"u_{0j} \sim \mathrm{N}(0, \tau_{u0}^{2})"
                            + for_group("subject", "j", 12),
                            r"v_{0k} \sim \mathrm{N}(0, \tau_{v0}^{2})"
                            + for_group("item", "k", 8)],
        }),
    "binomial with trials (rats)": (
        "m | trials(n) ~ 1 + (1 | batch)", "rats", "binomial", {
            "gh": [r"\mathrm{m}_{i} \sim \mathrm{Binomial}(\mathrm{n}_{i}, p_{i})",
                   r"\operatorname{logit}(p_{i}) = \alpha_{j[i]}",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})"
                   + for_group("batch", "j", 71)],
            "rb": [LEVEL_1,
                   r"\mathrm{m}_{ij} \sim \mathrm{Binomial}(\mathrm{n}_{ij}, p_{ij})",
                   r"\operatorname{logit}(p_{ij}) = \beta_{0j}",
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + u_{0j}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + for_group("batch", "j", 71)],
            "rb expanded": [r"\mathrm{m}_{ij} \sim \mathrm{Binomial}(\mathrm{n}_{ij}, p_{ij})",
                            r"\operatorname{logit}(p_{ij}) = \gamma_{00} + u_{0j}",
                            r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})"
                            + for_group("batch", "j", 71)],
        }),
    "bernoulli": (
        "z ~ x + (1 | g)", "simulated", "bernoulli", {
            "gh": [r"\mathrm{z}_{i} \sim \mathrm{Bernoulli}(p_{i})",
                   r"\operatorname{logit}(p_{i}) = \alpha_{j[i]} + \beta_{1}\,\mathrm{x}_{i}",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})"
                   + for_group("g", "j", 6)],
            "rb": [LEVEL_1,
                   r"\mathrm{z}_{ij} \sim \mathrm{Bernoulli}(p_{ij})",
                   r"\operatorname{logit}(p_{ij}) = \beta_{0j} + \beta_{1j}\,\mathrm{x}_{ij}",
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + u_{0j}",
                   r"\beta_{1j} = \gamma_{10}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + for_group("g", "j", 6)],
        }),
    # thresholds take the intercept's place, so the subjects' intercepts have mean zero
    "cumulative (inhaler)": (
        "rating ~ treat + period + carry + (1 | subject)", "inhaler", "cumulative", {
            "gh": [r"\operatorname{logit}(\Pr(\mathrm{rating}_{i} \leq c)) = \theta_{c} - \eta_{i}"
                   r"\text{, for } c = 1, \ldots, 3",
                   r"\eta_{i} = \alpha_{j[i]} + \beta_{1}\,\mathrm{treat}_{i} + "
                   r"\beta_{2}\,\mathrm{period}_{i} + \beta_{3}\,\mathrm{carry}_{i}",
                   r"\alpha_{j} \sim \mathrm{N}(0, \sigma_{\alpha}^{2})"
                   + for_group("subject", "j", 286)],
            "rb": [LEVEL_1,
                   r"\operatorname{logit}(\Pr(\mathrm{rating}_{ij} \leq c)) = "
                   r"\theta_{c} - \eta_{ij}\text{, for } c = 1, \ldots, 3",
                   r"\eta_{ij} = \beta_{0j} + \beta_{1j}\,\mathrm{treat}_{ij} + "
                   r"\beta_{2j}\,\mathrm{period}_{ij} + \beta_{3j}\,\mathrm{carry}_{ij}",
                   LEVEL_2,
                   r"\beta_{0j} = u_{0j}",
                   r"\beta_{1j} = \gamma_{10}",
                   r"\beta_{2j} = \gamma_{20}",
                   r"\beta_{3j} = \gamma_{30}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + for_group("subject", "j", 286)],
        }),
    "distributional: sigma predicted": (
        ml.bf("Reaction ~ Days + (Days | Subject)", sigma="~ Days"), "sleepstudy", "gaussian", {
            "gh": [r"\mathrm{Reaction}_{i} \sim \mathrm{N}(\alpha_{j[i]} + "
                   r"\beta_{1j[i]}\,\mathrm{Days}_{i}, \sigma_{i}^{2})",
                   r"\log(\sigma_{i}) = \alpha^{\sigma} + \beta^{\sigma}_{1}\,\mathrm{Days}_{i}",
                   r"(\alpha_{j}, \beta_{1j})^{\top} \sim \mathrm{MVN}((\mu_{\alpha}, "
                   r"\mu_{\beta_{1}})^{\top}, \Sigma)" + SUBJECT,
                   SIGMA_2X2],
            "rb expanded": [r"\mathrm{Reaction}_{ij} \sim \mathrm{N}(\mu_{ij}, \sigma_{ij}^{2})",
                            r"\mu_{ij} = \gamma_{00} + \gamma_{10}\,\mathrm{Days}_{ij} + u_{0j} + "
                            r"u_{1j}\,\mathrm{Days}_{ij}",
                            r"\log(\sigma_{ij}) = \gamma^{\sigma}_{00} + "
                            r"\gamma^{\sigma}_{10}\,\mathrm{Days}_{ij}",
                            r"(u_{0j}, u_{1j})^{\top} \sim \mathrm{MVN}(\mathbf{0}, \mathbf{T})"
                            + SUBJECT,
                            T_2X2],
        }),
    # mined is a property of the site
    "poisson (salamanders)": (
        "count ~ mined + (1 | site)", "salamanders", "poisson", {
            "gh": [r"\mathrm{count}_{i} \sim \mathrm{Poisson}(\lambda_{i})",
                   r"\log(\lambda_{i}) = \alpha_{j[i]}",
                   r"\alpha_{j} \sim \mathrm{N}(\gamma^{\alpha}_{0} + "
                   r"\gamma^{\alpha}_{1}\,\mathrm{minedyes}_{j}, \sigma_{\alpha}^{2})"
                   + for_group("site", "j", 23)],
            "rb": [LEVEL_1,
                   r"\mathrm{count}_{ij} \sim \mathrm{Poisson}(\lambda_{ij})",
                   r"\log(\lambda_{ij}) = \beta_{0j}",
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + \gamma_{01}\,\mathrm{minedyes}_{j} + u_{0j}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + for_group("site", "j", 23)],
        }),
    "categorical": (
        "mode ~ x + (1 | g)", "simulated", "categorical", {
            "gh": [r"\mathrm{mode}_{i} \sim \mathrm{Categorical}(\operatorname{softmax}(0, "
                   r"\mu_{\mathrm{car},i}, \mu_{\mathrm{walk},i}))",
                   r"\mu_{\mathrm{car},i} = \alpha^{\mu_{\mathrm{car}}}_{j[i]} + "
                   r"\beta^{\mu_{\mathrm{car}}}_{1}\,\mathrm{x}_{i}",
                   r"\mu_{\mathrm{walk},i} = \alpha^{\mu_{\mathrm{walk}}}_{j[i]} + "
                   r"\beta^{\mu_{\mathrm{walk}}}_{1}\,\mathrm{x}_{i}",
                   r"\alpha^{\mu_{\mathrm{car}}}_{j} \sim "
                   r"\mathrm{N}(\mu_{\alpha^{\mu_{\mathrm{car}}}}, "
                   r"\sigma_{\alpha^{\mu_{\mathrm{car}}}}^{2})" + for_group("g", "j", 6),
                   r"\alpha^{\mu_{\mathrm{walk}}}_{j} \sim "
                   r"\mathrm{N}(\mu_{\alpha^{\mu_{\mathrm{walk}}}}, "
                   r"\sigma_{\alpha^{\mu_{\mathrm{walk}}}}^{2})" + for_group("g", "j", 6)],
        }),
    "known standard errors": (
        "x | se(sei) ~ 1 + (1 | g)", "simulated", "gaussian", {
            "gh": [r"\mathrm{x}_{i} \sim \mathrm{N}(\alpha_{j[i]}, \mathrm{sei}_{i}^{2})",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})"
                   + for_group("g", "j", 6)],
            "rb": [LEVEL_1,
                   r"\mathrm{x}_{ij} = \beta_{0j} + e_{ij}",
                   r"e_{ij} \sim \mathrm{N}(0, \mathrm{sei}_{ij}^{2})",
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + u_{0j}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + for_group("g", "j", 6)],
        }),
    "monotonic effect": (
        "x ~ mo(grade) + (1 | g)", "simulated", "gaussian", {
            "gh": [r"\mathrm{x}_{i} \sim \mathrm{N}(\alpha_{j[i]} + \beta_{\mathrm{mo}}\,"
                   r"\operatorname{mo}(\mathrm{grade}_{i}), \sigma^{2})",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})"
                   + for_group("g", "j", 6),
                   r"\operatorname{mo}(\mathrm{grade}_{i}) = 2 \sum_{k=1}^{\mathrm{grade}_{i}} "
                   r"\zeta_{k}\text{, grade counted 0, 1, \ldots, 2; }\zeta \text{ a simplex}"],
            "rb": [LEVEL_1,
                   r"\mathrm{x}_{ij} = \beta_{0j} + \beta_{\mathrm{mo}}\,"
                   r"\operatorname{mo}(\mathrm{grade}_{ij}) + e_{ij}",
                   E_IJ,
                   r"\operatorname{mo}(\mathrm{grade}_{ij}) = 2 \sum_{k=1}^{\mathrm{grade}_{ij}} "
                   r"\zeta_{k}\text{, grade counted 0, 1, \ldots, 2; }\zeta \text{ a simplex}",
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + u_{0j}",
                   r"u_{0j} \sim \mathrm{N}(0, \tau_{0}^{2})" + for_group("g", "j", 6)],
        }),
    "known standard errors and a residual sd": (
        "x | se(sei, sigma = TRUE) ~ 1 + (1 | g)", "simulated", "gaussian", {
            "gh": [r"\mathrm{x}_{i} \sim \mathrm{N}(\alpha_{j[i]}, {\sigma^{*}_{i}}^{2})",
                   r"{\sigma^{*}_{i}}^{2} = \sigma^{2} + \mathrm{sei}_{i}^{2}",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})"
                   + for_group("g", "j", 6)],
        }),
    "a non-linear formula": (
        ml.bf("y ~ b1 * exp(b2 * x)", "b1 ~ 1 + z + (1 | g)", "b2 ~ 1", nl=True), "decay",
        "gaussian", {
            "gh": [r"\mathrm{y}_{i} \sim \mathrm{N}(\mathrm{b1}_{i} \cdot \exp(\mathrm{b2}_{i} "
                   r"\cdot \mathrm{x}_{i}), \sigma^{2})",
                   r"\mathrm{b1}_{i} = \alpha^{\mathrm{b1}}_{j[i]} + \beta^{\mathrm{b1}}_{1}\,"
                   r"\mathrm{z}_{i}",
                   r"\mathrm{b2}_{i} = \alpha^{\mathrm{b2}}",
                   r"\alpha^{\mathrm{b1}}_{j} \sim \mathrm{N}(\mu_{\alpha^{\mathrm{b1}}}, "
                   r"\sigma_{\alpha^{\mathrm{b1}}}^{2})" + for_group("g", "j", 12)],
            "rb": [LEVEL_1,
                   r"\mathrm{y}_{ij} = \mathrm{b1}_{ij} \cdot \exp(\mathrm{b2}_{ij} \cdot "
                   r"\mathrm{x}_{ij}) + e_{ij}",
                   E_IJ,
                   r"\mathrm{b1}_{ij} = \beta^{\mathrm{b1}}_{0j} + \beta^{\mathrm{b1}}_{1j}\,"
                   r"\mathrm{z}_{ij}",
                   r"\mathrm{b2}_{ij} = \beta^{\mathrm{b2}}_{0j}",
                   LEVEL_2,
                   r"\beta^{\mathrm{b1}}_{0j} = \gamma^{\mathrm{b1}}_{00} + u^{\mathrm{b1}}_{0j}",
                   r"\beta^{\mathrm{b1}}_{1j} = \gamma^{\mathrm{b1}}_{10}",
                   r"\beta^{\mathrm{b2}}_{0j} = \gamma^{\mathrm{b2}}_{00}",
                   r"u^{\mathrm{b1}}_{0j} \sim \mathrm{N}(0, (\tau^{\mathrm{b1}}_{0})^{2})"
                   + for_group("g", "j", 12)],
        }),
    "sds by trial arm": (
        "y ~ arm + x + (1 + x | gr(g, by = arm))", "trial", "gaussian", {
            "gh": [r"\mathrm{y}_{i} \sim \mathrm{N}(\alpha_{j[i]} + \beta_{1j[i]}\,\mathrm{x}_{i}, "
                   r"\sigma^{2})",
                   r"(\alpha_{j}, \beta_{1j})^{\top} \sim \mathrm{MVN}((\gamma^{\alpha}_{0} + "
                   r"\gamma^{\alpha}_{1}\,\mathrm{armtreated}_{j}, \mu_{\beta_{1}})^{\top}, "
                   r"\Sigma_{\mathrm{arm}[j]})" + for_group("g", "j", 24)
                   + r"\text{, with sds by }\mathrm{arm}",
                   r"\Sigma_{\mathrm{arm}[j]} = \left(\substack{"
                   r"\sigma_{\alpha,\mathrm{arm}[j]}^{2} \\ \rho_{\alpha\beta_{1},\mathrm{arm}[j]}"
                   r"\sigma_{\alpha,\mathrm{arm}[j]}"
                   r"\sigma_{\beta_{1},\mathrm{arm}[j]}} \quad \substack{\rho_{\alpha\beta_{1},"
                   r"\mathrm{arm}[j]}\sigma_{\alpha,\mathrm{arm}[j]}\sigma_{\beta_{1},\mathrm{arm}[j]}"
                   r" \\ \sigma_{\beta_{1},\mathrm{arm}[j]}^{2}}\right)"],
            "rb": [LEVEL_1,
                   r"\mathrm{y}_{ij} = \beta_{0j} + \beta_{1j}\,\mathrm{x}_{ij} + e_{ij}",
                   E_IJ,
                   LEVEL_2,
                   r"\beta_{0j} = \gamma_{00} + \gamma_{01}\,\mathrm{armtreated}_{j} + u_{0j}",
                   r"\beta_{1j} = \gamma_{10} + u_{1j}",
                   r"(u_{0j}, u_{1j})^{\top} \sim \mathrm{MVN}(\mathbf{0}, "
                   r"\mathbf{T}_{\mathrm{arm}[j]})" + for_group("g", "j", 24)
                   + r"\text{, with sds by }\mathrm{arm}",
                   r"\mathbf{T}_{\mathrm{arm}[j]} = \left(\substack{\tau_{0,\mathrm{arm}[j]}^{2} "
                   r"\\ \rho_{01,\mathrm{arm}[j]}\tau_{0,\mathrm{arm}[j]}\tau_{1,\mathrm{arm}[j]}} "
                   r"\quad \substack{\rho_{01,\mathrm{arm}[j]}\tau_{0,\mathrm{arm}[j]}"
                   r"\tau_{1,\mathrm{arm}[j]} \\ \tau_{1,\mathrm{arm}[j]}^{2}}\right)"],
        }),
    "autoregressive residuals": (
        "Reaction ~ Days + (1 | Subject) + ar(time = Days, gr = Subject)", "sleepstudy",
        "gaussian", {
            "gh": [r"\mathrm{Reaction}_{i} \sim \mathrm{N}(\mu_{i}, \sigma^{2})",
                   r"\mu_{i} = \eta_{i} + \phi_{1}(\mathrm{Reaction}_{i-1} - \eta_{i-1})"
                   r"\text{, within each }\mathrm{Subject}",
                   r"\eta_{i} = \alpha_{j[i]} + \beta_{1}\,\mathrm{Days}_{i}",
                   r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})" + SUBJECT],
        }),
}

VARIANTS = {"gh": ("gh", False), "rb": ("rb", False), "rb expanded": ("rb", True)}
PARAMETERS = [pytest.param(name, variant, id=f"{name} [{variant}]")
              for name, (_, _, _, expected) in CASES.items() for variant in expected]


@pytest.mark.parametrize(("name", "variant"), PARAMETERS)
def test_equations_match_those_written_by_hand(datasets, name, variant):
    formula, data, family, expected = CASES[name]
    notation, expand = VARIANTS[variant]
    equation = ml.equation(formula, datasets[data], family=family, notation=notation,
                           expand=expand)
    assert lines(equation) == expected[variant]


def test_every_line_of_every_model_renders(datasets):
    """matplotlib's mathtext draws every line, priors included, in every notation."""
    drawn = set()
    for formula, data, family, _ in CASES.values():
        for notation, expand in VARIANTS.values():
            equation = ml.equation(formula, datasets[data], family=family, notation=notation,
                                   priors=True, expand=expand)
            drawn.update(lines(equation))
    for line in sorted(drawn):
        render(line)
    assert len(drawn) > 150


# --- priors ------------------------------------------------------------------------------------

MEANS = r"\text{, intercept at the predictors' means}"


def test_default_priors_in_both_notations(sleepstudy):
    formula = "Reaction ~ Days + (Days | Subject)"
    gh = ml.equation(formula, sleepstudy, priors=True)
    assert lines(gh)[3:] == [
        r"\text{Priors}",
        r"\mu_{\alpha} \sim \mathrm{Student}\text{-}t(3, 288.7, 59.3)" + MEANS,
        r"p(\mu_{\beta_{1}}) \propto 1",
        r"\sigma_{\alpha}, \sigma_{\beta_{1}} \sim \mathrm{Student}\text{-}t^{+}(3, 0, 59.3)",
        r"\mathrm{corr}(\Sigma) \sim \mathrm{LKJ}(1)",
        r"\sigma \sim \mathrm{Student}\text{-}t^{+}(3, 0, 59.3)",
    ]
    rb = ml.equation(formula, sleepstudy, notation="rb", priors=True)
    assert lines(rb)[8:] == [
        r"\text{Priors}",
        r"\gamma_{00} \sim \mathrm{Student}\text{-}t(3, 288.7, 59.3)" + MEANS,
        r"p(\gamma_{10}) \propto 1",
        r"\tau_{0}, \tau_{1} \sim \mathrm{Student}\text{-}t^{+}(3, 0, 59.3)",
        r"\mathrm{corr}(\mathbf{T}) \sim \mathrm{LKJ}(1)",
        r"\sigma \sim \mathrm{Student}\text{-}t^{+}(3, 0, 59.3)",
    ]


def test_an_intercept_coefficient_is_written_as_the_intercept_with_its_b_prior(sleepstudy):
    """brms's '0 + Intercept': the same equations, the intercept's prior brms's flat b prior
    (or the user's), without the note on centred predictors."""
    formula = "Reaction ~ 0 + Intercept + Days + (Days | Subject)"
    gh = ml.equation(formula, sleepstudy, priors=True)
    plain = ml.equation("Reaction ~ Days + (Days | Subject)", sleepstudy)
    assert lines(gh)[:3] == lines(plain)
    assert lines(gh)[4:6] == [r"p(\mu_{\alpha}) \propto 1", r"p(\mu_{\beta_{1}}) \propto 1"]
    normal = ml.prior("normal(250, 50)", class_="b", coef="Intercept")
    rb = ml.equation(formula, sleepstudy, notation="rb", priors=True, prior=normal)
    assert r"\gamma_{00} \sim \mathrm{N}(250, 50^{2})" in lines(rb)


def test_user_priors_are_written_as_set(sleepstudy):
    priors = [ml.prior("normal(0, 10)", class_="b", coef="Days"),
              ml.prior("exponential(1)", class_="sd", group="Subject", coef="Days"),
              ml.prior("lkj(2)", class_="cor"),
              ml.prior("cauchy(0, 5)", class_="sigma")]
    equation = ml.equation("Reaction ~ Days + (Days | Subject)", sleepstudy, prior=priors,
                           notation="rb", priors=True)
    # normal(0, 10) has standard deviation 10: variance 10^2, as in N(0, sigma^2)
    assert lines(equation)[8:] == [
        r"\text{Priors}",
        r"\gamma_{00} \sim \mathrm{Student}\text{-}t(3, 288.7, 59.3)" + MEANS,
        r"\gamma_{10} \sim \mathrm{N}(0, 10^{2})",
        r"\tau_{0} \sim \mathrm{Student}\text{-}t^{+}(3, 0, 59.3)",
        r"\tau_{1} \sim \mathrm{Exponential}(1)",
        r"\mathrm{corr}(\mathbf{T}) \sim \mathrm{LKJ}(2)",
        r"\sigma \sim \mathrm{Cauchy}^{+}(0, 5)",
    ]


def test_priors_of_thresholds_and_predicted_parameters(sleepstudy, datasets):
    ordinal = ml.equation("rating ~ treat + period + carry + (1 | subject)",
                          datasets["inhaler"], family="cumulative", priors=True)
    assert lines(ordinal)[3:] == [
        r"\text{Priors}",
        r"\theta_{1}, \theta_{2}, \theta_{3} \sim \mathrm{Student}\text{-}t(3, 0, 2.5)"
        r"\text{, thresholds at the predictors' means}",
        r"p(\beta_{1}, \beta_{2}, \beta_{3}) \propto 1",
        r"\sigma_{\alpha} \sim \mathrm{Student}\text{-}t^{+}(3, 0, 2.5)",
    ]
    formula = ml.bf("Reaction ~ Days + (1 | Subject)", sigma="~ Days")
    distributional = ml.equation(formula, sleepstudy, priors=True)
    assert lines(distributional)[3:] == [
        r"\text{Priors}",
        r"\mu_{\alpha} \sim \mathrm{Student}\text{-}t(3, 288.7, 59.3)" + MEANS,
        r"p(\beta_{1}) \propto 1",
        r"\alpha^{\sigma} \sim \mathrm{Student}\text{-}t(3, 0, 2.5)" + MEANS,
        r"p(\beta^{\sigma}_{1}) \propto 1",
        r"\sigma_{\alpha} \sim \mathrm{Student}\text{-}t^{+}(3, 0, 59.3)",
    ]


def test_a_family_parameter_with_a_bound_of_its_own(simulated):
    equation = ml.equation("x ~ 1 + (1 | g)", simulated, family="student", priors=True)
    assert lines(equation)[-1] == (r"\nu \sim \mathrm{Gamma}(2, 0.1)"
                                   r"\text{, truncated to } (1, \infty)")


def test_correlations_shared_across_parameters(sleepstudy):
    formula = ml.bf("Reaction ~ Days + (Days | p | Subject)", sigma="~ 1 + (1 | p | Subject)")
    equation = ml.equation(formula, sleepstudy, notation="rb")
    assert lines(equation)[8:10] == [
        r"(u_{0j}, u_{1j}, u^{\sigma}_{0j})^{\top} \sim \mathrm{MVN}(\mathbf{0}, \mathbf{T})"
        + SUBJECT,
        r"\mathbf{T} = \left(\substack{\tau_{0}^{2} \\ \rho_{0,1}\tau_{0}\tau_{1} \\ "
        r"\rho_{0,0^{\sigma}}\tau_{0}\tau^{\sigma}_{0}} \quad \substack{\rho_{0,1}\tau_{0}\tau_{1}"
        r" \\ \tau_{1}^{2} \\ \rho_{1,0^{\sigma}}\tau_{1}\tau^{\sigma}_{0}} \quad "
        r"\substack{\rho_{0,0^{\sigma}}\tau_{0}\tau^{\sigma}_{0} \\ "
        r"\rho_{1,0^{\sigma}}\tau_{1}\tau^{\sigma}_{0} \\ (\tau^{\sigma}_{0})^{2}}\right)",
    ]
    render(lines(equation)[9])


# --- the object ----------------------------------------------------------------------------------

def test_latex_aligns_the_lines_for_notebooks(sleepstudy):
    equation = ml.equation("Reaction ~ Days + (Days | Subject)", sleepstudy, notation="rb")
    body = equation.latex.splitlines()
    assert body[0] == r"\begin{aligned}" and body[-1] == r"\end{aligned}"
    assert body[1] == r"\text{Level 1} & \\"
    assert body[2] == (r"\mathrm{Reaction}_{ij} &= \beta_{0j} + \beta_{1j}\,\mathrm{Days}_{ij} + "
                       r"e_{ij} \\")
    assert all(row.count("&") == 1 for row in body[1:-1])
    assert equation._repr_latex_() == f"$$\n{equation.latex}\n$$"
    assert equation._repr_markdown_() == equation._repr_latex_()
    assert str(equation) == equation.latex and len(equation) == 8


def test_names_are_escaped_for_latex():
    data = pd.DataFrame({"math_score": [1.0, 2.5, 3.1, 4.7, 2.2, 3.3],
                         "school_type": ["x y", "a", "x y", "a", "x y", "a"],
                         "pupil_id": ["p_1", "p_1", "p_2", "p_2", "p_3", "p_3"]})
    equation = ml.equation("math_score ~ school_type + (1 | pupil_id)", data)
    assert lines(equation) == [
        r"\mathrm{math\_score}_{i} \sim \mathrm{N}(\alpha_{j[i]} + "
        r"\beta_{1}\,\mathrm{school\_typex\ y}_{i}, \sigma^{2})",
        r"\alpha_{j} \sim \mathrm{N}(\mu_{\alpha}, \sigma_{\alpha}^{2})"
        r"\text{, for }\mathrm{pupil\_id}\ j = 1, \ldots, 3",
    ]
    for line in lines(equation):
        render(line)


def test_transformations_are_written_as_mathematics(simulated):
    data = simulated.assign(y=simulated["x"] * 2, t=np.exp(simulated["x"]) + 1)
    equation = ml.equation("y ~ I(x^2) + log(t) + poly(x, 2) + (1 | g)", data)
    assert lines(equation)[0] == (
        r"\mathrm{y}_{i} \sim \mathrm{N}(\alpha_{j[i]} + \beta_{1}\,\mathrm{x}_{i}^{2} + "
        r"\beta_{2}\,\log(\mathrm{t}_{i}) + \beta_{3}\,\operatorname{poly}_{1}(\mathrm{x}_{i}, 2)"
        r" + \beta_{4}\,\operatorname{poly}_{2}(\mathrm{x}_{i}, 2), \sigma^{2})")


@pytest.mark.parametrize("notation", ["hierarchical", "", None, 2])
def test_an_unknown_notation_is_named_with_the_valid_ones(sleepstudy, notation):
    with pytest.raises(SettingsError, match=r"notation must be one of 'gh', 'rb'"):
        ml.equation("Reaction ~ Days + (Days | Subject)", sleepstudy, notation=notation)


def test_expand_belongs_to_the_level_by_level_notation(sleepstudy):
    with pytest.raises(SettingsError, match="notation='rb'"):
        ml.equation("Reaction ~ Days + (Days | Subject)", sleepstudy, expand=True)
    with pytest.raises(SettingsError, match="priors must be True or False"):
        ml.equation("Reaction ~ Days + (Days | Subject)", sleepstudy, priors="yes")


@pytest.mark.slow
def test_a_fit_writes_the_equations_of_its_model(sleepstudy):
    prior = ml.prior("normal(0, 10)", class_="b", coef="Days")
    with warnings.catch_warnings():
        # so few draws may be too few for brms's ESS bounds; the equations do not depend on them
        warnings.simplefilter("ignore", UserWarning)
        fit = ml.brm("Reaction ~ Days + (Days | Subject)", sleepstudy, prior=prior, chains=2,
                     draws=200, warmup=200, seed=1)
    for notation, expand in VARIANTS.values():
        before = ml.equation("Reaction ~ Days + (Days | Subject)", sleepstudy, prior=prior,
                             notation=notation, priors=True, expand=expand)
        assert fit.equation(notation, priors=True, expand=expand) == before


def test_a_censored_response_names_its_censoring():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "c": ["none", "left", "right", "none"],
                         "g": ["a", "a", "b", "b"]})
    first = lines(ml.equation("y | cens(c) ~ 1 + (1 | g)", data))[0]
    assert first == (r"\mathrm{y}_{i} \sim \mathrm{N}(\alpha_{j[i]}, \sigma^{2})"
                     r"\text{, censored as }\mathrm{c}_{i}")
    render(first)
