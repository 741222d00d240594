"""The words every rule file shares: strict models, severities, evidence and windows."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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


COLUMN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SPAN = re.compile(r"^(?P<duration>.+?)\s+(?P<side>after|before)\s+(?P<ref>\S+)$")


class DateRef(Strict):
    """What a date is compared with: another date column of the row, or a fixed date."""

    column: str | None = None
    date: dt.date | None = None

    @classmethod
    def read(cls, text: Any) -> DateRef:
        if isinstance(text, dt.date):
            return cls(date=text)
        text = str(text).strip()
        if ISO_DATE.match(text):
            try:
                return cls(date=dt.date.fromisoformat(text))
            except ValueError:
                raise ValueError(f'"{text}" is not a date (write YYYY-MM-DD)') from None
        if COLUMN_NAME.match(text):
            return cls(column=text)
        raise ValueError(
            f'cannot read "{text}" as a column or a date: write a date column (START_DATE) or a '
            "date (2025-04-01)"
        )

    def __str__(self) -> str:
        return self.column if self.column else self.date.strftime("%d/%m/%Y") if self.date else ""


class Span(Strict):
    """`6 weeks after START_DATE`: a duration before or after a column or a date."""

    duration: Duration
    side: Literal["after", "before"]
    ref: DateRef

    @classmethod
    def read(cls, text: Any) -> Span:
        match = _SPAN.match(str(text).strip())
        if match is None:
            raise ValueError(
                f'cannot read "{text}" as a time from a date: write a duration, after or '
                "before, and a date column or a date, such as 6 weeks after START_DATE"
            )
        return cls(
            duration=Duration.parse(match["duration"]),
            side="after" if match["side"] == "after" else "before",
            ref=DateRef.read(match["ref"]),
        )

    def __str__(self) -> str:
        return f"{self.duration} {self.side} {self.ref}"


class Condition(Strict):
    """A condition on one column of a row.

    `[a, b]` (one of these values), `{not: [a, b]}` (none of them; a blank cell passes), `blank`
    or `not blank`. Values match case-insensitively with spaces folded. On a date column also
    comparisons, by day: `{after: START_DATE}`, `{before: 2025-04-01}` (another date column of
    the row, or a date), `{within: 6 weeks after START_DATE}` (from that date to 6 weeks after
    it, both days included; or `before`), `{more_than: 6 weeks after START_DATE}`. A blank date,
    on either side, never passes a comparison.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    one_of: list[str] | None = None
    none_of: list[str] | None = Field(default=None, alias="not")
    blank: bool | None = None
    after: DateRef | None = None
    before: DateRef | None = None
    within: Span | None = None
    more_than: Span | None = None

    @field_validator("after", "before", mode="before")
    @classmethod
    def _ref(cls, value: Any) -> Any:
        return value if value is None or isinstance(value, DateRef) else DateRef.read(value)

    @field_validator("within", "more_than", mode="before")
    @classmethod
    def _span(cls, value: Any) -> Any:
        return value if value is None or isinstance(value, Span) else Span.read(value)

    @property
    def compares_dates(self) -> bool:
        return any(v is not None for v in (self.after, self.before, self.within, self.more_than))

    @property
    def columns_compared(self) -> list[str]:
        """The other columns of the row a date comparison reads."""
        refs = [self.after, self.before]
        refs += [span.ref for span in (self.within, self.more_than) if span is not None]
        return [r.column for r in refs if r is not None and r.column is not None]

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
        values = (self.one_of, self.none_of, self.blank)
        if all(v is None for v in values) and not self.compares_dates:
            raise ValueError(
                "a condition needs a list of values, not:, blank, not blank, or a comparison "
                "of dates (after:, before:, within:, more_than:)"
            )
        return self


Where = dict[str, Condition]
