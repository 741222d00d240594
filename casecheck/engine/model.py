"""The rule language: what a rule file may say, validated by pydantic with extra keys forbidden."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from casecheck.calendar import Duration

RULE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class Severity(StrEnum):
    """How much an exception matters: --fail-on picks the lowest that fails a run."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {"low": 1, "medium": 2, "high": 3}[self.value]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scope(Strict):
    """Which children a rule applies to at the as-of date; keys in one mapping must all hold."""

    allocated: bool | None = None  # an allocated worker at the as-of date
    looked_after: bool | None = None  # an open placement at the as-of date
    uasc: bool | None = None  # UASC flag
    age_estimated: bool | None = None  # AGE_ESTIMATED flag
    missing_within: Duration | None = None  # a missing episode started within this long
    age_at_least: int | None = Field(default=None, ge=0, le=25)
    age_under: int | None = Field(default=None, ge=0, le=26)
    open_for: Duration | None = None  # allocated without a break for at least this long
    all_of: list[Scope] | None = None
    any_of: list[Scope] | None = None

    @model_validator(mode="before")
    @classmethod
    def _atom(cls, data: Any) -> Any:
        if isinstance(data, str):
            if data not in ("allocated", "looked_after", "uasc", "age_estimated"):
                raise ValueError(
                    f'unknown scope "{data}" (write allocated, looked_after, uasc or '
                    "age_estimated, or a mapping such as missing_within: 12 months)"
                )
            return {data: True}
        return data

    @model_validator(mode="after")
    def _not_empty(self) -> Scope:
        if not self.model_fields_set:
            raise ValueError("a scope needs at least one condition")
        return self


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


class EvidencePerEvent(Strict):
    """Each event (a placement start, a return from missing, ...) needs evidence in a window."""

    kind: Literal["evidence_per_event"]
    event: str
    where: dict[str, list[str]] = Field(default_factory=dict)  # only events with these values
    lookback: Duration
    evidence: Evidence
    window: Window


class EvidenceRecurring(Strict):
    """While in scope, evidence is due `first_due` after the clock starts, then every `every`.

    `schedule` is the general form: the nth interval applies after the nth piece of evidence, the
    last one repeating (CLA reviews: 20 working days, 3 months, then 6 months).
    """

    kind: Literal["evidence_recurring"]
    evidence: Evidence
    clock: Literal["scope", "first_allocation", "current_placement", "period_of_care"] = "scope"
    # Evidence from when the clock started (default), or from any time: then evidence from
    # before the clock started counts, but the first due date is never before `first_due`.
    count_from: Literal["clock", "any_time"] = "clock"
    first_due: Duration | None = None
    every: Duration | None = None
    schedule: list[Duration] | None = None

    @model_validator(mode="after")
    def _intervals(self) -> EvidenceRecurring:
        if self.schedule is None and self.first_due is None:
            raise ValueError("give first_due (and optionally every), or a schedule")
        if self.schedule is not None and (self.first_due or self.every):
            raise ValueError("give either a schedule or first_due/every, not both")
        if self.schedule is not None and not self.schedule:
            raise ValueError("a schedule needs at least one interval")
        return self

    @property
    def intervals(self) -> list[Duration]:
        if self.schedule is not None:
            return self.schedule
        assert self.first_due is not None
        return [self.first_due, *([self.every] if self.every else [])]

    @property
    def repeats(self) -> bool:
        return (self.schedule is not None and len(self.schedule) > 1) or self.every is not None


class Records(Strict):
    """Each record of a table in the look-back: recorded on time, and/or with fields filled in."""

    kind: Literal["records"]
    table: str
    date: str  # the column holding when the event happened
    lookback: Duration
    evidence: str | None = None  # only records that count as this evidence kind
    where: dict[str, list[str]] = Field(default_factory=dict)  # only rows with these values
    recorded: str | None = None  # the column holding when it was recorded or done
    within: Duration | None = None
    require: dict[str, Requirement] = Field(default_factory=dict)
    # The record lasted no more than this from `date` to `end` (blank: still open, counted up
    # to the as-of date): "a temporary placement lasts at most 6 weeks".
    end: str | None = None
    lasted_more_than: Duration | None = None
    what: str  # the record, in words, followed by its date in messages: "Case note of"
    recorded_what: str = "recorded"  # what `recorded` holds: "decision", "return home interview"

    @model_validator(mode="after")
    def _something(self) -> Records:
        if (self.recorded is None) != (self.within is None):
            raise ValueError("recorded and within go together")
        if (self.end is None) != (self.lasted_more_than is None):
            raise ValueError("end and lasted_more_than go together")
        if self.recorded is not None and self.end is not None:
            raise ValueError(
                "recorded/within and end/lasted_more_than are two checks: give each its own"
            )
        if self.recorded is None and self.end is None and not self.require:
            raise ValueError(
                "a records check needs recorded/within, or end/lasted_more_than, or require"
            )
        return self


class Threshold(Strict):
    """N or more events in the period to the as-of date (placement moves, changes of worker)."""

    kind: Literal["threshold"]
    count: Literal["placements", "workers", "missing_episodes"]
    period: Duration
    at_least: int = Field(ge=1)


class Share(Strict):
    """The share of a child's records in the period that match `where` is above a limit."""

    kind: Literal["share"]
    table: str
    date: str
    period: Duration
    where: dict[str, list[str]]
    more_than: float = Field(ge=0, le=1)
    min_records: int = Field(default=1, ge=1)
    what: str  # "visits by telephone"


Check = Annotated[
    EvidencePerEvent | EvidenceRecurring | Records | Threshold | Share,
    Field(discriminator="kind"),
]


class Rule(Strict):
    """One rule file: metadata, the children it applies to, and its named checks."""

    id: str
    title: str
    severity: Severity
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
