"""CSV files built a column at a time, byte for byte as pandas' to_csv (the csv module) writes them.

to_csv hands every row to Python's csv module: most of a large run's CSV report. Here each
column's distinct values are made safe (cells.defused) and quoted once, as the csv module
quotes with its defaults (a value holding a comma, a quote or a line break in quotes, its
quotes doubled; nothing else), and pyarrow joins the rows.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from casecheck.report.arrow_text import each, join, utf8
from casecheck.report.cells import defused

MUST_QUOTE = '[,"\r\n]'  # what the csv module puts a value in quotes for


def quoted(text: pa.Array) -> pa.Array:
    """Each value as a CSV field: in quotes, its quotes doubled, when it must be."""
    must = pc.match_substring_regex(text, MUST_QUOTE)
    if not pc.any(must).as_py():
        return text
    return pc.if_else(must, join('"', pc.replace_substring(text, '"', '""'), '"'), text)


def _safe(values: pd.Series) -> pa.Array:
    """A column's fields: each distinct value made safe and quoted once (a missing one
    blank)."""
    codes, uniques = pd.factorize(values)  # a missing value (None, NaN, NaT, NA): code -1
    fields = quoted(pa.array(defused(uniques).to_numpy(dtype=object), type=pa.large_string()))
    return pc.fill_null(fields.take(pa.array(codes, mask=codes < 0)), each(""))


def _whole_numbers(values: pd.Series) -> pa.Array:
    """A column of whole numbers as digits (a missing one blank)."""
    numbers = pa.array(values.astype("Int64"), type=pa.int64())
    return pc.fill_null(pc.cast(numbers, pa.large_string()), each(""))


def csv_utf8(frame: pd.DataFrame, numbers: Collection[str] = ()) -> bytes:
    """The frame as CSV in UTF-8 (a header, then a line per row, each ending in LF): every
    column made safe (cells.defused) but `numbers`, columns of whole numbers."""
    names = pa.array(list(map(str, frame.columns)), type=pa.large_string())
    header = ",".join(quoted(names).to_pylist()) + "\n"
    if not len(frame):
        return header.encode()
    parts: list[pa.Array | str] = []
    for column in frame.columns:
        values = frame[column]
        parts += [_whole_numbers(values) if column in numbers else _safe(values), ","]
    parts[-1] = "\n"
    return header.encode() + utf8(join(*parts))
