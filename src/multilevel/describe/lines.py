"""An equation as lines of LaTeX, shown in a notebook and drawn by matplotlib alike."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EquationLine:
    """One line: ``lhs relation rhs`` and a note after it (``, for Subject j = 1, ..., 18``).

    A heading (``Level 1``) has only ``lhs``. ``latex`` is the line alone, valid in LaTeX,
    MathJax and matplotlib's mathtext; :attr:`Equation.latex` aligns the lines at the relation.
    """

    lhs: str
    relation: str = ""
    rhs: str = ""
    note: str = ""

    @property
    def heading(self) -> bool:
        return not self.relation

    @property
    def latex(self) -> str:
        if self.heading:
            return self.lhs
        return f"{self.lhs} {self.relation} {self.rhs}{self.note}"

    @property
    def aligned(self) -> str:
        if self.heading:
            return rf"{self.lhs} &"
        return f"{self.lhs} &{self.relation} {self.rhs}{self.note}"

    def __str__(self) -> str:
        return self.latex


@dataclass(frozen=True)
class Equation:
    """A model's equations in one notation.

    Attributes
    ----------
    lines
        The equations one by one (:class:`EquationLine`); ``str(line)`` is its LaTeX.
    notation
        ``"gh"`` (Gelman & Hill) or ``"rb"`` (Raudenbush & Bryk).

    In Jupyter the equation renders through MathJax; ``.latex`` is the ``aligned`` block to
    paste into a LaTeX document (inside ``\\[ ... \\]``, with amsmath).
    """

    lines: tuple[EquationLine, ...]
    notation: str

    @property
    def latex(self) -> str:
        body = " \\\\\n".join(line.aligned for line in self.lines)
        return "\\begin{aligned}\n" + body + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex}\n$$"

    def _repr_markdown_(self) -> str:
        return f"$$\n{self.latex}\n$$"

    def __str__(self) -> str:
        return self.latex

    def __iter__(self):
        return iter(self.lines)

    def __len__(self) -> int:
        return len(self.lines)
