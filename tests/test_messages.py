"""Messages filled from columns (`fill`) and dates as a reader writes them (`fmt_dates`)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from casecheck.engine.context import fmt_dates
from casecheck.engine.kinds.common import fill

TEMPLATE = "Placement started {date}; no {evidence} by {due} ({after})"
texts = st.one_of(st.none(), st.text(max_size=12))


def _by_hand(rows: list[tuple[str | None, str | None]], evidence: str) -> list[object]:
    """Each row's message as str.format writes it; no message where a column is missing."""
    return [
        np.nan
        if date is None or due is None
        else TEMPLATE.format(date=date, evidence=evidence, due=due, after="5 working days")
        for date, due in rows
    ]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(texts, texts), max_size=20), evidence=st.text(max_size=8))
def test_a_message_per_row_as_str_format_writes_it(
    rows: list[tuple[str | None, str | None]], evidence: str
) -> None:
    index = pd.Index(np.arange(len(rows)) * 3 + 1)
    date = pd.Series([r[0] for r in rows], index=index, dtype=object)
    due = pd.Series([r[1] for r in rows], index=index, dtype="str")
    got = fill(TEMPLATE, index, date=date, evidence=evidence, due=due, after="5 working days")
    assert got.index.equals(index)
    wanted = _by_hand(rows, evidence)
    assert [None if pd.isna(m) else m for m in got] == [None if pd.isna(m) else m for m in wanted]


def test_text_arrow_cannot_hold_is_filled_all_the_same() -> None:
    # A rule file can write a lone surrogate as an escape ("\ud800"): the message keeps it.
    index = pd.Index([0, 1])
    got = fill("{what}: {date}", index, what="odd \ud800", date=pd.Series(["01/02/2026", None]))
    assert got.iloc[0] == "odd \ud800: 01/02/2026"
    assert pd.isna(got.iloc[1])


def test_values_that_are_not_text_are_written_as_str_writes_them() -> None:
    index = pd.Index([5, 6])
    got = fill(
        "{n} {flag} {child}",
        index,
        n=pd.Series([3, 4], index=index),
        flag=pd.Series([True, False], index=index),
        child=pd.Series(pd.Categorical(["P2", "P1"]), index=index),
    )
    assert got.tolist() == ["3 True P2", "4 False P1"]


@given(
    days=st.lists(
        st.one_of(st.none(), st.dates(dt.date(1900, 1, 1), dt.date(2089, 12, 31))), max_size=30
    )
)
def test_dates_are_day_month_year_and_blank_for_none(days: list[dt.date | None]) -> None:
    values = pd.Series(
        pd.to_datetime(days), index=np.arange(len(days))[::-1], dtype="datetime64[ns]"
    )
    got = fmt_dates(values)
    assert got.index.equals(values.index)
    assert got.tolist() == ["" if d is None else d.strftime("%d/%m/%Y") for d in days]
