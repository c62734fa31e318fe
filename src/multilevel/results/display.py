"""Tables as brms prints them: whole in a terminal, as HTML tables in Jupyter.

pandas shortens a wide table to the terminal's width (``...`` in place of columns) and shows a
dict of tables as one line of wrapped text; brms prints its prior table, its ``ranef()`` and
``VarCorr()`` whole, under R's headings (``$Subject``, ``, , Intercept``). These classes keep
pandas' and dict's behaviour, and only change how they show.
"""

from __future__ import annotations

import html

import pandas as pd


class BrmsTable(pd.DataFrame):
    """A data frame that prints every column, with brms's heading and footnote.

    What it shows comes from ``attrs``: ``heading`` (a line above the table), ``footer``
    (lines below it), ``index`` (False to hide the row labels, as brms's prior table) and
    ``digits`` (decimals of the numbers). Anything else is a pandas DataFrame.
    """

    @property
    def _constructor(self):
        return BrmsTable

    @classmethod
    def of(cls, frame: pd.DataFrame, heading: str = "", footer: str = "", index: bool = True,
           digits: int | None = None) -> BrmsTable:
        """``frame`` as a :class:`BrmsTable` with the given heading, footnote and layout."""
        table = cls(frame)
        table.attrs.update(heading=heading, footer=footer, index=index, digits=digits)
        return table

    def _float_format(self):
        digits = self.attrs.get("digits")
        return None if digits is None else (lambda value: f"{value:.{digits}f}")

    def __repr__(self) -> str:
        lines = [self.attrs["heading"]] if self.attrs.get("heading") else []
        lines.append(self.to_string(index=self.attrs.get("index", True),
                                    float_format=self._float_format()))
        if self.attrs.get("footer"):
            lines.append(self.attrs["footer"])
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        parts = ["<div>"]
        if self.attrs.get("heading"):
            parts.append(f"<p><b>{html.escape(self.attrs['heading'])}</b></p>")
        parts.append(self.to_html(index=self.attrs.get("index", True),
                                  float_format=self._float_format()))
        if self.attrs.get("footer"):
            parts.append(f"<pre>{html.escape(self.attrs['footer'])}</pre>")
        parts.append("</div>")
        return "".join(parts)


def _blocks(name: str, value) -> list[tuple[str, pd.DataFrame]]:
    """The captioned tables of one entry, as R prints a named list of arrays or tables."""
    if isinstance(value, dict):
        blocks = [(f"${name}${part}", table) for part, table in value.items()]
    elif isinstance(value.columns, pd.MultiIndex):
        coefs = list(dict.fromkeys(value.columns.get_level_values(0)))
        blocks = [(f", , {coef}", value[coef]) for coef in coefs]
    else:
        blocks = [("", value)]
    # the captions name the group and coefficient; the axes' own names would repeat them
    # (a correlation's pair of coefficients is an index of two levels, each named)
    return [(caption, table.rename_axis(index=[None] * table.index.nlevels,
                                        columns=[None] * table.columns.nlevels))
            for caption, table in blocks]


class GroupTables(dict):
    """Tables per grouping factor (``ranef()``, ``coef()``, ``varcorr()``), shown whole.

    A plain dict (``fit.ranef()["Subject"]["Days"]`` as before) that prints as brms prints the
    list it returns: ``$Subject``, then ``, , Intercept`` and the levels' table per coefficient
    (or ``$Subject$sd``, ``$Subject$cor``, ... for ``varcorr()``); an HTML table each in
    Jupyter.
    """

    def __repr__(self) -> str:
        lines = []
        for name, value in self.items():
            lines.append(f"${name}")
            for caption, table in _blocks(name, value):
                if caption:
                    lines.append(caption)
                    if caption.startswith(", ,"):
                        lines.append("")
                lines += [table.to_string(), ""]
        return "\n".join(lines).rstrip("\n")

    __str__ = __repr__

    def _repr_html_(self) -> str:
        parts = ["<div>"]
        for name, value in self.items():
            parts.append(f"<p><b>{html.escape('$' + str(name))}</b></p>")
            for caption, table in _blocks(name, value):
                if caption:
                    parts.append(f"<p><i>{html.escape(caption)}</i></p>")
                parts.append(table.to_html())
        parts.append("</div>")
        return "".join(parts)
