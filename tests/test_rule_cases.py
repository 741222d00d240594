"""The one runner for every rule's YAML case file (tests/rule_cases/<rule-id>.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casecheck.engine.cases import Case, case_rule, read_cases, run_case
from casecheck.engine.model import EvidencePerEvent, EvidenceRecurring, Records, Rule
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.export.config import CouncilConfig

CASES = Path(__file__).parent / "rule_cases"
RULE_FILES = sorted(DEFAULT_RULES.glob("*.yaml"))
ALWAYS = {"compliant", "exception", "not_in_scope", "boundary"}


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = read_cases(path)
        for case in doc.cases:
            params.append(pytest.param(path, doc.rule, case, id=f"{doc.rule}: {case.name}"))
    return params


def _rule(rule_id: str, config: CouncilConfig) -> Rule:
    rules = {r.id: r for r in load_rules(DEFAULT_RULES, config)}
    return rules[rule_id]


@pytest.mark.parametrize(("path", "rule_id", "case"), _cases())
def test_rule_case(path: Path, rule_id: str, case: Case) -> None:
    """Every exception and due-soon item, whole (child, check, due date, message), and no other."""
    rule, config = case_rule(DEFAULT_RULES, rule_id, case, str(path))
    differences = run_case(rule, case, config)
    assert not differences, "\n".join(differences)


def _required_tags(rule: Rule) -> set[str]:
    tags = set(ALWAYS)
    timed = [
        c
        for c in rule.checks.values()
        if isinstance(c, EvidencePerEvent | EvidenceRecurring | Records)
    ]
    # A case note's own creation (CREATED_ON) cannot be pending: a note not yet created is not
    # on the file, so such a check has nothing to be due soon.
    if any(
        not isinstance(c, Records)
        or (c.within is not None and (c.table, c.recorded) != ("case_notes", "CREATED_ON"))
        for c in timed
    ):
        tags.add("not_yet_due")
    if "working days" in Path(DEFAULT_RULES / f"{rule.id}.yaml").read_text(encoding="utf-8"):
        tags.add("bank_holiday")
    return tags


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=[p.stem for p in RULE_FILES])
def test_every_rule_has_its_cases(rule_file: Path) -> None:
    """A shipped rule lacking compliant, exception, not-in-scope, not-yet-due or boundary cases."""
    config = CouncilConfig()
    rule = _rule(rule_file.stem, config)
    case_file = CASES / rule_file.name
    assert case_file.exists(), f"{rule.id} has no case file {case_file}"
    doc = read_cases(case_file)
    assert doc.rule == rule.id
    tags = {t for case in doc.cases for t in case.tags}
    missing = _required_tags(rule) - tags
    assert not missing, f"{case_file.name} has no case tagged {sorted(missing)}"
    checks = {e.check for case in doc.cases for e in case.expect.exceptions}
    assert checks >= set(rule.checks), (
        f"{case_file.name} never fails check(s) {sorted(set(rule.checks) - checks)}"
    )
