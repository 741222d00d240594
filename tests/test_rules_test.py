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
