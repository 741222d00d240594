"""The one runner for every rule's YAML case file (tests/rule_cases/<rule-id>.yaml).

A preset's own rules have theirs in tests/rule_cases/<preset>/<rule-id>.yaml, run against the
preset's rule pack; a preset rule that is a copy of a shipped rule (byte for byte) is covered by
the shipped rule's cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from casecheck.engine.cases import Case, case_rule, read_cases, run_case
from casecheck.engine.model import EvidencePerEvent, EvidenceRecurring, Records, Rule
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.export.config import CouncilConfig
from casecheck.export.preset import PRESETS

CASES = Path(__file__).parent / "rule_cases"
PACKS = {"": DEFAULT_RULES, **{name: found.rules for name, found in PRESETS.items()}}
RULE_FILES = [
    (pack, path) for pack, folder in PACKS.items() for path in sorted(folder.glob("*.yaml"))
]
ALWAYS = {"compliant", "exception", "not_in_scope", "boundary"}


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES.rglob("*.yaml")):
        pack = "" if path.parent == CASES else path.parent.name
        doc = read_cases(path)
        for case in doc.cases:
            name = f"{pack + ' ' if pack else ''}{doc.rule}: {case.name}"
            params.append(pytest.param(pack, path, doc.rule, case, id=name))
    return params


def _rule(rule_id: str, config: CouncilConfig, pack: str = "") -> Rule:
    rules = {r.id: r for r in load_rules(PACKS[pack], config)}
    return rules[rule_id]


@pytest.mark.parametrize(("pack", "path", "rule_id", "case"), _cases())
def test_rule_case(pack: str, path: Path, rule_id: str, case: Case) -> None:
    """Every exception and due-soon item, whole (child, check, due date, message), and no other."""
    rule, config = case_rule(PACKS[pack], rule_id, case, str(path))
    differences = run_case(rule, case, config)
    assert not differences, "\n".join(differences)


def _required_tags(rule: Rule, rule_file: Path) -> set[str]:
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
    if any(isinstance(c, Records) and c.lasted_more_than is not None for c in rule.checks.values()):
        tags.add("not_yet_due")  # still open, not yet past its limit
    if "working days" in rule_file.read_text(encoding="utf-8"):
        tags.add("bank_holiday")
    return tags


@pytest.mark.parametrize(
    ("pack", "rule_file"),
    RULE_FILES,
    ids=[f"{k + ' ' if k else ''}{p.stem}" for k, p in RULE_FILES],
)
def test_every_rule_has_its_cases(pack: str, rule_file: Path) -> None:
    """A rule lacking compliant, exception, not-in-scope, not-yet-due or boundary cases."""
    config = CouncilConfig()
    rule = _rule(rule_file.stem, config, pack)
    shipped = DEFAULT_RULES / rule_file.name
    copy = pack and shipped.exists() and shipped.read_bytes() == rule_file.read_bytes()
    case_file = CASES / rule_file.name if not pack or copy else CASES / pack / rule_file.name
    assert case_file.exists(), f"{rule.id} has no case file {case_file}"
    doc = read_cases(case_file)
    assert doc.rule == rule.id
    tags = {t for case in doc.cases for t in case.tags}
    missing = _required_tags(rule, rule_file) - tags
    assert not missing, f"{case_file.name} has no case tagged {sorted(missing)}"
    checks = {e.check for case in doc.cases for e in case.expect.exceptions}
    assert checks >= set(rule.checks), (
        f"{case_file.name} never fails check(s) {sorted(set(rule.checks) - checks)}"
    )
