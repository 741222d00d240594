"""CSV files built a column at a time (`csv_utf8`) are what pandas' to_csv writes."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from casecheck.report.cells import defuse
from casecheck.report.csv_rows import csv_utf8

# Text with everything the csv module or a spreadsheet treats specially, and some that is not.
texts = st.one_of(
    st.none(), st.text(alphabet=',"\r\n\t =+-@a\u00e9\u2028\U0001f600\x00', max_size=8)
)


def _to_csv(frame: pd.DataFrame, numbers: list[str]) -> str:
    """What results_csv wrote before: every column defused but the numbers, then to_csv."""
    out = frame.copy()
    for column in out.columns:
        out[column] = out[column].astype("Int64") if column in numbers else defuse(out[column])
    buffer = io.StringIO()
    out.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(
        st.tuples(texts, texts, st.one_of(st.none(), st.integers(-(10**6), 10**6))), max_size=12
    )
)
def test_csv_text_is_what_to_csv_writes(
    rows: list[tuple[str | None, str | None, int | None]],
) -> None:
    frame = pd.DataFrame(
        {
            "held as objects": pd.Series([r[0] for r in rows], dtype=object),
            "held by Arrow": pd.Series([r[1] for r in rows], dtype="str"),
            "days": pd.array([r[2] for r in rows], dtype="Int64"),
        }
    )
    assert csv_utf8(frame, numbers=["days"]).decode() == _to_csv(frame, ["days"])


def test_fields_are_quoted_only_when_they_must_be() -> None:
    frame = pd.DataFrame(
        {
            "text": ["a,b", 'say "hi"', "=1+1", None, "line\nbreak", " plain "],
            "when": pd.to_datetime(["2026-01-02", None, "2026-03-04", None, None, None]),
            "n": pd.array([1, None, -3, 4, 5, 6], dtype="Int64"),
            'odd, "name"': ["x"] * 6,
        }
    )
    assert csv_utf8(frame, numbers=["n"]).decode() == (
        'text,when,n,"odd, ""name"""\n'
        '"a,b",2026-01-02 00:00:00,1,x\n'
        '"say ""hi""",,,x\n'
        "'=1+1,2026-03-04 00:00:00,-3,x\n"
        ",,4,x\n"
        "line break,,5,x\n"
        " plain ,,6,x\n"
    )
    assert csv_utf8(frame, numbers=["n"]).decode() == _to_csv(frame, ["n"])


def test_a_frame_without_rows_is_its_header() -> None:
    frame = pd.DataFrame({"a": pd.Series([], dtype=object), "b": np.array([], dtype=np.int64)})
    assert csv_utf8(frame, numbers=["b"]) == b"a,b\n"
    assert _to_csv(frame, ["b"]) == "a,b\n"
