"""Comparing a run with the previous week's JSON by fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from casecheck.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path]:  # type: ignore[type-arg]
    folder = tmp_path_factory.mktemp("weeks")
    last, this = folder / "last.json", folder / "this.json"
    for as_of, path in (("2026-10-23", last), ("2026-10-30", this)):
        with pytest.raises(SystemExit):
            main(
                ["check", str(SAMPLE), "--as-of", as_of, "--format", "json", "--output", str(path)]
            )
    with pytest.raises(SystemExit):
        main(
            [
                "check",
                str(SAMPLE),
                "--previous",
                str(last),
                "--format",
                "json",
                "--output",
                str(folder / "cmp.json"),
            ]
        )
    return json.loads(last.read_text()), json.loads((folder / "cmp.json").read_text()), last


def test_each_exception_is_new_or_still_open(weeks: tuple[dict, dict, Path]) -> None:  # type: ignore[type-arg]
    last, now, _ = weeks
    before = {e["fingerprint"] for e in last["exceptions"]}
    for exception in now["exceptions"]:
        expected = "open" if exception["fingerprint"] in before else "new"
        assert exception["since_previous"] == expected
    comparison = now["comparison"]
    assert comparison["previous_as_of"] == "2026-10-23"
    counts = comparison["counts"]
    assert counts["new"] + counts["still_open"] + counts["reopened"] == len(now["exceptions"])
    assert counts["new"] > 0 and counts["still_open"] > 0


def test_fixed_and_dropped_out_are_last_weeks_exceptions_no_longer_found(
    weeks: tuple[dict, dict, Path],  # type: ignore[type-arg]
) -> None:
    last, now, _ = weeks
    current = {e["fingerprint"] for e in now["exceptions"]}
    expected = sorted(
        e["fingerprint"] for e in last["exceptions"] if e["fingerprint"] not in current
    )
    comparison = now["comparison"]
    gone = [*comparison["fixed"], *comparison["dropped_out"]]
    assert sorted(r["fingerprint"] for r in gone) == expected
    assert comparison["fixed"] and comparison["dropped_out"], "the sample should have both"
    assert {r["why"] for r in comparison["fixed"]} == {
        "the evidence is now recorded, or the condition has cleared"
    }
    assert {r["why"] for r in comparison["dropped_out"]} <= {
        "the child is no longer in the export",
        "the case was closed",
        "the child is no longer in the rule's scope",
        "the event is now older than the rule's look-back period",
        "the rule did not run this time",
    }


def _state_checks() -> set[tuple[str, str]]:
    """Checks about a state (a count, a share) rather than a deadline: they do not age."""
    from casecheck.engine.model import Share, Threshold
    from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
    from casecheck.export.config import CouncilConfig

    config = CouncilConfig()
    rules = load_rules(DEFAULT_RULES, config)
    return {
        (rule.id, name)
        for rule in rules
        for name, check in rule.checks.items()
        if isinstance(check, Threshold | Share)
    }


def test_still_open_exceptions_keep_ageing(weeks: tuple[dict, dict, Path]) -> None:  # type: ignore[type-arg]
    last, now, _ = weeks
    before = {e["fingerprint"]: e for e in last["exceptions"]}
    state = _state_checks()
    for exception in now["exceptions"]:
        if (
            exception["since_previous"] == "open"
            and (exception["rule_id"], exception["check"]) not in state
        ):
            old = before[exception["fingerprint"]]
            assert exception["due_date"] == old["due_date"]
            assert exception["days_overdue"] == old["days_overdue"] + 7


def test_text_summary_says_what_changed(
    weeks: tuple[dict, dict, Path], capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[type-arg]
    _, now, last = weeks
    code, out, _ = _run(["check", str(SAMPLE), "--previous", str(last), "--format", "text"], capsys)
    counts = now["comparison"]["counts"]
    assert code == 1
    assert (
        f"Since the run as of 23/10/2026: {counts['new']} new, {counts['reopened']} reopened, "
        f"{counts['still_open']} still open; {counts['fixed']} fixed, "
        f"{counts['dropped_out']} dropped out"
    ) in out


def test_a_file_that_is_not_a_results_file_stops_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    code, _, err = _run(["check", str(SAMPLE), "--previous", str(bad)], capsys)
    assert code == 2
    assert err.startswith(
        f"error: {bad}: is not a results file (at schema_version: Field required)."
    )
    assert "Traceback" not in err
