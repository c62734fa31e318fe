"""A grouping factor's part of a model's PyMC program: its levels and varying terms as data,
its sds, correlations and effects in brms's non-centred form (the model's ``build_model``
and ``by_level_effects``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..model.build import group_dims, sd_dim
from ..priors.table import PriorTable
from ..spec.design import Design, GroupBlock
from .model_code_data import (
    array_literal,
    brms_names,
    group_index,
    label_list,
    matrix_columns,
    matrix_lines,
    python_name,
    quote,
)
from .model_code_parts import LKJ_HELPER, ModelCodeError, class_code

# the longest line of the model's block, indented within ``with pm.Model()``
_LINE = 99


def group_data_code(design: Design, group: str,
                    variable: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The data lines of a grouping factor (each row's level, the varying terms' values, each
    level's by level) and its coordinates."""
    frame, out, coords = design.data, [], []
    blocks = [(n, b) for n, b in enumerate(design.blocks) if b.group == group]
    first = blocks[0][1]
    if any(not np.array_equal(b.index, first.index) for _, b in blocks):
        raise ModelCodeError(f"The blocks of grouping factor {group!r} index its levels "
                             "differently; the PyMC program writer cannot write that yet.")
    out.append("")
    index = group_index(group, first, frame, variable)
    out += index.lines
    levels_dim, coef_dim, cor_dim = group_dims(group)
    coords.append((levels_dim, index.coords))
    coords.append((coef_dim, label_list(design.group_coefs(group))))
    if sd_dim(design, group) != coef_dim:
        coords.append((sd_dim(design, group), label_list(design.group_sd_names(group))))
    pairs = design.correlation_names(group)
    if pairs:
        coords.append((cor_dim, label_list(pairs)))
    for number, block in blocks:
        if block.by:
            out += _by_level_lines(block, number, variable, frame)
    for cov, block in {b.cov: b for _, b in blocks if b.cov}.items():
        out += _level_covariance_lines(design, cov, block, variable)
    for dpar in dict.fromkeys(b.dpar for _, b in blocks):
        chosen = [b for _, b in blocks if b.dpar == dpar]
        suffix = f"_{python_name(dpar, set())}" if dpar else ""
        values = np.column_stack([b.values for b in chosen])
        parts = [matrix_columns(b.terms, b.values, b.coefs, b.columns, frame) for b in chosen]
        columns = parts[0]
        for part in parts[1:]:
            columns.names += part.names
            columns.recipes += part.recipes
            columns.labels += part.labels
        terms = ", ".join(dict.fromkeys(b.term for b in chosen))
        out.append(f"# the values of the varying terms of {terms}" +
                   (f" in {dpar}" if dpar else ""))
        out += matrix_lines(f"Z_{variable}{suffix}", columns, values)
    return out, coords


def _by_level_lines(block: GroupBlock, number: int, variable: str, frame) -> list[str]:
    """Each level's position among the by levels of ``gr(g, by = arm)``."""
    rows = f"{variable}_{python_name(block.by, set())}_{number}"
    by_rows = replace(block, factors=(block.by,), levels=block.by_levels,
                      index=block.level_by[block.index])
    lines = group_index(block.by, by_rows, frame, rows).lines
    lines.append(f"# {block.term}: each level of {block.group}'s level of {block.by}")
    lines.append(f"{variable}_by_{number} = np.zeros(len({variable}_levels), dtype=int)")
    lines.append(f"{variable}_by_{number}[{variable}] = {rows}")
    return lines


def _level_covariance_lines(design: Design, cov: str, block: GroupBlock,
                            variable: str) -> list[str]:
    """The lower Cholesky factor of ``gr(g, cov = A)``'s matrix over the levels, from
    ``data2``, which the program's reader binds as for ``brm()``: its rows, and the columns
    in the same order, of the levels, found by position as the fit found them by name."""
    matrix = design.data2[cov]
    positions = [int(matrix.index.get_loc(level)) for level in block.levels]
    rows = f"{variable}_rows_{python_name(cov, set())}"
    return [f"# gr({block.group}, cov = {cov}): the rows and columns of data2[{quote(cov)}] "
            f"of the levels of {block.group}",
            f"{rows} = {array_literal(np.array(positions), '')}",
            f"{cov_variable(cov, variable)} = np.linalg.cholesky(",
            f"    data2[{quote(cov)}].to_numpy(dtype=float)[np.ix_({rows}, {rows})])"]


def cov_variable(cov: str, variable: str) -> str:
    """The program's name of the Cholesky factor of ``cov`` over ``variable``'s levels."""
    return f"Lcov_{variable}_{python_name(cov, set())}"


def _sd_slice(variable: str, slices: list[tuple[int, int]], total: int) -> str:
    if len(slices) == 1 and slices[0] == (0, total):
        return f"sd_{variable}"
    if all(slices[k][1] == slices[k + 1][0] for k in range(len(slices) - 1)):
        return f"sd_{variable}[{slices[0][0]}:{slices[-1][1]}]"
    return "pt.concatenate([" + ", ".join(f"sd_{variable}[{a}:{b}]" for a, b in slices) + "])"


def group_model_code(design: Design, table: PriorTable, group: str, variable: str,
                     helpers: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """The model lines of a grouping factor's sds, correlations and effects, and the terms
    its effects add to each parameter's predictor, as (parameter, term) pairs. Adds the LKJ
    helper to ``helpers`` where it is needed."""
    lines: list[str] = []
    levels_dim, coef_dim, cor_dim = group_dims(group)
    numbers = [n for n, b in enumerate(design.blocks) if b.group == group]
    coefs, sd_names = design.group_coefs(group), design.group_sd_names(group)
    starts, sd_starts, position, sd_position = {}, {}, 0, 0
    for n in numbers:
        starts[n], sd_starts[n] = position, sd_position
        position += len(design.blocks[n].coefs)
        sd_position += len(design.blocks[n].sd_names)
    sets = [members for members in design.correlation_sets()
            if design.blocks[members[0]].group == group]
    lines.append("")
    terms = ", ".join(dict.fromkeys(design.blocks[n].term for n in numbers))
    lines.append(f"# group-level effects of {group}, from {terms}, non-centred as in brms:")
    lines.append("# r = (diag(sd) L z)^T with z standard normal")
    lines.append(f"# {brms_names([f'sd_{group}__{name}' for name in sd_names])}")
    blocks = [design.blocks[n] for n in numbers]
    lines.append(class_code(
        table, f"sd_{variable}", f"sd_{group}", "sd", sd_names, group, sd_dim(design, group),
        [b.dpar for b in blocks for _ in b.sd_names],
        [b.own_coef(c) for b in blocks for _ in b.by_labels for c in b.coefs]))
    effects: dict[int, str] = {}
    correlations = []
    for members in sets:
        first = members[0]
        block = design.blocks[first]
        size = len(design.set_coefs(members))
        sd = _sd_slice(variable, [(sd_starts[m], sd_starts[m] + len(design.blocks[m].sd_names))
                                  for m in members], len(sd_names))
        z = f"z_{variable}_{first}"
        set_coefs = design.set_coefs(members)
        by_levels = len(block.by_levels)
        if block.by:
            sd = f"{sd}.reshape(({by_levels}, {size}))[{variable}_by_{first}]"
        if design.set_correlated(members):
            eta = table.lookup("cor", "", group).args[0]
            cholesky = f"L_{variable}_{first}"
            pairs = [(j, i) for i in range(1, size) for j in range(i)]
            names = [f"cor_{group}__{name}" for name in block.correlation_names(set_coefs)]
            lines.append(f"# {brms_names(names)}")
            rows, cols = [j for j, _ in pairs], [i for _, i in pairs]
            if block.by:
                lines.append(f"{cholesky} = pt.stack([")
                lines += [f"    lkj_corr_cholesky({quote(f'L_{group}_{first}_{k}')}, {size}, "
                          f"eta={quote(eta)})," for k in range(by_levels)]
                lines.append("])")
                correlations += [f"pt.dot({cholesky}[{k}], {cholesky}[{k}].T)[{rows}, {cols}]"
                                 for k in range(by_levels)]
                scaled = (f"pt.sum({cholesky}[{variable}_by_{first}] * {z}[:, None, :], "
                          f"axis=2) * {sd}")
            else:
                lines.append(f"{cholesky} = lkj_corr_cholesky("
                             f"{quote(f'L_{group}_{first}')}, {size}, eta={quote(eta)})")
                correlations.append(f"pt.dot({cholesky}, {cholesky}.T)[{rows}, {cols}]")
                scaled = f"pt.dot({z}, {cholesky}.T) * {sd}"
            if LKJ_HELPER not in helpers:
                helpers.append(LKJ_HELPER)
        else:
            scaled = f"{z} * {sd}"
        if block.cov:
            # brms's Lcov z: the levels correlated as the known matrix says
            scaled = f"pt.dot({cov_variable(block.cov, variable)}, {scaled})"
        lines.append(f"{z} = pm.Normal({quote(f'z_{group}_{first}')}, 0.0, 1.0, "
                     f"shape=(len({variable}_levels), {size}))")
        if len(members) == 1:
            effects[first] = scaled
        else:
            joint = f"r_{variable}_{first}"
            lines.append(f"{joint} = {scaled}")
            offset = 0
            for m in members:
                width = len(design.blocks[m].coefs)
                effects[m] = f"{joint}[:, {offset}:{offset + width}]"
                offset += width
    if len(numbers) == 1:
        value = effects[numbers[0]]
    elif len(sets) == 1 and sets[0] == numbers:
        value = lines.pop()[len(f"r_{variable}_{numbers[0]} = "):]
    else:
        value = "pt.concatenate([" + ", ".join(effects[n] for n in numbers) + "], axis=1)"
        if len(value) > _LINE // 2:
            value = ("pt.concatenate([\n" + "".join(f"    {effects[n]},\n" for n in numbers)
                     + "], axis=1)")
    level = design.group_levels(group)[0]
    lines.append(f"# r_{group}[{level},{coefs[0]}], ...")
    opening = f"r_{variable} = pm.Deterministic("
    dims = f"dims=({quote(levels_dim)}, {quote(coef_dim)}))"
    line = f"{opening}{quote(f'r_{group}')}, {value}, {dims}"
    if len(line) + 4 > _LINE and "\n" not in value:
        line = f"{opening}{quote(f'r_{group}')}, {value},\n{' ' * len(opening)}{dims}"
    lines.append(line)
    if correlations:
        value = (correlations[0] if len(correlations) == 1
                 else "pt.concatenate([" + ", ".join(correlations) + "])")
        lines.append(f"pm.Deterministic({quote(f'cor_{group}')}, {value},\n"
                     f"                 dims={quote(cor_dim)})")
    added = []
    for dpar in dict.fromkeys(design.blocks[n].dpar for n in numbers):
        chosen = [n for n in numbers if design.blocks[n].dpar == dpar]
        a = starts[chosen[0]]
        b = starts[chosen[-1]] + len(design.blocks[chosen[-1]].coefs)
        if [starts[n] for n in chosen] != sorted(starts[n] for n in chosen) or \
                b - a != sum(len(design.blocks[n].coefs) for n in chosen):
            raise ModelCodeError(f"The coefficients of grouping factor {group!r} are not "
                                 "in one run per parameter; the PyMC program writer cannot "
                                 "write that yet.")
        effect = f"r_{variable}" if (a, b) == (0, len(coefs)) else f"r_{variable}[:, {a}:{b}]"
        suffix = f"_{python_name(dpar, set())}" if dpar else ""
        added.append((dpar, f"pt.sum({effect}[{variable}] * Z_{variable}{suffix}, axis=1)"))
    return lines, added
