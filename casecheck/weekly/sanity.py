"""Warnings about the as-of date: after the export was taken, or before anything in it."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from casecheck.export.load import Export


def earliest_record(export: Export) -> dt.date | None:
    """The earliest date in any date column of the export (None for an export with no dates)."""
    firsts = [
        frame[column].min()
        for frame in export.tables.values()
        for column in frame.columns
        if pd.api.types.is_datetime64_any_dtype(frame[column]) and column != "DATE_OF_BIRTH"
    ]
    known = [f for f in firsts if pd.notna(f)]
    return min(known).date() if known else None


def as_of_warnings(export: Export, as_of: dt.date) -> list[str]:
    """What looks wrong about checking `export` as of `as_of` (an empty list when nothing)."""
    found = []
    taken = export.config.export_date
    if taken is not None and as_of > taken:
        found.append(
            f"--as-of {as_of.isoformat()} is after the export was taken "
            f"(export_date {taken.isoformat()}): anything done since is not in it, so "
            "exceptions may be overstated"
        )
    first = earliest_record(export)
    if first is not None and as_of < first:
        found.append(
            f"--as-of {as_of.isoformat()} is before the earliest record in the export "
            f"({first.isoformat()}): nothing in it had happened yet"
        )
    return found
