"""Blocks of rows for the computations over arrays of draws by rows.

A whole array of draws by rows (4,000 draws of 7,185 rows: 230 MB) is larger than the
largest block glibc's allocator keeps for reuse, so every temporary of a whole-array
operation is fresh memory from the kernel, which it has to clear page by page. Log
densities, the gather of group-level effects and PSIS work through blocks of rows instead,
whose temporaries the allocator reuses.
"""

from __future__ import annotations

from collections.abc import Iterator

# draws x rows values handled at a time (8 MB of float64)
BLOCK_VALUES = 2**20


def row_blocks(draws: int, rows: int) -> Iterator[slice]:
    """Consecutive slices of ``range(rows)`` of about :data:`BLOCK_VALUES` / ``draws`` rows
    each (at least one), the last one shorter.

    Parameters
    ----------
    draws
        The number of values per row.
    rows
        The number of rows.

    Yields
    ------
    slice
    """
    step = max(1, BLOCK_VALUES // max(1, draws))
    for start in range(0, rows, step):
        yield slice(start, min(start + step, rows))
