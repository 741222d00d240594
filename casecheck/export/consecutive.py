"""Join back-to-back rows of one child into one (903 episodes into placements), vectorised.

The SSDA903 return starts a new episode at every change of placement *or* of legal status, so
one placement can span several episodes. With `join_consecutive: [PLACEMENT_TYPE, URN]` on a
table with a start and an end, a row that starts the day the child's previous row ended, with
equal values in those columns, continues it: the run becomes one row with the first row's key,
columns and start and the last row's end. Every row joined is still counted as used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def join_consecutive(
    frame: pd.DataFrame, start: str, end: str, on: list[str], person: str = "PERSON_ID"
) -> pd.DataFrame:
    """`frame` with each run of consecutive rows (same person, equal `on`, no gap) as one row.

    Rows keep their index (the row number in the file) and their order; a joined row takes the
    index and every value of the run's first row except `end`, which is the run's last end.
    """
    if frame.empty or not on:
        return frame
    order = frame.sort_values([person, start], kind="stable")
    same = order[person].eq(order[person].shift())
    previous_end = order[end].shift()
    same &= order[start].dt.normalize().eq(previous_end.dt.normalize()).fillna(False)
    for column in on:
        values = order[column]
        before = values.shift()
        equal = values.eq(before) | (values.isna() & before.isna())
        same &= equal.fillna(False).astype(bool)
    run = np.cumsum(~same.to_numpy(dtype=bool))
    first = ~same.to_numpy(dtype=bool)
    last_end = order[end].groupby(run).last()
    # groupby.last skips missing values: an open (blank) end must stay open.
    open_end = order[end].isna().groupby(run).last()
    joined = order[first].copy()
    joined[end] = last_end.where(~open_end).to_numpy()
    kept: pd.DataFrame = joined.loc[frame.index.intersection(joined.index, sort=False)]
    return kept
