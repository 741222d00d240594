"""A rule file that validation accepts is one the engine can run: what it could not run (a date
column that holds no dates, a timescale reaching past the working calendar, a required field
evidence does not have) is refused when the rules are read, naming the file, line and fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from casecheck.calendar import Duration
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.errors import ConfigError, RuleFileError
from casecheck.export.config import CouncilConfig, load_config

FIX_DATES = "Use one of START_DATE, END_DATE, RHI_DATE."


def _rules(tmp_path: Path, rule_id: str, old: str, new: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    text = (DEFAULT_RULES / f"{rule_id}.yaml").read_text("utf-8")
    assert old in text
    (folder / f"{rule_id}.yaml").write_text(text.replace(old, new, 1), "utf-8")
    return folder


def _refusal(folder: Path, config: CouncilConfig | None = None) -> str:
    with pytest.raises((RuleFileError, ConfigError)) as caught:
        load_rules(folder, config or CouncilConfig())
    return str(caught.value)


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("rule_id", "old", "new", "what"),
    [
        (
            "return-home-interview",
            "date: END_DATE",
            "date: RHI_OFFERED",
            'at checks > offered > date: "RHI_OFFERED" is not a date column of missing_episodes. '
            + FIX_DATES,
        ),
        (
            "return-home-interview",
            "recorded: RHI_DATE",
            "recorded: RHI_OFFERED",
            'at checks > offered > recorded: "RHI_OFFERED" is not a date column of '
            "missing_episodes. " + FIX_DATES,
        ),
        (
            "telephone-main-contact",
            "date: ACTUAL_DATE",
            "date: VISIT_METHOD",
            'at checks > telephone > date: "VISIT_METHOD" is not a date column of visits. '
            "Use one of ACTUAL_DATE.",
        ),
    ],
    ids=["records-date", "records-recorded", "share-date"],
)
def test_a_date_column_that_holds_no_dates_is_refused(
    tmp_path: Path, rule_id: str, old: str, new: str, what: str
) -> None:
    folder = _rules(tmp_path, rule_id, old, new)
    path = folder / f"{rule_id}.yaml"
    assert _refusal(folder) == f"{path}, line {_line(path, new)}: {what}"


@pytest.mark.parametrize(
    ("rule_id", "old", "new", "loc", "limit"),
    [
        (
            "placement-plan-per-move",
            "after: 5 working days",
            "after: 26000 working days",
            "checks > plan > window > after",
            "2600 working days",
        ),
        (
            "return-home-interview",
            "within: 72 hours",
            "within: 87661 hours",
            "checks > offered > within",
            "87660 hours",
        ),
        (
            "return-home-interview",
            "lookback: 12 months",
            "lookback: 121 months",
            "checks > offered > lookback",
            "120 months",
        ),
        (
            "missing-plan-exists",
            "missing_within: 12 months",
            "missing_within: 600 weeks",
            "scope > any_of > 1 > missing_within",
            "521 weeks",
        ),
    ],
    ids=["window", "within", "lookback", "scope"],
)
def test_a_timescale_past_the_working_calendar_is_refused(
    tmp_path: Path, rule_id: str, old: str, new: str, loc: str, limit: str
) -> None:
    folder = _rules(tmp_path, rule_id, old, new)
    path = folder / f"{rule_id}.yaml"
    written = new.split(": ", 1)[1]
    assert _refusal(folder) == (
        f'{path}, line {_line(path, new)}: at {loc}: "{written}" is longer than 10 years, the '
        f"longest timescale a rule may set; write at most {limit}. Correct the value."
    )


def test_ten_years_is_the_longest_timescale_and_is_accepted(tmp_path: Path) -> None:
    folder = _rules(
        tmp_path, "return-home-interview", "lookback: 12 months", "lookback: 120 months"
    )
    assert [r.id for r in load_rules(folder, CouncilConfig())] == ["return-home-interview"]
    assert Duration.parse("2600 working days").rule_limit() == ""
    assert Duration.parse("3653 days").rule_limit() != ""


def test_a_required_field_evidence_does_not_have_is_refused(tmp_path: Path) -> None:
    new = "kind: placement_plan\n      require: {RHI_DATE: true}"
    folder = _rules(tmp_path, "placement-plan-per-move", "kind: placement_plan", new)
    path = folder / "placement-plan-per-move.yaml"
    assert _refusal(folder) == (
        f"{path}, line {_line(path, 'RHI_DATE')}: at checks > plan > evidence > require > "
        'RHI_DATE: "RHI_DATE" cannot be required of evidence. Use one of RAG_RATING, '
        "NEXT_REVIEW_DATE, CHILD_SEEN, SEEN_ALONE, VISIT_METHOD."
    )


def test_a_councils_override_past_the_calendar_names_casecheck_yaml(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(DEFAULT_RULES / "return-home-interview.yaml", folder)
    config_file = tmp_path / "casecheck.yaml"
    config_file.write_text(
        "rules:\n  return-home-interview:\n    checks:\n      offered:\n"
        "        within: 30000 hours\n        lookback: 200 months\n",
        "utf-8",
    )
    assert _refusal(folder, load_config(tmp_path)) == (
        f"{config_file}, line 6: at rules > return-home-interview > checks > offered > lookback: "
        '"200 months" is longer than 10 years, the longest timescale a rule may set; write at '
        "most 120 months. Correct the value."
    )
