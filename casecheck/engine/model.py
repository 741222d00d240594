"""The rule language: what a rule file may say, validated by pydantic with extra keys forbidden."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from casecheck.engine.kinds.evidence_per_event import EvidencePerEvent
from casecheck.engine.kinds.evidence_recurring import EvidenceRecurring
from casecheck.engine.kinds.records import Records
from casecheck.engine.kinds.share import Share
from casecheck.engine.kinds.threshold import Threshold
from casecheck.engine.language import Area, Evidence, Requirement, Severity, Strict, Window
from casecheck.engine.scope import Scope

__all__ = [
    "Area",
    "Check",
    "Evidence",
    "EvidencePerEvent",
    "EvidenceRecurring",
    "Records",
    "Requirement",
    "Rule",
    "Scope",
    "Severity",
    "Share",
    "Threshold",
    "Window",
]

RULE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# One model per check kind, told apart by `kind` (the registry is engine/checks.py).
Check = Annotated[
    EvidencePerEvent | EvidenceRecurring | Records | Threshold | Share,
    Field(discriminator="kind"),
]


class Rule(Strict):
    """One rule file: metadata, the children it applies to, and its named checks."""

    id: str
    title: str
    severity: Severity
    area: Area  # looked_after, child_protection, children_in_need, care_leavers, all_open_cases
    why: str
    how_to_fix: str
    source: str
    enabled: bool = True
    scope: Scope | None = None
    checks: dict[str, Check]

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f'rule id "{value}" must be lower-case words joined by hyphens')
        return value

    @field_validator("checks")
    @classmethod
    def _some(cls, value: dict[str, Check]) -> dict[str, Check]:
        if not value:
            raise ValueError("a rule needs at least one check")
        return value

    @model_validator(mode="after")
    def _deadlines_in_scope(self) -> Rule:
        """Per-event checks check each deadline against the rule's scope on its day."""
        for check in self.checks.values():
            if isinstance(check, EvidencePerEvent):
                check.within(self.scope)
        return self
