"""A run's contract: errored and not-run rules are reported, never mistaken for a pass."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from casecheck.cli import main
from casecheck.engine import checks
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.config import CouncilConfig, load_config
from casecheck.export.load import load_export
from casecheck.report.results import results_csv

SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"
AS_OF = dt.date(2026, 10, 30)


def _run(folder: Path) -> RunResult:
    config = load_config(folder)
    rules = load_rules(DEFAULT_RULES, config)
    return run_rules(load_export(folder, config), rules, AS_OF)


@pytest.fixture(scope="module")
def sample() -> RunResult:
    return _run(SAMPLE)


def test_the_sample_shows_every_rule_passing_and_failing(sample: RunResult) -> None:
    for outcome in sample.outcomes:
        assert outcome.status == "ran", (outcome.rule.id, outcome.reason)
        assert outcome.compliant > 0, f"{outcome.rule.id} never passes in sample_exports"
        assert outcome.exceptions > 0, f"{outcome.rule.id} never fails in sample_exports"


def test_every_check_of_every_rule_fails_somewhere_in_the_sample(sample: RunResult) -> None:
    failing = set(zip(sample.findings["rule_id"], sample.findings["check"], strict=True))
    for outcome in sample.outcomes:
        for name in outcome.rule.checks:
            assert (outcome.rule.id, name) in failing


def test_counts_add_up(sample: RunResult) -> None:
    for outcome in sample.outcomes:
        mine = sample.findings[sample.findings["rule_id"] == outcome.rule.id]
        assert outcome.exceptions == len(mine)
        assert outcome.compliant == outcome.in_scope - mine["PERSON_ID"].nunique()
        scope = sample.in_scope[sample.in_scope["rule_id"] == outcome.rule.id]
        assert outcome.in_scope == len(scope)
        assert set(mine["PERSON_ID"]) <= set(scope["PERSON_ID"])


def test_fingerprints_are_unique_and_stable(sample: RunResult) -> None:
    assert sample.findings["fingerprint"].is_unique
    again = _run(SAMPLE)
    pd.testing.assert_frame_equal(sample.findings, again.findings)


def test_a_rule_that_raises_is_errored_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: Any) -> checks.CheckResult:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(
        checks.CHECK_KINDS,
        "share",
        dataclasses.replace(checks.CHECK_KINDS["share"], evaluate=broken),
    )
    monkeypatch.setattr("casecheck.engine.run.CHECK_KINDS", checks.CHECK_KINDS)
    result = _run(SAMPLE)
    errored = [o for o in result.outcomes if o.status == "errored"]
    assert [o.rule.id for o in errored] == ["cp-visits", "telephone-main-contact"]  # share checks
    # The reason names the error and where, never its text (which could quote a cell).
    assert errored[0].reason == (
        "ZeroDivisionError in run.py line "
        f"{errored[0].reason.split('line ')[1].split(':')[0]}: a bug in casecheck, please report it"
    )
    assert "division by zero" not in errored[0].reason
    assert all(o.status == "ran" for o in result.outcomes if o not in errored)
    assert len(result.findings) > 0

    with pytest.raises(SystemExit) as exit_info:
        main(["check", str(SAMPLE), "--fail-on", "never", "--format", "text"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 1  # an errored rule fails the run whatever --fail-on says
    assert "telephone-main-contact" in out and "ERRORED" in out


def test_rules_that_could_not_run_are_rows_of_the_csv(tmp_path: Path) -> None:
    for name in ("persons.csv", "allocations.csv", "case_notes.csv"):
        shutil.copy(SAMPLE / name, tmp_path / name)
    result = _run(tmp_path)
    rows = pd.read_csv(io.BytesIO(results_csv(result)), dtype=str, keep_default_na=False)
    skipped = rows[rows["check"] == "(rule not run)"]
    assert set(skipped["rule_id"]) == {o.rule.id for o in result.outcomes if o.status == "not_run"}
    placements = skipped[skipped["rule_id"] == "placement-plan-per-move"].iloc[0]
    assert placements["message"] == "no placements.csv in this export"
    assert placements["PERSON_ID"] == ""
    assert rows.loc[rows["check"] != "(rule not run)", "days_overdue"].str.fullmatch(r"\d+").all()


def test_a_disabled_rule_is_not_run_not_passed(tmp_path: Path) -> None:
    config = CouncilConfig.model_validate({"rules": {"cla-visits": {"enabled": False}}})
    rules = load_rules(DEFAULT_RULES, config)
    result = run_rules(load_export(SAMPLE, config), rules, AS_OF)
    outcome = next(o for o in result.outcomes if o.rule.id == "cla-visits")
    assert (outcome.status, outcome.reason) == ("not_run", "turned off in casecheck.yaml")
    assert "cla-visits" not in set(result.findings["rule_id"])


def test_ties_between_allocations_do_not_depend_on_row_order(tmp_path: Path) -> None:
    """Two allocations starting the same day: the order of the rows must not change anything."""
    rows = [
        "A1,P1,W1,Team A,2025-01-01,2025-03-02",
        "A2,P1,W2,Team B,2025-03-03,",
        "A3,P1,W1,Team A,2025-03-03,",
    ]
    results = []
    for order in (rows, rows[::-1]):
        folder = tmp_path / f"order{len(results)}"
        folder.mkdir()
        (folder / "persons.csv").write_text("PERSON_ID,DATE_OF_BIRTH\nP1,2015-01-01\n")
        (folder / "allocations.csv").write_text(
            "ALLOCATION_ID,PERSON_ID,WORKER_ID,TEAM_NAME,START_DATE,END_DATE\n"
            + "\n".join(order)
            + "\n"
        )
        (folder / "case_notes.csv").write_text(
            "CASE_NOTE_ID,PERSON_ID,NOTE_TYPE,CONTACT_DATE,CREATED_ON\n"
        )
        result = _run_as_of(folder, dt.date(2025, 6, 1))
        results.append(result)
    first, second = results
    pd.testing.assert_frame_equal(first.findings, second.findings)
    pd.testing.assert_frame_equal(first.due_soon, second.due_soon)
    assert set(first.findings["team"]) == {"Team B"}  # the tie is settled by worker id (W2)


def _run_as_of(folder: Path, as_of: dt.date) -> RunResult:
    config = load_config(folder)
    rules = load_rules(DEFAULT_RULES, config)
    return run_rules(load_export(folder, config), rules, as_of)


def test_an_export_whose_persons_file_has_no_rows_runs_every_rule(tmp_path: Path) -> None:
    # Every other row names no known child and is set aside; no rule may error over it (the
    # per-event rules once did, looking up birthdays in an empty table).
    folder = tmp_path / "export"
    shutil.copytree(SAMPLE, folder)
    header = (SAMPLE / "persons.csv").read_text(encoding="utf-8").splitlines()[0]
    (folder / "persons.csv").write_text(header + "\n", encoding="utf-8")
    result = _run(folder)
    assert [o.rule.id for o in result.outcomes if o.status == "errored"] == []
    assert result.findings.empty
    orphans = result.export.problems[result.export.problems["table"] != "persons"]
    assert len(orphans) and orphans["message"].str.contains("has no usable row in").all()
