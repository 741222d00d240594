"""The default export contract: one declaration per table, read top to bottom."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Kind(StrEnum):
    """How a column's text is parsed."""

    ID = "id"  # a string identifier: "000123" stays "000123"
    DATE = "date"  # YYYY-MM-DD or DD/MM/YYYY, optionally with a time
    FLAG = "flag"  # Y/N, Yes/No, True/False, 1/0; blank = unknown
    CHOICE = "choice"  # one of a fixed list, matched case-insensitively
    TEXT = "text"  # a short label (a team, a step type): shown in output
    FREE_TEXT = "free_text"  # free text: never echoed anywhere


class Column(BaseModel):
    """One column of a table in the export contract."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()


class Table(BaseModel):
    """One table of the export contract: a CSV file with one row per thing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    file: str
    row_is: str
    key: str | None  # the column whose values must be unique, when present
    columns: tuple[Column, ...]
    mandatory: bool = False

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def date_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind is Kind.DATE)


def _c(name: str, kind: Kind, required: bool = False, choices: tuple[str, ...] = ()) -> Column:
    return Column(name=name, kind=kind, required=required, choices=choices)


ID, DATE, FLAG, CHOICE, TEXT, FREE = (
    Kind.ID,
    Kind.DATE,
    Kind.FLAG,
    Kind.CHOICE,
    Kind.TEXT,
    Kind.FREE_TEXT,
)

STEP_STATUSES = ("INCOMING", "STARTED", "COMPLETED", "CANCELLED")
RAG_RATINGS = ("RED", "AMBER", "GREEN")
VISIT_TYPES = ("CLA", "CIN", "CP")
VISIT_METHODS = ("FACE TO FACE", "VIDEO", "TELEPHONE")
NOTE_STATUSES = ("DRAFT", "COMPLETE")

TABLES: dict[str, Table] = {
    "persons": Table(
        name="persons",
        file="persons.csv",
        row_is="child",
        key="PERSON_ID",
        mandatory=True,
        columns=(
            _c("PERSON_ID", ID, required=True),
            _c("DATE_OF_BIRTH", DATE, required=True),
            _c("GENDER", TEXT),
            _c("ETHNICITY", TEXT),
            _c("AGE_ESTIMATED", FLAG),
            _c("UASC", FLAG),
        ),
    ),
    "allocations": Table(
        name="allocations",
        file="allocations.csv",
        row_is="allocated-worker period",
        key="ALLOCATION_ID",
        columns=(
            _c("ALLOCATION_ID", ID),
            _c("PERSON_ID", ID, required=True),
            _c("WORKER_ID", ID, required=True),
            _c("WORKER_NAME", TEXT),
            _c("TEAM_NAME", TEXT, required=True),
            _c("START_DATE", DATE, required=True),
            _c("END_DATE", DATE),
        ),
    ),
    "placements": Table(
        name="placements",
        file="placements.csv",
        row_is="placement",
        key="PLACEMENT_ID",
        columns=(
            _c("PLACEMENT_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("START_DATE", DATE, required=True),
            _c("END_DATE", DATE),
            _c("PLACEMENT_TYPE", TEXT),
            _c("REASON_FOR_PLACEMENT_CHANGE", FREE),
        ),
    ),
    "workflow_steps": Table(
        name="workflow_steps",
        file="workflow_steps.csv",
        row_is="form or step (plan, assessment, review)",
        key="WORKFLOW_STEP_ID",
        columns=(
            _c("WORKFLOW_STEP_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("STEP_TYPE", TEXT, required=True),
            _c("STEP_STATUS", CHOICE, required=True, choices=STEP_STATUSES),
            _c("STARTED_ON", DATE),
            _c("COMPLETED_ON", DATE),
            _c("ASSIGNEE_ID", ID),
            _c("RESPONSIBLE_TEAM", TEXT),
            _c("RAG_RATING", CHOICE, choices=RAG_RATINGS),
            _c("NEXT_REVIEW_DATE", DATE),
            _c("DELAY_REASON", FREE),
        ),
    ),
    "documents": Table(
        name="documents",
        file="documents.csv",
        row_is="document uploaded to the Documents section",
        key="DOCUMENT_ID",
        columns=(
            _c("DOCUMENT_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("CATEGORY", TEXT, required=True),
            _c("SUB_CATEGORY", TEXT),
            _c("TITLE", FREE),
            _c("DOCUMENT_DATE", DATE),
            _c("UPLOADED_ON", DATE, required=True),
            _c("UPLOADED_BY", ID),
        ),
    ),
    "case_notes": Table(
        name="case_notes",
        file="case_notes.csv",
        row_is="case note",
        key="CASE_NOTE_ID",
        columns=(
            _c("CASE_NOTE_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("NOTE_TYPE", TEXT, required=True),
            _c("CONTACT_DATE", DATE, required=True),
            _c("CREATED_ON", DATE, required=True),
            _c("CREATED_BY", ID),
            _c("STATUS", CHOICE, choices=NOTE_STATUSES),
        ),
    ),
    "visits": Table(
        name="visits",
        file="visits.csv",
        row_is="visit",
        key="VISIT_ID",
        columns=(
            _c("VISIT_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("VISIT_TYPE", CHOICE, choices=VISIT_TYPES),
            _c("ACTUAL_DATE", DATE, required=True),
            _c("CHILD_SEEN", FLAG),
            _c("SEEN_ALONE", FLAG),
            _c("VISIT_METHOD", CHOICE, choices=VISIT_METHODS),
            _c("WORKER_ID", ID),
        ),
    ),
    "missing_episodes": Table(
        name="missing_episodes",
        file="missing_episodes.csv",
        row_is="missing episode",
        key="MISSING_EPISODE_ID",
        columns=(
            _c("MISSING_EPISODE_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("START_DATE", DATE, required=True),
            _c("END_DATE", DATE),
            _c("RHI_OFFERED", FLAG),
            _c("RHI_DATE", DATE),
        ),
    ),
    "contacts": Table(
        name="contacts",
        file="contacts.csv",
        row_is="contact or referral",
        key="CONTACT_ID",
        columns=(
            _c("CONTACT_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("RECEIVED_ON", DATE, required=True),
            _c("DECISION_ON", DATE),
            _c("OUTCOME", TEXT),
        ),
    ),
    "cp_plans": Table(
        name="cp_plans",
        file="cp_plans.csv",
        row_is="child-protection plan",
        key="CP_PLAN_ID",
        columns=(
            _c("CP_PLAN_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("START_DATE", DATE, required=True),
            _c("END_DATE", DATE),
            _c("CATEGORY", TEXT),
        ),
    ),
    "cin_plans": Table(
        name="cin_plans",
        file="cin_plans.csv",
        row_is="child-in-need plan",
        key="CIN_PLAN_ID",
        columns=(
            _c("CIN_PLAN_ID", ID, required=True),
            _c("PERSON_ID", ID, required=True),
            _c("START_DATE", DATE, required=True),
            _c("END_DATE", DATE),
        ),
    ),
}

# Pairs of (start, end) columns where an end before its start makes the row unusable.
PERIODS: dict[str, tuple[str, str]] = {
    "allocations": ("START_DATE", "END_DATE"),
    "placements": ("START_DATE", "END_DATE"),
    "missing_episodes": ("START_DATE", "END_DATE"),
    "cp_plans": ("START_DATE", "END_DATE"),
    "cin_plans": ("START_DATE", "END_DATE"),
}
