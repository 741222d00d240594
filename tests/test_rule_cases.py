"""The one runner for every rule's YAML case file (tests/rule_cases/<rule-id>.yaml).

A preset's own rules have theirs in tests/rule_cases/<preset>/<rule-id>.yaml; a preset rule that
is a copy of a shipped rule (byte for byte) is covered by the shipped rule's cases.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from casecheck.engine.model import EvidencePerEvent, EvidenceRecurring, Records, Rule
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import run_rules
from casecheck.export.config import CouncilConfig
from casecheck.export.load import load_export
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
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            name = f"{pack + ' ' if pack else ''}{doc['rule']}: {case['name']}"
            params.append(pytest.param(pack, doc["rule"], case, id=name))
    return params


def _rule(rule_id: str, config: CouncilConfig, pack: str = "") -> Rule:
    rules = {r.id: r for r in load_rules(PACKS[pack], config)}
    return rules[rule_id]


def _date(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@pytest.mark.parametrize(("pack", "rule_id", "case"), _cases())
def test_rule_case(pack: str, rule_id: str, case: dict[str, Any], tmp_path: Path) -> None:
    for table, text in case["tables"].items():
        (tmp_path / f"{table}.csv").write_text(text, encoding="utf-8")
    config = CouncilConfig.model_validate(case.get("config", {}))
    export = load_export(tmp_path, config)
    assert export.problems.empty, f"the case's tables have input problems:\n{export.problems}"
    as_of = (
        case["as_of"]
        if isinstance(case["as_of"], dt.date)
        else dt.date.fromisoformat(case["as_of"])
    )
    result = run_rules(export, [_rule(rule_id, config, pack)], as_of)
    outcome = result.outcomes[0]
    assert outcome.status == case["expect"].get("status", "ran"), outcome.reason
    expect = case["expect"]

    found = [
        {
            "person": row["PERSON_ID"],
            "check": row["check"],
            "due": row["due_date"].date().isoformat(),
            "message": row["message"],
        }
        for row in result.findings.to_dict("records")
    ]
    wanted = expect.get("exceptions", [])
    assert sorted((f["person"], f["check"], f["due"]) for f in found) == sorted(
        (w["person"], w["check"], _date(w["due"])) for w in wanted
    )
    for w in wanted:
        if "message" in w:
            messages = [
                f["message"]
                for f in found
                if f["person"] == w["person"] and f["check"] == w["check"]
            ]
            assert w["message"] in messages

    due = sorted((r["PERSON_ID"], r["check"]) for r in result.due_soon.to_dict("records"))
    assert due == sorted((d["person"], d["check"]) for d in expect.get("due_soon", []))
    for d in expect.get("due_soon", []):
        if "message" in d:  # stated whole: the due date and the message too
            assert {
                (r["PERSON_ID"], r["check"], r["due_date"].date().isoformat(), r["message"])
                for r in result.due_soon.to_dict("records")
            } >= {(d["person"], d["check"], _date(d["due"]), d["message"])}
    if "in_scope" in expect:
        assert sorted(result.in_scope["PERSON_ID"]) == sorted(expect["in_scope"])


def _required_tags(rule: Rule, rule_file: Path) -> set[str]:
    tags = set(ALWAYS)
    timed = [
        c
        for c in rule.checks.values()
        if isinstance(c, EvidencePerEvent | EvidenceRecurring | Records)
    ]
    if any(not isinstance(c, Records) or c.within is not None for c in timed):
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
    """A shipped rule lacking compliant, exception, not-in-scope, not-yet-due or boundary cases."""
    config = CouncilConfig()
    rule = _rule(rule_file.stem, config, pack)
    shipped = DEFAULT_RULES / rule_file.name
    copy = pack and shipped.exists() and shipped.read_bytes() == rule_file.read_bytes()
    case_file = CASES / rule_file.name if not pack or copy else CASES / pack / rule_file.name
    assert case_file.exists(), f"{rule.id} has no case file {case_file}"
    doc = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    assert doc["rule"] == rule.id
    tags = {t for case in doc["cases"] for t in case.get("tags", [])}
    missing = _required_tags(rule, rule_file) - tags
    assert not missing, f"{case_file.name} has no case tagged {sorted(missing)}"
    checks = {
        c
        for case in doc["cases"]
        for e in case["expect"].get("exceptions", [])
        for c in [e["check"]]
    }
    assert checks >= set(rule.checks), (
        f"{case_file.name} never fails check(s) {sorted(set(rule.checks) - checks)}"
    )
