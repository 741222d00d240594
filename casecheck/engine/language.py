"""The words every rule file shares: strict models, severities, evidence and windows."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from casecheck.calendar import Duration


class Severity(StrEnum):
    """How much an exception matters: --fail-on picks the lowest that fails a run."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {"low": 1, "medium": 2, "high": 3}[self.value]


class Area(StrEnum):
    """The part of the service a rule belongs to: `rules list` groups rules by it, in this order."""

    LOOKED_AFTER = "looked_after"
    CHILD_PROTECTION = "child_protection"
    CHILDREN_IN_NEED = "children_in_need"
    CARE_LEAVERS = "care_leavers"
    ALL_OPEN_CASES = "all_open_cases"

    @property
    def words(self) -> str:
        """'Looked after', 'Child protection', ...: the heading `rules list` shows."""
        return self.value.replace("_", " ").capitalize()


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


class Condition(Strict):
    """A condition on one column of a row, written in one of four ways.

    `[a, b]` (one of these values), `{not: [a, b]}` (none of them; a blank cell passes), `blank`
    or `not blank`. Values match case-insensitively with spaces folded.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    one_of: list[str] | None = None
    none_of: list[str] | None = Field(default=None, alias="not")
    blank: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"one_of": data}
        if isinstance(data, str):
            words = " ".join(data.split()).lower()
            if words in ("blank", "not blank"):
                return {"blank": words == "blank"}
            raise ValueError(
                f'cannot read "{data}" as a condition: write a list of values, '
                "{not: [values]}, blank or not blank"
            )
        return data

    @model_validator(mode="after")
    def _something(self) -> Condition:
        if self.one_of is None and self.none_of is None and self.blank is None:
            raise ValueError("a condition needs a list of values, not:, blank or not blank")
        return self


Where = dict[str, Condition]
