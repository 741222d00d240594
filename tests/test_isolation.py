"""A failure while preparing what every rule shares (the Context's frames) errs only the rules
that need it, names what broke and where, still writes every report, and exits 1."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

import casecheck.engine.context
from casecheck.cli import main
from casecheck.engine.context import Context
from casecheck.report.formats import REPORTERS

SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"
STEM = "casecheck-synthetic-borough-council-sample-data-not-real-people-2026-10-30"
REASON = re.compile(
    r"RuntimeError while preparing (\w+) \(shared by the rules\) in (\w+\.py) line \d+: "
    r"a bug in casecheck, please report it"
)


NOTHING_RAN = (
    "warning: no rule could run on this export, so nothing was checked "
    "(each rule's reason is in the report); exit 1\n"
)


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("PERSON_ID P000004 is private")  # an error's text can quote data


def check_every_format(folder: Path) -> tuple[int, str, dict[str, Any]]:
    """`casecheck check sample_exports` writing every format to `folder`."""
    formats = [arg for fmt in REPORTERS if fmt != "auto" for arg in ("--format", fmt)]
    args = ["check", str(SAMPLE), "--as-of", "2026-10-30", *formats, "--output", str(folder)]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), pytest.raises(SystemExit) as caught:
        main(args)
    for reporter in REPORTERS.values():
        path = folder / f"{STEM}.{reporter.extension}"
        assert path.stat().st_size > 0, path.name
    document = json.loads((folder / f"{STEM}.json").read_text(encoding="utf-8"))
    assert isinstance(caught.value.code, int)
    # Besides naming each file written, stderr says only what the test expects.
    written = "".join(f"Wrote {folder / STEM}.{r.extension}\n" for r in REPORTERS.values())
    assert err.getvalue().startswith(written)
    return caught.value.code, err.getvalue().removeprefix(written), document


def statuses(document: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {r["rule_id"]: (r["status"], r["reason"]) for r in document["rules"]}


def test_a_failure_preparing_evidence_errs_the_rules_that_need_it_and_the_rest_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Context, "_evidence_from", boom)
    code, err, document = check_every_format(tmp_path)
    assert code == 1
    assert err == ""
    rules = statuses(document)
    errored = {k: reason for k, (status, reason) in rules.items() if status == "errored"}
    ran = {k for k, (status, _) in rules.items() if status == "ran"}
    assert "supervision-uploaded" in errored and "placement-plan-per-move" in errored
    assert {"placement-stability", "contact-decision-timely", "case-notes-timely"} <= ran
    for reason in errored.values():
        assert reason is not None
        match = REASON.fullmatch(reason)
        assert match, reason
        assert match.groups() == ("evidence", "context.py")
    assert "P000004 is private" not in json.dumps(document)
    assert document["exceptions"]  # the rules that ran still report what they found


def test_a_failure_preparing_the_case_holders_errs_every_rule_and_writes_every_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(casecheck.engine.context, "spells", boom)
    code, err, document = check_every_format(tmp_path)
    assert code == 1
    assert err == NOTHING_RAN
    rules = statuses(document)
    assert {status for status, _ in rules.values()} <= {"errored", "not_run"}
    reasons = {reason for status, reason in rules.values() if status == "errored"}
    assert reasons and all(REASON.fullmatch(r or "") for r in reasons), reasons
    assert {REASON.fullmatch(r or "").group(1) for r in reasons} == {  # type: ignore[union-attr]
        "allocation_spells",
        "placement_spells",
    }
    assert document["exceptions"] == []
    junit = (tmp_path / f"{STEM}.xml").read_text(encoding="utf-8")
    assert "while preparing allocation_spells (shared by the rules)" in junit


def break_vocabulary(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(casecheck.engine.context, "evidence_vocabulary", boom)


def break_holder(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(Context, "holder", property(boom))


@pytest.mark.parametrize(
    ("target", "name"),
    [(break_vocabulary, "vocabulary"), (break_holder, "holder")],  # the holder errs every rule
    ids=["vocabulary", "holder"],
)
def test_a_failure_outside_any_rule_is_still_reported_as_errored_rules(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: Callable[[pytest.MonkeyPatch], None],
    name: str,
) -> None:
    """The vocabulary is read when deciding whether a rule can run, the holders after all have
    run: both used to end the run with exit 3 and no report."""
    target(monkeypatch)
    code, err, document = check_every_format(tmp_path)
    assert code == 1
    assert err == (NOTHING_RAN if name == "holder" else "")
    errored = [r for r in document["rules"] if r["status"] == "errored"]
    assert errored
    for rule in errored:
        assert f"RuntimeError while preparing {name} (shared by the rules) in " in rule["reason"]
