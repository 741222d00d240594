"""The shared evidence frame: only the kinds the rules use, sorted on integer codes, split once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casecheck.calendar import WorkingCalendar
from casecheck.engine.context import Context, sort_order
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import run_rules
from casecheck.export.config import load_config
from casecheck.export.load import Export, load_export

SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"
AS_OF = dt.date(2026, 10, 30)


@pytest.fixture(scope="module")
def export() -> Export:
    return load_export(SAMPLE, load_config(SAMPLE))


def _context(export: Export, kinds: frozenset[str] | None = None) -> Context:
    return Context(export=export, as_of=AS_OF, calendar=WorkingCalendar(), evidence_kinds=kinds)


def test_evidence_is_in_the_order_of_a_sort_on_the_strings(export: Export) -> None:
    evidence = _context(export).evidence
    by_strings = evidence.sample(frac=1, random_state=3).sort_values(
        ["kind", "PERSON_ID", "date", "ref"], kind="stable"
    )
    pd.testing.assert_frame_equal(evidence, by_strings.reset_index(drop=True))
    assert evidence.duplicated(["PERSON_ID", "kind", "date"]).any()  # ties settled by ref


def test_only_the_kinds_asked_for_are_kept(export: Export) -> None:
    every = _context(export).evidence
    lean = _context(export, frozenset({"supervision", "cla_visit"})).evidence
    assert set(lean["kind"]) == {"supervision", "cla_visit"}
    wanted = every[every["kind"].isin(["supervision", "cla_visit"])].reset_index(drop=True)
    # kind is held as codes into the kinds present: compared by value, not by category list
    pd.testing.assert_frame_equal(lean, wanted, check_categorical=False)


def test_evidence_of_a_kind_is_the_same_rows_as_a_mask(export: Export) -> None:
    ctx = _context(export)
    for kind in [*sorted(set(ctx.evidence["kind"])), "no_such_kind"]:
        pd.testing.assert_frame_equal(
            ctx.evidence_of(kind), ctx.evidence[ctx.evidence["kind"] == kind]
        )


def test_a_run_keeps_the_kinds_its_rules_use_and_the_case_view_every_kind(
    export: Export,
) -> None:
    rules = load_rules(DEFAULT_RULES, export.config)
    lean = run_rules(export, rules, AS_OF)
    every = run_rules(export, rules, AS_OF, all_evidence=True)
    assert set(lean.evidence["kind"]) < set(every.evidence["kind"])
    assert "visit" in set(every.evidence["kind"]) - set(lean.evidence["kind"])
    pd.testing.assert_frame_equal(lean.findings, every.findings)
    pd.testing.assert_frame_equal(lean.due_soon, every.due_soon)


# A key column: values in steps of a unit (a nanosecond, a second or a day in nanoseconds, as
# dates are held) from an offset, or any 64-bit integers (too wide to pack: lexsort's path).
_KEYS = st.one_of(
    st.tuples(st.sampled_from([1, 10**9, 86_400 * 10**9]), st.integers(-(2**40), 2**40)).map(
        lambda t: ("steps", t)
    ),
    st.just(("any", None)),
)


@settings(max_examples=150, deadline=None)
@given(st.data(), st.lists(_KEYS, min_size=1, max_size=3), st.integers(1, 40))
def test_sort_order_is_a_stable_sort_on_the_keys_then_the_refs(
    data: st.DataObject, kinds: list[tuple[str, object]], rows: int
) -> None:
    """However the keys are held (packed into one integer or not), the order is a stable sort
    on every key, then on the ref (blank last), then on the row's position."""
    keys = []
    for kind, spec in kinds:
        if kind == "steps":
            unit, offset = spec  # type: ignore[misc]
            steps = data.draw(st.lists(st.integers(0, 50), min_size=rows, max_size=rows))
            keys.append(np.array([offset + unit * s for s in steps], dtype=np.int64))
        else:
            values = st.integers(-(2**63), 2**63 - 1) | st.integers(-3, 3)
            keys.append(np.array(data.draw(st.lists(values, min_size=rows, max_size=rows))))
    refs = data.draw(st.lists(st.sampled_from(["a", "b", "", None]), min_size=rows, max_size=rows))
    got = sort_order([k.astype(np.int64) for k in keys], pd.Series(refs, dtype=object))
    expected = sorted(
        range(rows),
        key=lambda i: (*(int(k[i]) for k in keys), refs[i] is None, refs[i] or "", i),
    )
    assert got.tolist() == expected
