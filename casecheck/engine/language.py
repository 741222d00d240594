"""The words every rule file shares: strict models, severities, evidence and windows."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from casecheck.calendar import Duration


class Severity(StrEnum):
    """How much an exception matters: --fail-on picks the lowest that fails a run."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {"low": 1, "medium": 2, "high": 3}[self.value]


class Strict(BaseModel):
    """A part of a rule file: unknown keys are errors, values never change after reading."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Requirement = Literal["recorded"] | bool | list[str]


class Window(Strict):
    """Where evidence must fall around an event: from `before` it up to `after` it."""

    before: Duration = Duration.parse("0 days")
    after: Duration


class Evidence(Strict):
    """What counts as evidence: an evidence kind, optionally only in Documents, with fields set."""

    kind: str
    in_documents: bool = False
    require: dict[str, Requirement] = Field(default_factory=dict)
