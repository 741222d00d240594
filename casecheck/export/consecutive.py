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
    person_codes, _ = pd.factorize(frame[person])
    starts = frame[start].to_numpy(dtype="datetime64[ns]")
    ends = frame[end].to_numpy(dtype="datetime64[ns]")
    order = np.lexsort((starts, person_codes))  # by child, then start; stable
    s_start = starts[order].astype("datetime64[D]")
    s_end = ends[order]
    prev_end = np.concatenate(([np.datetime64("NaT")], s_end[:-1])).astype("datetime64[D]")
    same = np.zeros(len(order), dtype=bool)
    same[1:] = person_codes[order][1:] == person_codes[order][:-1]
    same &= s_start == prev_end  # starts the day the one before ended (NaT equals nothing)
    for column in on:  # equal values; a blank equals a blank
        codes, _ = pd.factorize(frame[column], use_na_sentinel=False)
        ordered = codes[order]
        same[1:] &= ordered[1:] == ordered[:-1]
    same[0] = False
    run = np.cumsum(~same) - 1
    last_of_run = np.append(np.flatnonzero(~same)[1:] - 1, len(order) - 1)
    first = np.zeros(len(frame), dtype=bool)
    first[order[~same]] = True
    run_end = np.empty(len(frame), dtype="datetime64[ns]")
    run_end[order] = s_end[last_of_run[run]]
    joined = frame[first].copy()
    joined[end] = pd.Series(run_end[first], index=joined.index).astype(frame[end].dtype)
    return joined
