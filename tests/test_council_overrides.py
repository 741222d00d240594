"""A council's rule overrides (rules: in casecheck.yaml) and file names, in messages: an error
in an override names casecheck.yaml and its line like every config error, and a rule that cannot
run names the file the council's config gives for the table."""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from casecheck.cli import main
from casecheck.engine.rulefiles import DEFAULT_RULES

SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"
KINDS = (
    "age_assessment, care_plan, case_summary, child_and_family_assessment, chronology, "
    "cin_plan_review, cin_visit, cla_review, cla_visit, cp_review_conference, cp_visit, genogram, "
    "information_sharing_agreement, initial_cp_conference, initial_health_assessment, "
    "management_oversight, missing_plan, needs_assessment, pathway_plan, personal_education_plan, "
    "placement_plan, review_health_assessment, risk_assessment, section_47_enquiry, "
    "strategy_discussion, supervision, visit"
)


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    assert isinstance(caught.value.code, int)
    return caught.value.code, out.getvalue(), err.getvalue()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """The sample export with its documents table renamed, as a council's config says."""
    folder = tmp_path / "export"
    shutil.copytree(SAMPLE, folder)
    (folder / "documents.csv").rename(folder / "docs_export.csv")
    return folder


def configure(folder: Path, rules: str) -> Path:
    path = folder / "casecheck.yaml"
    path.write_text(
        "council: Testshire\ntables:\n  documents:\n    file: docs_export.csv\n" + rules,
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("override", "line", "message"),
    [
        (
            "checks:\n      plan:\n        window: {after: ten days}\n",
            9,
            "at rules > placement-plan-per-move > checks > plan > window > after: cannot read "
            '"ten days" as a duration: write a whole number and a unit, such as "5 working days", '
            '"30 days", "6 weeks", "3 months" or "72 hours". Correct the value.',
        ),
        (
            "checks:\n      plan:\n        evidence: {kind: nothing}\n",
            9,
            "at rules > placement-plan-per-move > checks > plan > evidence > kind: unknown "
            f'evidence kind "nothing". Use one of {KINDS}, or define it under evidence: in '
            "casecheck.yaml.",
        ),
        (
            "severity: urgent\n",
            7,
            "at rules > placement-plan-per-move > severity: Input should be 'low', 'medium' "
            "or 'high'. Correct the value.",
        ),
        (
            "checks:\n      plan:\n        windoe: {after: 10 days}\n",
            9,
            'at rules > placement-plan-per-move > checks > plan > windoe: unknown key "windoe". '
            "Remove it or correct its spelling.",
        ),
    ],
    ids=["bad-duration", "unknown-kind", "bad-severity", "unknown-key"],
)
def test_an_override_error_names_casecheck_yaml_its_line_what_and_fix(
    export: Path, override: str, line: int, message: str
) -> None:
    path = configure(export, "rules:\n  placement-plan-per-move:\n    " + override)
    code, out, err = run("check", export, "--as-of", "2026-10-30")
    assert code == 2
    assert out == ""
    assert err == f"error: {path}, line {line}: {message}\n"
    assert str(DEFAULT_RULES) not in err


def test_an_override_of_an_unknown_rule_names_its_line(export: Path) -> None:
    path = configure(export, "rules:\n  placement-plan-per-mov:\n    enabled: false\n")
    code, _, err = run("check", export, "--as-of", "2026-10-30")
    assert code == 2
    assert err.startswith(
        f"error: {path}, line 6: at rules > placement-plan-per-mov: no rule has this id. "
        "The rules are: age-assessment-in-documents, case-notes-timely, "
    )


def test_a_rule_that_cannot_run_names_the_councils_file_for_the_table(export: Path) -> None:
    (export / "docs_export.csv").unlink()
    configure(export, "")
    code, out, err = run("check", export, "--as-of", "2026-10-30", "--format", "json")
    assert code == 1, err
    assert (
        '"reason": "no docs_export.csv in this export (needed for age assessment evidence)"' in out
    )
    assert '"reason": "no docs_export.csv in this export (needed for chronology evidence)"' in out
    assert "documents.csv" not in out
