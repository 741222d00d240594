"""The tables as CSV: each column's values and how to write them, a chunk of rows at a time."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from casecheck.export.schema import TABLES
from casecheck.generate.caseload import (
    TEAMS,
    Allocations,
    Children,
    Contacts,
    Missing,
    Placements,
    Plans,
    Staff,
)
from casecheck.generate.records import Records
from casecheck.generate.world import (
    BLANK,
    DAY,
    Obj,
    Part,
    World,
    concat,
    either,
    repeat_text,
    sort_rows,
    take,
)

Formatter = Callable[[npt.NDArray[Any]], Obj]
Columns = dict[str, tuple[npt.NDArray[Any], Formatter]]

_CHUNK = 200_000  # rows formatted and written at a time, which bounds memory

REVIEW_DAYS = {
    "Risk Assessment": 182,
    "Risk Management Plan": 182,
    "Missing Plan": 182,
    "Philomena Protocol": 182,
    "Pathway Plan": 182,
    "CLA Review": 182,
    "Looked After Child Review": 182,
}


def _format_days(days: npt.NDArray[Any]) -> Obj:
    blank = days == BLANK
    unique, inverse = np.unique(np.where(blank, 0, days), return_inverse=True)
    text = np.datetime_as_string(unique.astype("datetime64[D]"), unit="D").astype(object)
    out: Obj = text[inverse]
    out[blank] = ""
    return out


def _format_dmy(days: npt.NDArray[Any]) -> Obj:
    iso = _format_days(days)
    unique, inverse = np.unique(iso, return_inverse=True)
    text = np.array([f"{d[8:10]}/{d[5:7]}/{d[:4]}" if d else "" for d in unique], dtype=object)
    out: Obj = text[inverse]
    return out


_CLOCK = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(DAY)], dtype=object)


def _format_minutes(minutes: npt.NDArray[Any]) -> Obj:
    blank = minutes == BLANK
    out: Obj = _format_days(np.where(blank, 0, minutes // DAY)) + " " + _CLOCK[minutes % DAY]
    out[blank] = ""
    return out


def _format_ids(prefix: str, count: int, least: int = 7) -> Formatter:
    """Row numbers (from 0) as zero-padded identifiers: prefix + digits."""
    width = max(least, len(str(count)))

    def fmt(rows: npt.NDArray[Any]) -> Obj:
        if rows.size == 0:  # np.strings.zfill cannot take an empty array
            return np.array([], dtype=object)
        digits = np.strings.zfill((rows + 1).astype(str), width)
        out: Obj = np.strings.add(prefix, digits).astype(object)
        return out

    return fmt


def _format_lookup(names: Obj) -> Formatter:
    """Indexes into names; a negative index is blank."""

    def fmt(index: npt.NDArray[Any]) -> Obj:
        out: Obj = names[np.maximum(index, 0)]
        out[index < 0] = ""
        return out

    return fmt


def _format_text(values: npt.NDArray[Any]) -> Obj:
    out: Obj = values.astype(object)
    return out


def _step_noise(w: World, kids: Children, rows: Part) -> Part:
    """Copies of a few steps marked CANCELLED, and a few steps come in but not yet started."""
    cancelled = np.flatnonzero(w.chance(0.03, rows["child"].size) & (rows["started"] != BLANK))
    copies = {name: values[cancelled] for name, values in rows.items()}
    copies["status"] = repeat_text("CANCELLED", cancelled.size)
    copies["completed"] = np.full(cancelled.size, BLANK, dtype=np.int64)
    copies["rag"] = repeat_text("", cancelled.size)
    child = np.flatnonzero(~kids.closed & w.chance(0.02, kids.size))
    incoming = {
        "child": child,
        "type": w.choice(
            ("Child and Family Assessment", "Risk Assessment", "Chronology"), child.size
        ),
        "status": repeat_text("INCOMING", child.size),
        "started": np.full(child.size, BLANK, dtype=np.int64),
        "completed": np.full(child.size, BLANK, dtype=np.int64),
        "rag": repeat_text("", child.size),
        "reason": repeat_text("", child.size),
    }
    return concat([rows, copies, incoming])


def _persons_table(kids: Children, people: Formatter) -> Columns:
    return {
        "PERSON_ID": (np.arange(kids.size), people),
        "DATE_OF_BIRTH": (kids.dob, _format_dmy),
        "GENDER": (kids.gender, _format_text),
        "ETHNICITY": (kids.ethnicity, _format_text),
        "AGE_ESTIMATED": (either(kids.age_estimated, "Y", "N"), _format_text),
        "UASC": (either(kids.uasc, "Y", "N"), _format_text),
    }


def _allocations_table(
    kids: Children, staff: Staff, allocations: Allocations, people: Formatter
) -> Columns:
    rows = allocations.child.size
    return {
        "ALLOCATION_ID": (np.arange(rows), _format_ids("AL", rows)),
        "PERSON_ID": (allocations.child, people),
        "WORKER_ID": (allocations.worker, _format_lookup(staff.ids)),
        "WORKER_NAME": (allocations.worker, _format_lookup(staff.names)),
        "TEAM_NAME": (
            staff.team[allocations.worker],
            _format_lookup(np.array(TEAMS, dtype=object)),
        ),
        "START_DATE": (allocations.start, _format_days),
        "END_DATE": (allocations.end, _format_days),
    }


def _placements_table(placements: Placements, people: Formatter) -> Columns:
    rows = placements.child.size
    return {
        "PLACEMENT_ID": (np.arange(rows), _format_ids("PL", rows)),
        "PERSON_ID": (placements.child, people),
        "START_DATE": (placements.start, _format_days),
        "END_DATE": (placements.end, _format_days),
        "PLACEMENT_TYPE": (placements.kind, _format_text),
        "REASON_FOR_PLACEMENT_CHANGE": (placements.reason, _format_text),
    }


def _steps_table(
    w: World,
    kids: Children,
    allocations: Allocations,
    rec: Records,
    people: Formatter,
    workers: Formatter,
) -> Columns:
    rows = _step_noise(w, kids, take(rec.steps))
    started, completed = rows["started"], rows["completed"]
    rows["day"] = np.where(
        started != BLANK, started, np.where(completed != BLANK, completed, w.end)
    )
    rows = sort_rows(rows, "child", "day")
    child, completed, kind = rows["child"], rows["completed"], rows["type"]
    review = np.full(child.size, BLANK, dtype=np.int64)
    for name, days in REVIEW_DAYS.items():
        due = (kind == name) & (completed != BLANK) & (completed + days <= w.end)
        review[due] = completed[due] + days
    assignee = np.where(
        rows["status"] == "INCOMING",
        -1,
        allocations.worker_at(child, np.where(completed != BLANK, completed, rows["day"])),
    )
    return {
        "WORKFLOW_STEP_ID": (np.arange(child.size), _format_ids("WS", child.size)),
        "PERSON_ID": (child, people),
        "STEP_TYPE": (kind, _format_text),
        "STEP_STATUS": (rows["status"], _format_text),
        "STARTED_ON": (rows["started"], _format_days),
        "COMPLETED_ON": (completed, _format_days),
        "ASSIGNEE_ID": (assignee, workers),
        "RESPONSIBLE_TEAM": (kids.team[child], _format_lookup(np.array(TEAMS, dtype=object))),
        "RAG_RATING": (rows["rag"], _format_text),
        "NEXT_REVIEW_DATE": (review, _format_days),
        "DELAY_REASON": (rows["reason"], _format_text),
    }


def _documents_table(
    allocations: Allocations, rec: Records, people: Formatter, workers: Formatter
) -> Columns:
    rows = sort_rows(take(rec.documents), "child", "uploaded")
    child = rows["child"]
    return {
        "DOCUMENT_ID": (np.arange(child.size), _format_ids("D", child.size)),
        "PERSON_ID": (child, people),
        "CATEGORY": (rows["category"], _format_text),
        "SUB_CATEGORY": (rows["sub"], _format_text),
        "TITLE": (rows["title"], _format_text),
        "DOCUMENT_DATE": (rows["dated"], _format_days),
        "UPLOADED_ON": (rows["uploaded"], _format_minutes),
        "UPLOADED_BY": (allocations.worker_at(child, rows["uploaded"] // DAY), workers),
    }


def _notes_table(
    kids: Children,
    staff: Staff,
    allocations: Allocations,
    rec: Records,
    people: Formatter,
    workers: Formatter,
) -> Columns:
    rows = sort_rows(take(rec.notes), "child", "contact", "created")
    child, contact = rows["child"], rows["contact"]
    author = np.where(
        rows["by_manager"], staff.first[kids.team[child]], allocations.worker_at(child, contact)
    )
    return {
        "CASE_NOTE_ID": (np.arange(child.size), _format_ids("CN", child.size)),
        "PERSON_ID": (child, people),
        "NOTE_TYPE": (rows["type"], _format_text),
        "CONTACT_DATE": (contact, _format_days),
        "CREATED_ON": (rows["created"], _format_minutes),
        "CREATED_BY": (author, workers),
        "STATUS": (rows["status"], _format_text),
    }


def _visits_table(
    allocations: Allocations, rec: Records, people: Formatter, workers: Formatter
) -> Columns:
    rows = sort_rows(take(rec.visits), "child", "day")
    child, day = rows["child"], rows["day"]
    return {
        "VISIT_ID": (np.arange(child.size), _format_ids("V", child.size)),
        "PERSON_ID": (child, people),
        "VISIT_TYPE": (rows["type"], _format_text),
        "ACTUAL_DATE": (day, _format_days),
        "CHILD_SEEN": (rows["seen"], _format_text),
        "SEEN_ALONE": (rows["alone"], _format_text),
        "VISIT_METHOD": (rows["method"], _format_text),
        "WORKER_ID": (allocations.worker_at(child, day), workers),
    }


def _missing_table(missing: Missing, people: Formatter) -> Columns:
    rows = missing.child.size
    return {
        "MISSING_EPISODE_ID": (np.arange(rows), _format_ids("ME", rows)),
        "PERSON_ID": (missing.child, people),
        "START_DATE": (missing.start, _format_minutes),
        "END_DATE": (missing.end, _format_minutes),
        "RHI_OFFERED": (missing.offered, _format_text),
        "RHI_DATE": (missing.interview, _format_minutes),
    }


def _contacts_table(contacts: Contacts, people: Formatter) -> Columns:
    rows = contacts.child.size
    return {
        "CONTACT_ID": (np.arange(rows), _format_ids("C", rows)),
        "PERSON_ID": (contacts.child, people),
        "RECEIVED_ON": (contacts.received, _format_days),
        "DECISION_ON": (contacts.decided, _format_days),
        "OUTCOME": (contacts.outcome, _format_text),
    }


def _plans_table(plans: Plans, key: str, prefix: str, people: Formatter) -> Columns:
    rows = plans.child.size
    columns: Columns = {
        key: (np.arange(rows), _format_ids(prefix, rows)),
        "PERSON_ID": (plans.child, people),
        "START_DATE": (plans.start, _format_days),
        "END_DATE": (plans.end, _format_days),
    }
    if key == "CP_PLAN_ID":
        columns["CATEGORY"] = (plans.category, _format_text)
    return columns


def table_builders(
    w: World,
    kids: Children,
    staff: Staff,
    allocations: Allocations,
    placements: Placements,
    missing: Missing,
    contacts: Contacts,
    cp: Plans,
    cin: Plans,
    rec: Records,
) -> dict[str, Callable[[], Columns]]:
    """How to build each table's columns (values, and how to write them), one table at a time."""
    width = max(6, len(str(kids.size)))
    people = _format_lookup(
        np.array([f"P{i:0{width}d}" for i in range(1, kids.size + 1)], dtype=object)
    )
    workers = _format_lookup(staff.ids)
    return {
        "persons": lambda: _persons_table(kids, people),
        "allocations": lambda: _allocations_table(kids, staff, allocations, people),
        "placements": lambda: _placements_table(placements, people),
        "workflow_steps": lambda: _steps_table(w, kids, allocations, rec, people, workers),
        "documents": lambda: _documents_table(allocations, rec, people, workers),
        "case_notes": lambda: _notes_table(kids, staff, allocations, rec, people, workers),
        "visits": lambda: _visits_table(allocations, rec, people, workers),
        "missing_episodes": lambda: _missing_table(missing, people),
        "contacts": lambda: _contacts_table(contacts, people),
        "cp_plans": lambda: _plans_table(cp, "CP_PLAN_ID", "CPP", people),
        "cin_plans": lambda: _plans_table(cin, "CIN_PLAN_ID", "CINP", people),
    }


def write_table(out_dir: pathlib.Path, table: str, columns: Columns) -> int:
    """Write one table's CSV in the schema's column order, a chunk of rows at a time."""
    names = [column.name for column in TABLES[table].columns]
    if sorted(names) != sorted(columns):
        raise ValueError(
            f"{table}: columns {sorted(columns)} do not match the schema {sorted(names)}"
        )
    rows = int(next(iter(columns.values()))[0].size)
    with (out_dir / TABLES[table].file).open("w", encoding="utf-8", newline="") as handle:
        for begin in range(0, max(rows, 1), _CHUNK):
            chunk = slice(begin, begin + _CHUNK)
            frame = pd.DataFrame(
                {name: columns[name][1](columns[name][0][chunk]) for name in names}, dtype=object
            )
            frame.to_csv(handle, index=False, header=begin == 0, lineterminator="\n")
    return rows
