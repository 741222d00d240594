"""Input problems as records: where (table, file, row, column), the value, what, how to fix.

The value is quoted into the message unless its column is free text, which is never echoed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from casecheck.export.schema import TABLES, Kind, Table

# column: the contract's name; header: the column's heading in the council's file.
PROBLEM_COLUMNS = [
    "table",
    "file",
    "row",
    "column",
    "header",
    "value",
    "message",
    "fix",
    "set_aside",
]
SHOWN_LENGTH = 60  # longer values are cut short in messages (the value column keeps them whole)


def problems_at(
    table: Table,
    file: str | pd.Series,
    rows: pd.Index,
    column: str | None,
    values: pd.Series | None,
    message: pd.Series | str,
    fix: str,
    set_aside: bool,
) -> pd.DataFrame:
    """Problem records for `rows`; the value is quoted into the message unless it is free text."""
    kinds = {c.name: c.kind for c in table.columns}
    shown = values is not None and column is not None and kinds.get(column) is not Kind.FREE_TEXT
    msg = pd.Series(message, index=rows, dtype=str) if isinstance(message, str) else message
    if shown and values is not None:
        value = values.loc[rows].astype(str)
        text = quoted(value) + " " + msg
        value_out = value.to_numpy(dtype=object)
    else:
        text = msg
        value_out = np.full(len(rows), None, dtype=object)
    return pd.DataFrame(
        {
            "table": pd.Series(table.name, index=range(len(rows)), dtype=str),
            "file": (
                pd.Series(file, index=range(len(rows)), dtype=str)
                if isinstance(file, str)
                else pd.Series(file.to_numpy(dtype=object), dtype=str)
            ),
            "row": rows.to_numpy(dtype="int64"),
            "column": pd.Series(column or "", index=range(len(rows)), dtype=str),
            "header": pd.Series(column or "", index=range(len(rows)), dtype=str),
            "value": value_out,
            "message": pd.Series(text.to_numpy(dtype=object), dtype=str),
            "fix": pd.Series(fix, index=range(len(rows)), dtype=str),
            "set_aside": np.full(len(rows), set_aside, dtype=bool),
        },
        columns=PROBLEM_COLUMNS,
    )


def quoted(values: pd.Series) -> pd.Series:
    """Values as shown in a message: in quotes, on one line, long ones cut short."""
    shown = values
    if shown.str.contains("[\r\n\t]", regex=True).any():
        shown = shown.str.replace("\r\n|\r|\n", "\\\\n", regex=True).str.replace("\t", " ")
    long = shown.str.len() > SHOWN_LENGTH
    if long.any():
        shown = shown.where(~long, shown.str.slice(0, SHOWN_LENGTH - 3) + "...")
    return '"' + shown + '"'


def empty_problems() -> pd.DataFrame:
    """A problems frame with no rows and the same columns and types as a full one."""
    return problems_at(
        TABLES["persons"], "", pd.Index([], dtype="int64"), None, None, "", "", False
    )
