"""LaTeX spelling shared by both notations: names, expressions, links, distributions.

Everything written here is valid LaTeX (amsmath), MathJax and matplotlib's mathtext, so that a
line can be shown in a notebook, pasted into a paper and drawn by matplotlib alike.
"""

from __future__ import annotations

import re

from ..families.family import Family, format_number
from ..priors.distributions import Distribution
from ..priors.special_syntax import ARGUMENTS
from ..spec.formula_text import split_top_level

_SPECIAL = {"\\": r"\backslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\hat{}",
            "$": r"\$", "%": r"\%", "&": r"\&", "#": r"\#", "~": r"\sim{}", " ": r"\ ",
            ":": "{:}"}


def escape(text: str) -> str:
    """Text made safe inside ``\\mathrm{}``: LaTeX's special characters escaped."""
    return "".join(_SPECIAL.get(char, char) for char in str(text))


def name(text: str) -> str:
    """A variable or factor name, upright: ``\\mathrm{Reaction}``."""
    return rf"\mathrm{{{escape(text)}}}"


def subscript(symbol: str, index: str) -> str:
    """``symbol`` with the subscript ``index`` (none if empty)."""
    return f"{symbol}_{{{index}}}" if index else symbol


def join_indices(*indices) -> str:
    """Numeric subscripts side by side, comma-separated once one has two digits."""
    texts = [str(index) for index in indices]
    return ("," if any(len(t) > 1 for t in texts) else "").join(texts)


# --- expressions of the formula language ---------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+)|([^\W\d][\w.]*)|(\*\*|[-+*/^(),]))")
_FUNCTIONS = {"log": r"\log", "exp": r"\exp", "sin": r"\sin", "cos": r"\cos"}


class _Unreadable(ValueError):
    """An expression outside the small grammar written as mathematics."""


class _Expression:
    """A recursive-descent reader of a formula expression that writes it as LaTeX, each data
    variable carrying the subscript ``index``."""

    def __init__(self, text: str, index: str, variables) -> None:
        self.tokens = self._tokens(text)
        self.position = 0
        self.index = index
        self.variables = variables

    @staticmethod
    def _tokens(text: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match or match.end() == position:
                raise _Unreadable(text)
            number, identifier, operator = match.groups()
            tokens.append(("number", number) if number else ("name", identifier) if identifier
                          else ("operator", "^" if operator == "**" else operator))
            position = match.end()
        return tokens

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise _Unreadable("unexpected end")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def _expect(self, value: str) -> None:
        if self._take()[1] != value:
            raise _Unreadable(value)

    def read(self) -> str:
        result = self._sum()
        if self.position != len(self.tokens):
            raise _Unreadable("trailing tokens")
        return result

    def _sum(self) -> str:
        result = self._product()
        while self._peek() in ("+", "-"):
            operator = self._take()[1]
            result = f"{result} {operator} {self._product()}"
        return result

    def _product(self) -> str:
        result = self._power()
        while self._peek() in ("*", "/"):
            operator = self._take()[1]
            right = self._power()
            result = f"{result} \\cdot {right}" if operator == "*" else f"{result} / {right}"
        return result

    def _power(self) -> str:
        base = self._unary()
        if self._peek() == "^":
            self._take()
            exponent = self._unary(bare=True)
            return f"{base}^{{{exponent}}}"
        return base

    def _unary(self, bare: bool = False) -> str:
        if self._peek() == "-":
            self._take()
            return f"-{self._unary(bare)}"
        return self._atom(bare)

    def _atom(self, bare: bool = False) -> str:
        kind, value = self._take()
        if kind == "number":
            return value
        if value == "(":
            inner = self._sum()
            self._expect(")")
            return inner if bare else f"({inner})"
        if kind != "name":
            raise _Unreadable(value)
        if self._peek() == "(":
            return self._call(value)
        if value in self.variables:
            return subscript(name(value), self.index)
        return name(value)

    def _call(self, function: str) -> str:
        self._expect("(")
        arguments = [self._sum()]
        while self._peek() == ",":
            self._take()
            arguments.append(self._sum())
        self._expect(")")
        inner = ", ".join(arguments)
        if function == "I":
            return inner if len(arguments) == 1 else f"({inner})"
        if function == "sqrt" and len(arguments) == 1:
            return rf"\sqrt{{{inner}}}"
        if function == "abs" and len(arguments) == 1:
            return f"|{inner}|"
        operator = _FUNCTIONS.get(function, rf"\operatorname{{{escape(function)}}}")
        return f"{operator}({inner})"


_POLY_COLUMN = re.compile(r"^(poly\(.*\))(\d+)$")


def expression(text: str, index: str, variables) -> str:
    """A formula expression as LaTeX, every data variable in it subscripted with ``index``;
    an expression outside the grammar is written as one upright name."""
    poly = _POLY_COLUMN.match(text)
    try:
        if poly:
            call = _Expression(poly.group(1), index, variables).read()
            numbered = rf"\operatorname{{poly}}_{{{poly.group(2)}}}("
            return call.replace(r"\operatorname{poly}(", numbered, 1)
        return _Expression(text, index, variables).read()
    except _Unreadable:
        return subscript(name(text), index)


# --- link functions ---------------------------------------------------------------------------

_LINKS = {
    "identity": "{}",
    "log": r"\log({})",
    "logit": r"\operatorname{{logit}}({})",
    "probit": r"\Phi^{{-1}}({})",
    "cloglog": r"\log(-\log(1 - {}))",
    "inverse": "1 / {}",
    "1/mu^2": "1 / {}^{{2}}",
    "sqrt": r"\sqrt{{{}}}",
    "softplus": r"\log(\exp({}) - 1)",
    "logm1": r"\log({} - 1)",
    "tan_half": r"\tan({} / 2)",
}


def link(function: str, argument: str) -> str:
    """The link function applied to ``argument``: ``\\operatorname{logit}(p_{i})``."""
    template = _LINKS.get(function, rf"\operatorname{{{escape(function)}}}({{}})")
    return template.format(argument)


# --- families -----------------------------------------------------------------------------------

# the mean's symbol where a family's literature has its own letter
_MEAN_SYMBOLS = {"bernoulli": "p", "binomial": "p", "zero_inflated_binomial": "p",
                 "beta_binomial": "p", "zero_inflated_beta_binomial": "p",
                 "poisson": r"\lambda", "zero_inflated_poisson": r"\lambda",
                 "hurdle_poisson": r"\lambda"}
# (the ex-Gaussian's beta and the skew normal's alpha spelt out: the notations' alpha and
# beta are intercepts and coefficients)
_AUX_SYMBOLS = {"sigma": r"\sigma", "nu": r"\nu", "shape": r"\phi", "phi": r"\phi",
                "zi": r"\mathrm{zi}", "hu": r"\mathrm{hu}", "zoi": r"\mathrm{zoi}",
                "coi": r"\mathrm{coi}", "ndt": r"\mathrm{ndt}", "alpha": r"\mathrm{alpha}",
                "beta": r"\mathrm{beta}", "quantile": r"\tau",
                "theta": r"\theta", "kappa": r"\kappa"}
# each family's distribution given its mean m, its parameters a and the trials n; the normal
# and lognormal with their variance, as both notations write them
_DISTRIBUTIONS = {
    "gaussian": lambda m, a, n: rf"\mathrm{{N}}({m}, {a['sigma']}^{{2}})",
    "von_mises": lambda m, a, n: rf"\mathrm{{VonMises}}({m}, {a['kappa']})",
    "student": lambda m, a, n: rf"\mathrm{{Student}}\text{{-}}t({a['nu']}, {m}, {a['sigma']})",
    "lognormal": lambda m, a, n: rf"\mathrm{{LogNormal}}({m}, {a['sigma']}^{{2}})",
    "shifted_lognormal": lambda m, a, n: (rf"{a['ndt']} + \mathrm{{LogNormal}}({m}, "
                                          rf"{a['sigma']}^{{2}})"),
    "bernoulli": lambda m, a, n: rf"\mathrm{{Bernoulli}}({m})",
    "binomial": lambda m, a, n: rf"\mathrm{{Binomial}}({n}, {m})",
    "poisson": lambda m, a, n: rf"\mathrm{{Poisson}}({m})",
    "negbinomial": lambda m, a, n: rf"\mathrm{{NegBinomial}}({m}, {a['shape']})",
    "gamma": lambda m, a, n: rf"\mathrm{{Gamma}}({a['shape']}, {a['shape']} / {m})",
    "exponential": lambda m, a, n: rf"\mathrm{{Exponential}}(1 / {m})",
    "weibull": lambda m, a, n: (rf"\mathrm{{Weibull}}({a['shape']}, {m} / "
                                rf"\Gamma(1 + 1 / {a['shape']}))"),
    "frechet": lambda m, a, n: (rf"\mathrm{{Frechet}}({a['nu']}, {m} / "
                                rf"\Gamma(1 - 1 / {a['nu']}))"),
    "exgaussian": lambda m, a, n: (rf"\mathrm{{ExGaussian}}({m} - {a['beta']}, {a['sigma']}, "
                                   rf"{a['beta']})"),
    "skew_normal": lambda m, a, n: rf"\mathrm{{SkewNormal}}({m}, {a['sigma']}, {a['alpha']})",
    "beta": lambda m, a, n: rf"\mathrm{{Beta}}({m}{a['phi']}, (1 - {m}){a['phi']})",
    "beta_binomial": lambda m, a, n: (rf"\mathrm{{BetaBinomial}}({n}, {m}{a['phi']}, "
                                      rf"(1 - {m}){a['phi']})"),
    "zero_inflated_beta_binomial": lambda m, a, n: (
        rf"\mathrm{{ZeroInflatedBetaBinomial}}({n}, {m}{a['phi']}, (1 - {m}){a['phi']}, "
        rf"{a['zi']})"),
    "inverse.gaussian": lambda m, a, n: rf"\mathrm{{InverseGaussian}}({m}, {a['shape']})",
    "asym_laplace": lambda m, a, n: (rf"\mathrm{{AsymLaplace}}({m}, {a['sigma']}, "
                                     rf"{a['quantile']})"),
    "zero_inflated_poisson":
        lambda m, a, n: rf"\mathrm{{ZeroInflatedPoisson}}({m}, {a['zi']})",
    "zero_inflated_negbinomial":
        lambda m, a, n: rf"\mathrm{{ZeroInflatedNegBinomial}}({m}, {a['shape']}, {a['zi']})",
    "zero_inflated_binomial":
        lambda m, a, n: rf"\mathrm{{ZeroInflatedBinomial}}({n}, {m}, {a['zi']})",
    "hurdle_poisson": lambda m, a, n: rf"\mathrm{{HurdlePoisson}}({m}, {a['hu']})",
    "hurdle_negbinomial":
        lambda m, a, n: rf"\mathrm{{HurdleNegBinomial}}({m}, {a['shape']}, {a['hu']})",
    "hurdle_lognormal":
        lambda m, a, n: rf"\mathrm{{HurdleLogNormal}}({m}, {a['sigma']}^{{2}}, {a['hu']})",
    "hurdle_gamma": lambda m, a, n: (rf"\mathrm{{HurdleGamma}}({a['shape']}, {a['shape']} / {m}, "
                                     rf"{a['hu']})"),
    "zero_inflated_beta": lambda m, a, n: (rf"\mathrm{{ZeroInflatedBeta}}({m}{a['phi']}, "
                                           rf"(1 - {m}){a['phi']}, {a['zi']})"),
    "zero_one_inflated_beta": lambda m, a, n: (
        rf"\mathrm{{ZeroOneInflatedBeta}}({m}{a['phi']}, (1 - {m}){a['phi']}, {a['zoi']}, "
        rf"{a['coi']})"),
}


def mean_symbol(family: Family) -> str:
    return _MEAN_SYMBOLS.get(family.name, r"\mu")


def aux_symbol(parameter: str) -> str:
    """The symbol of a family parameter; a categorical model's ``mu2`` is ``\\mu_{2}``."""
    if parameter in _AUX_SYMBOLS:
        return _AUX_SYMBOLS[parameter]
    if parameter.startswith("mu"):
        label = parameter[2:]
        return subscript(r"\mu", label if label.isdigit() else name(label))
    # a mixture component's parameter, sigma2 as sigma_2
    numbered = re.fullmatch(r"([a-z]+)(\d+)", parameter)
    if numbered and numbered.group(1) in _AUX_SYMBOLS:
        return subscript(_AUX_SYMBOLS[numbered.group(1)], numbered.group(2))
    return name(parameter)


def indexed(symbol: str, index: str) -> str:
    """A symbol with an observation index added to any subscript it has: ``\\mu_{2,i}``."""
    if symbol.endswith("}"):
        depth = 0
        for position in range(len(symbol) - 1, -1, -1):
            depth += {"}": 1, "{": -1}.get(symbol[position], 0)
            if depth == 0:
                break
        if position > 0 and symbol[position - 1] == "_":
            return f"{symbol[:-1]},{index}}}"
    return subscript(symbol, index)


def distribution(family: Family, mean: str, aux: dict[str, str], trials: str) -> str:
    """The response distribution: ``\\mathrm{N}(\\mu_{i}, \\sigma^{2})``."""
    writer = _DISTRIBUTIONS.get(family.name)
    if writer is not None:
        return writer(mean, aux, trials)
    arguments = ", ".join([mean] + [aux[a.name] for a in family.aux])
    return rf"\operatorname{{{escape(family.name)}}}({arguments})"


# --- priors ---------------------------------------------------------------------------------

_PRIOR_NAMES = {
    "normal": r"\mathrm{N}", "student_t": r"\mathrm{Student}\text{-}t",
    "cauchy": r"\mathrm{Cauchy}", "double_exponential": r"\mathrm{Laplace}",
    "logistic": r"\mathrm{Logistic}", "exponential": r"\mathrm{Exponential}",
    "gamma": r"\mathrm{Gamma}", "inv_gamma": r"\mathrm{InvGamma}",
    "lognormal": r"\mathrm{LogNormal}", "weibull": r"\mathrm{Weibull}",
    "chi_square": r"\chi^{2}", "inv_chi_square": r"\mathrm{Inv}\text{-}\chi^{2}",
    "beta": r"\mathrm{Beta}", "uniform": r"\mathrm{Uniform}", "lkj": r"\mathrm{LKJ}",
    "dirichlet": r"\mathrm{Dirichlet}",
}
# distributions whose second argument is a standard deviation, written squared as in N(mu, s^2)
_VARIANCE_SECOND = ("normal", "lognormal")
# the upper end of a distribution's own support, where it has one
_SUPPORT_UPPER = {"beta": 1.0}


def prior(distribution: Distribution, lower: str = "", upper: str = "") -> tuple[str, str]:
    """A prior as mathematics, and a note on its bounds where they truncate it.

    ``student_t(3, 0, 59.3)`` on a standard deviation (lower bound 0) is a half Student-t,
    written ``\\mathrm{Student}\\text{-}t^{+}(3, 0, 59.3)``.
    """
    if distribution.name == "flat":
        return "", ""
    if distribution.name in ARGUMENTS:  # brms's call as written: the arguments are named
        name = distribution.name
        inside = str(distribution).removeprefix(f"{name}(").removesuffix(")")
        pieces = [piece.strip() for _, piece in split_top_level(inside, ",")] if inside else []
        arguments = [r"\text{" + escape(piece) + "}" if "=" in piece else escape(piece)
                     for piece in pieces]
        return rf"\operatorname{{{escape(name)}}}({', '.join(arguments)})", ""
    arguments = [format_number(a) for a in distribution.args]
    if distribution.name in _VARIANCE_SECOND:
        arguments[1] = f"{arguments[1]}^{{2}}"
    label = _PRIOR_NAMES.get(distribution.name, rf"\operatorname{{{escape(distribution.name)}}}")
    own_lower = distribution.support_lower
    own_upper = (distribution.args[1] if distribution.name == "uniform"
                 else _SUPPORT_UPPER.get(distribution.name))
    if distribution.name == "constant":  # held: no distribution to truncate
        return rf"{label}({', '.join(arguments)})", ""
    cuts_lower = lower != "" and (own_lower is None or float(lower) > own_lower)
    cuts_upper = upper != "" and (own_upper is None or float(upper) < own_upper)
    note = ""
    if cuts_lower and not cuts_upper and float(lower) == 0:
        label += "^{+}"
    elif cuts_lower or cuts_upper:
        low = lower if cuts_lower else r"-\infty"
        high = upper if cuts_upper else r"\infty"
        note = rf"\text{{, truncated to }} ({low}, {high})"
    return f"{label}({', '.join(arguments)})", note
