"""Rule cases: small exports with the exceptions a rule must find, read from YAML and run.

The same format serves the shipped rules (tests/rule_cases/<rule-id>.yaml) and a council's own
(`casecheck rules test DIR`). Each case states every exception and due-soon item whole: child,
check, due date and message.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from casecheck.engine.language import Strict
from casecheck.engine.model import Rule
from casecheck.engine.run import run_rules
from casecheck.errors import RuleFileError
from casecheck.export.config import CouncilConfig
from casecheck.export.load import load_export
from casecheck.yamlfile import read_yaml, validate

Tag = Literal["compliant", "exception", "not_in_scope", "not_yet_due", "boundary", "bank_holiday"]


class Item(Strict):
    """One exception or due-soon item a case expects."""

    person: str
    check: str
    due: dt.date
    message: str


class Expect(Strict):
    """What running the rule on the case's tables gives."""

    status: Literal["ran", "not_run", "errored"] = "ran"
    reason: str | None = None  # why it did not run, when that is the point of the case
    in_scope: list[str] | None = None
    exceptions: list[Item] = Field(default_factory=list)
    due_soon: list[Item] = Field(default_factory=list)


class Case(Strict):
    """One case: tables as CSV text, an as-of date, optional config, and what to expect."""

    name: str
    why: str | None = None  # why the case exists: the regulation, the audit finding, the bug
    tags: list[Tag] = Field(default_factory=list)
    as_of: dt.date
    config: dict[str, Any] = Field(default_factory=dict)
    tables: dict[str, str]
    expect: Expect


class CaseFile(Strict):
    """A rule's case file: the rule's id and its cases."""

    rule: str
    cases: list[Case]


@dataclass(frozen=True)
class CaseOutcome:
    """One case run: its name and what differed from what it expects (empty: it passed)."""

    rule_id: str
    name: str
    differences: list[str]

    @property
    def passed(self) -> bool:
        return not self.differences


def read_cases(path: Path) -> CaseFile:
    """A case file, validated; an invalid one stops with a message naming the file and line."""
    doc = read_yaml(path, RuleFileError)
    cases: CaseFile = validate(doc, CaseFile, RuleFileError)
    return cases


def _items(frame: Any) -> list[tuple[str, str, str, str]]:
    return sorted(
        (r["PERSON_ID"], r["check"], r["due_date"].date().isoformat(), r["message"])
        for r in frame.to_dict("records")
    )


def _differences(
    kind: str, found: Sequence[tuple[str, ...]], wanted: Sequence[tuple[str, ...]]
) -> list[str]:
    out = [f"{kind} not expected: {' | '.join(f)}" for f in found if f not in wanted]
    out += [f"{kind} expected, not found: {' | '.join(w)}" for w in wanted if w not in found]
    return out


def run_case(rule: Rule, case: Case, config: CouncilConfig) -> list[str]:
    """Run `rule` (overrides applied) on the case's tables; how the result differs from `expect`."""
    with tempfile.TemporaryDirectory(prefix="casecheck-case-") as folder:
        for table, text in case.tables.items():
            (Path(folder) / f"{table}.csv").write_text(text, encoding="utf-8")
        export = load_export(Path(folder), config)
    if not export.problems.empty:
        problems = export.problems[["file", "row", "column", "message"]].astype(str)
        return [f"input problem: {' '.join(p)}" for p in problems.itertuples(index=False)]
    result = run_rules(export, [rule], case.as_of)
    outcome = result.outcomes[0]
    expect = case.expect
    out: list[str] = []
    if outcome.status != expect.status:
        out.append(f"status {outcome.status} ({outcome.reason}), expected {expect.status}")
    if expect.reason is not None and outcome.reason != expect.reason:
        out.append(f'reason "{outcome.reason}", expected "{expect.reason}"')
    wanted = [(w.person, w.check, w.due.isoformat(), w.message) for w in expect.exceptions]
    out += _differences("exception", _items(result.findings), sorted(wanted))
    wanted = [(w.person, w.check, w.due.isoformat(), w.message) for w in expect.due_soon]
    out += _differences("due soon", _items(result.due_soon), sorted(wanted))
    if expect.in_scope is not None:
        scope = sorted(result.in_scope["PERSON_ID"])
        if scope != sorted(expect.in_scope):
            out.append(f"in scope {scope}, expected {sorted(expect.in_scope)}")
    return out


def case_rule(folder: Path, rule_id: str, case: Case, where: str) -> tuple[Rule, CouncilConfig]:
    """The rule as the case's config leaves it (its overrides and evidence names applied)."""
    from casecheck.engine.rulefiles import load_rules

    try:
        config = CouncilConfig.model_validate(case.config)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = " > ".join(str(p) for p in first["loc"])
        raise RuleFileError(
            where, f'case "{case.name}": at config > {at}: {first["msg"]}', "Correct the config."
        ) from None
    rules = {r.id: r for r in load_rules(folder, config)}
    if rule_id not in rules:
        raise RuleFileError(
            where,
            f'the cases are for rule "{rule_id}", which is not in {folder}',
            f"Use one of {', '.join(sorted(rules))}, or name the rule folder with --rules.",
        )
    return rules[rule_id], config


def run_case_file(path: Path, rules_folder: Path) -> list[CaseOutcome]:
    """Every case of one file, each against its rule read from `rules_folder`."""
    cases = read_cases(path)
    outcomes = []
    for case in cases.cases:
        rule, config = case_rule(rules_folder, cases.rule, case, str(path))
        outcomes.append(CaseOutcome(cases.rule, case.name, run_case(rule, case, config)))
    return outcomes
