"""`casecheck rules test DIR`: a council runs its own rule cases; results and exit codes."""

from __future__ import annotations

from pathlib import Path

from test_cli import run

CASE = """\
rule: placement-plan-per-move
cases:
  - name: no plan is an exception
    why: reg 9(3)
    tags: [exception]
    as_of: 2025-12-01
    tables:
      persons: |
        PERSON_ID,DATE_OF_BIRTH
        C1,2012-03-04
      placements: |
        PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE
        PL1,C1,2025-11-03,
      workflow_steps: |
        WORKFLOW_STEP_ID,PERSON_ID,STEP_TYPE,STEP_STATUS,COMPLETED_ON
    expect:
      exceptions:
        - person: C1
          check: plan
          due: {due}
          message: Placement started 03/11/2025; no placement plan by 10/11/2025 (5 working days)
"""


def test_passing_cases_exit_0(tmp_path: Path) -> None:
    (tmp_path / "placement-plan-per-move.yaml").write_text(CASE.format(due="2025-11-10"))
    result = run("rules", "test", tmp_path)
    assert result.code == 0, result
    assert result.out == (
        "PASS  placement-plan-per-move: no plan is an exception\n1 passed, 0 failed\n"
    )


def test_a_failing_case_names_what_differs_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "placement-plan-per-move.yaml").write_text(CASE.format(due="2025-11-11"))
    result = run("rules", "test", tmp_path)
    assert result.code == 1
    assert result.out == (
        "FAIL  placement-plan-per-move: no plan is an exception\n"
        "      exception not expected: C1 | plan | 2025-11-10 | Placement started 03/11/2025; "
        "no placement plan by 10/11/2025 (5 working days)\n"
        "      exception expected, not found: C1 | plan | 2025-11-11 | Placement started "
        "03/11/2025; no placement plan by 10/11/2025 (5 working days)\n"
        "0 passed, 1 failed\n"
    )


def test_an_invalid_case_file_is_exit_2_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "placement-plan-per-move.yaml"
    path.write_text(
        CASE.format(due="2025-11-10").replace("          message:", "          mesage:")
    )
    result = run("rules", "test", tmp_path)
    assert result.code == 2
    assert f"error: {path}: " in result.err
    assert "mesage" in result.err


def test_cases_for_an_unknown_rule_are_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(
        CASE.format(due="2025-11-10").replace("rule: placement-plan-per-move", "rule: nope")
    )
    result = run("rules", "test", tmp_path)
    assert result.code == 2
    assert 'the cases are for rule "nope"' in result.err


LOCAL_RULE = """\
id: long-missing-episode-review
title: A strategy discussion after each missing episode lasting more than 2 days
severity: high
area: all_open_cases
source: Local standard (example)
why: A child missing for days is at risk of exploitation.
how_to_fix: Hold and record the strategy discussion.
checks:
  strategy:
    kind: evidence_per_event
    event:
      table: missing_episodes
      date: START_DATE
      end: END_DATE
      lasted_more_than: 2 days
      label: Went missing
    lookback: 3 months
    evidence:
      kind: risk_assessment
    window:
      after: 5 working days
"""

LOCAL_CASES = """\
rule: long-missing-episode-review
cases:
  - name: only episodes lasting more than 2 days, an open one up to the as-of date
    why: >-
      M1 lasted 3 days, M2 exactly 2 (not more), M3 is still open after 6 days; M4 lasted 3
      days and has its strategy discussion.
    tags: [exception, compliant, boundary]
    as_of: 2025-12-01
    tables:
      persons: |
        PERSON_ID,DATE_OF_BIRTH
        C1,2010-01-01
        C2,2010-01-01
        C3,2010-01-01
        C4,2010-01-01
      missing_episodes: |
        MISSING_EPISODE_ID,PERSON_ID,START_DATE,END_DATE
        M1,C1,2025-11-03 20:00,2025-11-06 10:00
        M2,C2,2025-11-03 20:00,2025-11-05 10:00
        M3,C3,2025-11-25 20:00,
        M4,C4,2025-11-03 20:00,2025-11-06 10:00
      workflow_steps: |
        WORKFLOW_STEP_ID,PERSON_ID,STEP_TYPE,STEP_STATUS,COMPLETED_ON,RAG_RATING
        S1,C4,Risk Assessment,COMPLETED,2025-11-07,RED
    expect:
      exceptions:
        - person: C1
          check: strategy
          due: 2025-11-10
          message: Went missing 03/11/2025; no risk assessment by 10/11/2025 (5 working days)
      due_soon:
        - person: C3
          check: strategy
          due: 2025-12-02
          message: Went missing 25/11/2025; no risk assessment by 02/12/2025 (5 working days)
"""


def test_a_council_rule_with_an_event_from_any_table_and_its_duration(tmp_path: Path) -> None:
    rules, cases = tmp_path / "rules", tmp_path / "cases"
    rules.mkdir()
    cases.mkdir()
    (rules / "long-missing-episode-review.yaml").write_text(LOCAL_RULE)
    (cases / "long-missing-episode-review.yaml").write_text(LOCAL_CASES)
    result = run("rules", "test", cases, "--rules", rules)
    assert result.out == (
        "PASS  long-missing-episode-review: only episodes lasting more than 2 days, an open one "
        "up to the as-of date\n1 passed, 0 failed\n"
    )
    assert result.code == 0
    explained = run("rules", "explain", "long-missing-episode-review", "--rules", rules)
    assert " ".join(explained.out.split()) == (
        "Rule: long-missing-episode-review: A strategy discussion after each missing episode "
        "lasting more than 2 days Severity: high Area: All open cases Applies to: every child "
        "in the export Check 'strategy': For each event 'went missing' (missing_episodes from "
        "START_DATE to "
        "END_DATE, lasting more than 2 days; an open one up to the as-of date) in the last 3 "
        "months: a completed risk assessment, dated from 0 days before the event to 5 working "
        "days after it. One exception per event without it once that time has passed; until then "
        "it is due soon. Why: A child missing for days is at risk of exploitation. How to fix: "
        "Hold and record the strategy discussion. Source: Local standard (example)"
    )


def test_an_event_naming_a_column_that_is_not_a_date_is_exit_2(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    path = rules / "long-missing-episode-review.yaml"
    path.write_text(LOCAL_RULE.replace("end: END_DATE", "end: RHI_OFFERED"))
    result = run("rules", "list", "--rules", rules)
    assert result.code == 2
    assert result.err == (
        f'error: {path}, line 14: at checks > strategy > event > end: "RHI_OFFERED" is not a '
        "date column of missing_episodes. Use one of START_DATE, END_DATE, RHI_DATE.\n"
    )


ROLLING_RULE = """\
id: placement-moves-any-year
title: Three or more placements within any 12 months
severity: medium
area: looked_after
source: Local standard (example)
why: Each move breaks a child's relationships.
how_to_fix: Review the care plan.
checks:
  moves:
    kind: threshold
    count: placements
    where:
      PLACEMENT_TYPE: {not: [Short break]}
    period: 12 months
    at_least: 3
    any_window: true
    lookback: 24 months
"""

ROLLING_CASES = """\
rule: placement-moves-any-year
cases:
  - name: three starts within any 12 months of the last 24, short breaks aside
    why: >-
      C1's three placements started within 12 months (10/01 to 20/12/2024). C2's third started
      12 months to the day after its first: not within. C3's third was a short break.
    tags: [exception, compliant, boundary]
    as_of: 2025-12-01
    tables:
      persons: |
        PERSON_ID,DATE_OF_BIRTH
        C1,2012-01-01
        C2,2012-01-01
        C3,2012-01-01
      placements: |
        PLACEMENT_ID,PERSON_ID,START_DATE,END_DATE,PLACEMENT_TYPE
        P1,C1,2024-01-10,2024-06-01,Foster
        P2,C1,2024-06-01,2024-12-20,Foster
        P3,C1,2024-12-20,,Foster
        P4,C2,2024-01-10,2024-06-01,Foster
        P5,C2,2024-06-01,2025-01-10,Foster
        P6,C2,2025-01-10,,Foster
        P7,C3,2024-01-10,2024-06-01,Foster
        P8,C3,2024-06-01,2024-06-03,Short break
        P9,C3,2024-06-03,,Foster
    expect:
      exceptions:
        - person: C1
          check: moves
          due: 2024-12-20
          message: >-
            3 placements within 12 months, from 10/01/2024 to 20/12/2024 (3 or more calls for
            review)
"""


def test_counts_in_any_rolling_window_with_a_condition(tmp_path: Path) -> None:
    rules, cases = tmp_path / "rules", tmp_path / "cases"
    rules.mkdir()
    cases.mkdir()
    (rules / "placement-moves-any-year.yaml").write_text(ROLLING_RULE)
    (cases / "placement-moves-any-year.yaml").write_text(ROLLING_CASES)
    result = run("rules", "test", cases, "--rules", rules)
    assert result.out == (
        "PASS  placement-moves-any-year: three starts within any 12 months of the last 24, short "
        "breaks aside\n1 passed, 0 failed\n"
    )
    explained = run("rules", "explain", "placement-moves-any-year", "--rules", rules)
    assert (
        "Check 'moves': An exception when a child has had 3 or more placements, where "
        "PLACEMENT_TYPE is not Short break, starting within any 12 months of the last 24 months."
    ) in " ".join(explained.out.split())


def test_preset_cases_run_against_the_presets_pack(tmp_path: Path) -> None:
    cases = Path(__file__).parent / "rule_cases" / "ssda903"
    (tmp_path / "temporary-placement-duration.yaml").write_bytes(
        (cases / "temporary-placement-duration.yaml").read_bytes()
    )
    result = run("rules", "test", tmp_path, "--preset", "ssda903")
    assert result.code == 0, result
    assert result.out.splitlines()[-1] == "6 passed, 0 failed"
    shipped = run("rules", "test", tmp_path)  # the shipped rules have no such rule
    assert shipped.code == 2
