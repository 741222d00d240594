"""Statuses from any table (scope, clock and event), events from evidence, and their reference
checks and words: a council's own rule using them, run as `casecheck rules test` runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run

# A council's rule: foster children (a status read from placements, rows filtered by type) get
# a visit within 10 working days of each foster placement spell starting, then every 20 working
# days from when the current foster placement started.
FOSTER_RULE = """\
id: foster-visits
title: Foster children visited
severity: medium
area: looked_after
source: Local standard (example)
why: w
how_to_fix: h
scope:
  status: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}
checks:
  first:
    kind: evidence_per_event
    event: {started: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}, label: Fostered}
    lookback: 12 months
    evidence: {kind: cla_visit}
    window: {after: 10 working days}
  every:
    kind: evidence_recurring
    clock:
      status: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}
      since: current
    evidence: {kind: cla_visit}
    first_due: 20 working days
    every: 20 working days
"""

FOSTER_CASES = """\
rule: foster-visits
cases:
  - name: foster spells joined across a weekend; a residential placement is not in scope
    as_of: 2025-12-01
    tables:
      persons: |
        PERSON_ID,DATE_OF_BIRTH
        C1,2012-03-04
        C2,2012-03-04
      placements: |
        PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE,PLACEMENT_TYPE
        PL1,C1,2025-09-01,2025-10-31,Foster
        PL2,C1,2025-11-03,,Foster
        PL3,C2,2025-09-01,,Residential
      visits: |
        VISIT_ID,PERSON_ID,VISIT_TYPE,ACTUAL_DATE,CHILD_SEEN
        V1,C1,CLA,2025-09-05,Y
    expect:
      in_scope: [C1]
      exceptions: []
      due_soon:
        - person: C1
          check: every
          due: 2025-12-01
          message: No CLA visit since 03/11/2025; due 01/12/2025 (20 working days)
"""


def _rules(tmp_path: Path, text: str) -> tuple[Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    path = rules / "foster-visits.yaml"
    path.write_text(text, encoding="utf-8")
    return rules, path


def test_a_status_from_any_table_is_a_scope_a_clock_and_an_event(tmp_path: Path) -> None:
    """C1's two foster placements (Friday to Monday) are one spell: one 'Fostered' event, its
    visit on 05/09 in time; the clock `since: current` starts with the second placement, so the
    visit is due 20 working days after 03/11/2025, on the as-of date (due soon, not late). C2's
    residential placement is not the status: not in scope."""
    rules, _ = _rules(tmp_path, FOSTER_RULE)
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "foster-visits.yaml").write_text(FOSTER_CASES, encoding="utf-8")
    result = run("rules", "test", cases, "--rules", rules)
    assert result.out == (
        "PASS  foster-visits: foster spells joined across a weekend; a residential placement is "
        "not in scope\n1 passed, 0 failed\n"
    )
    assert result.code == 0


def test_a_status_rule_in_words(tmp_path: Path) -> None:
    rules, _ = _rules(tmp_path, FOSTER_RULE)
    explained = run("rules", "explain", "foster-visits", "--rules", rules)
    words = " ".join(explained.out.split())
    assert (
        "Applies to: with an open placement (placements from START_DATE to END_DATE, where "
        "PLACEMENT_TYPE is Foster)"
    ) in words
    assert (
        "For each event 'fostered' (each time the child became with an open placement "
        "(placements from START_DATE to END_DATE, where PLACEMENT_TYPE is Foster), spells joined "
        "across handovers) in the last 12 months: a completed CLA visit, dated from 0 days before "
        "the event to 10 working days after it."
    ) in words
    assert (
        "A completed CLA visit, first due 20 working days after the current placement started, "
        "then at most 20 working days after the previous one. Evidence counts from when the "
        "current placement started."
    ) in words


def test_named_statuses_in_words() -> None:
    words = " ".join(run("rules", "explain", "cp-visits").out.split())
    assert "Applies to: on a child-protection plan Check" in words
    assert "first due 10 working days after the current child-protection plan started" in words
    words = " ".join(run("rules", "explain", "cp-review-conferences").out.split())
    assert "due 3 months after the current period on a child-protection plan began" in words
    words = " ".join(run("rules", "explain", "care-plan-timely").out.split())
    assert "For each event 'became looked after' (each time the child became looked after" in words
    assert "An event whose deadline falls after the child left care or turned 18 is not" in words


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            "  status: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}\ncheck",
            "  status: on_plan\ncheck",
            9,
            'at scope > status: unknown status "on_plan". Use one of looked_after, on_cp_plan, '
            "on_cin_plan.",
        ),
        (
            "  status: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}\ncheck",
            "  status: {table: cp_plans, end: CATEGORY}\ncheck",
            9,
            'at scope > status > end: "CATEGORY" is not a date column of cp_plans. Use one of '
            "START_DATE, END_DATE.",
        ),
        (
            "  status: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}\ncheck",
            "  status: {table: placements, where: {KIND: [Foster]}}\ncheck",
            9,
            'at scope > status > where > KIND: "KIND" is not a column of placements. Use one of '
            "END_DATE, PERSON_ID, PLACEMENT_ID, PLACEMENT_TYPE, REASON_FOR_PLACEMENT_CHANGE, "
            "START_DATE.",
        ),
        (
            "      status: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}\n      since",
            "      status: {table: plans}\n      since",
            20,
            'at checks > every > clock > status > table: unknown table "plans". Use one of '
            "persons, allocations, placements, workflow_steps, documents, case_notes, visits, "
            "missing_episodes, contacts, cp_plans, cin_plans.",
        ),
        (
            "    event: {started: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}, "
            "label: Fostered}",
            "    event: {started: on_plans}",
            13,
            'at checks > first > event > started: unknown status "on_plans". Use one of '
            "looked_after, on_cp_plan, on_cin_plan.",
        ),
        (
            "    event: {started: {table: placements, where: {PLACEMENT_TYPE: [Foster]}}, "
            "label: Fostered}",
            "    event: {evidence: care_plan, label: Plan}\n    where: {STEP_TYPE: [x]}",
            14,
            "at checks > first > where: an event read from evidence has no columns to filter on. "
            "Remove where:, or read the event from its table.",
        ),
    ],
    ids=[
        "unknown-status",
        "end-not-a-date",
        "where-unknown-column",
        "clock-unknown-table",
        "event-unknown-status",
        "evidence-event-where",
    ],
)
def test_a_status_naming_what_does_not_exist_is_exit_2(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    assert old in FOSTER_RULE
    rules, path = _rules(tmp_path, FOSTER_RULE.replace(old, new))
    result = run("rules", "list", "--rules", rules)
    assert result.err == f"error: {path}, line {line}: {message}\n"
    assert result.code == 2
