"""Property tests of the rule engine over small random exports.

Each example is a few children with random allocations, placements, steps, documents, case notes,
visits, missing episodes and contacts, dated within about two years of the as-of date (weekends and
bank holidays included), written as CSV and read back through `load_export`. The properties:

1. adding a compliant piece of evidence never adds an exception;
2. removing a child's only evidence of a kind never removes an exception;
3. the results do not depend on the order of the rows in the CSV files;
4. the vectorised engine agrees with a slow reference evaluation written here (loops, `datetime`
   and a day-by-day working-day count over `holidays`, nothing from casecheck.calendar);
5. running twice gives byte-identical JSON.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import os
import random
import tempfile
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import holidays
import pandas as pd
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st

from casecheck.calendar import WorkingCalendar
from casecheck.engine import scope as scopes
from casecheck.engine.context import VISIT_KINDS
from casecheck.engine.events import EVENTS
from casecheck.engine.kinds.threshold import COUNTS
from casecheck.engine.model import (
    EvidencePerEvent,
    EvidenceRecurring,
    Records,
    Rule,
    Share,
    Threshold,
)
from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.config import CouncilConfig, default_evidence, evidence_vocabulary
from casecheck.export.load import load_export
from casecheck.export.schema import TABLES
from casecheck.report.results import results_document

CONFIG = CouncilConfig()
VOCABULARY = evidence_vocabulary(CONFIG)
RULES = {r.id: r for r in load_rules(DEFAULT_RULES, CONFIG)}
ALL_RULES = list(RULES.values())
CALENDAR = WorkingCalendar()  # what run_rules builds for a council with no closure days

# The fixed as-of date first (what hypothesis shrinks to), then a bank holiday, Easter Monday, and
# a Sunday at the end of a month (look-backs in months clamp the day: 31/05 - 3 months = 28/02).
AS_OF = [dt.date(2026, 3, 2), dt.date(2025, 12, 25), dt.date(2026, 4, 6), dt.date(2026, 5, 31)]

BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG", years=range(2020, 2030))
HOLIDAY_DATES = sorted(BANK_HOLIDAYS)

# Each example writes, loads and runs one or two exports (0.2 to 0.7 s on one core): 30 of each
# keep the file to about a minute. CASECHECK_PROPERTY_EXAMPLES=500 runs a deeper search.
EXAMPLES = int(os.environ.get("CASECHECK_PROPERTY_EXAMPLES", "30"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the evidence vocabulary, and noise around it ----------------------------------------------
_VOCAB = default_evidence()
NOISE = [
    "Placement Plan Review",
    "Supervision Notes",
    "Home Visit",
    "Risk",
    "Missing Plan (draft)",
    "Strategy Discussion",
    "Initial Contact",
]


def _names(source: str, extra: Iterable[str] = ()) -> list[str]:
    names = sorted({n for kind in _VOCAB.values() for n in getattr(kind, source)})
    # The same names written the way exports write them: other case, stray spaces.
    variants = [
        names[0].upper(),
        "  " + names[-1].lower() + " ",
        names[len(names) // 2].replace(" ", "  "),
    ]
    return [*names, *variants, *extra]


def _focus(source: str) -> list[str]:
    """The names of the kinds the properties look at most closely, about half the time."""
    kinds = ("placement_plan", "supervision", "missing_plan", "risk_assessment")
    return sorted({n for kind in kinds for n in getattr(_VOCAB[kind], source)})


STEP_TYPES = st.one_of(
    st.sampled_from(_focus("step_types")),
    st.sampled_from(_names("step_types", [*NOISE, "Supervision"])),
)
DOC_CATEGORIES = st.one_of(
    st.sampled_from(_focus("document_categories")),
    st.sampled_from(_names("document_categories", NOISE)),
)
NOTE_TYPES = st.one_of(
    st.sampled_from(_focus("note_types")),
    st.sampled_from(_names("note_types", [*NOISE, "Supervision", "Placement Plan"])),
)
STEP_STATUSES = ["COMPLETED", "COMPLETED", "Completed", "STARTED", "CANCELLED", "INCOMING"]
VISIT_TYPES = [None, "CLA", "cla", "CIN", "CP"]
VISIT_METHODS = [None, "FACE TO FACE", "Face to face", "VIDEO", "TELEPHONE", "telephone"]
OUTCOMES = [None, "Progress to assessment", "No further action", "Referral to assessment"]


# --- a random export, as typed rows ---------------------------------------------------------
Row = dict[str, Any]


@dataclass(frozen=True)
class Data:
    """An export as Python values (date, datetime, bool, str, None) by table, and its as-of date."""

    as_of: dt.date
    tables: dict[str, list[Row]]
    style: str  # "iso" or "slash": how dates are written

    def with_rows(self, table: str, rows: list[Row]) -> Data:
        return replace(self, tables={**self.tables, table: rows})

    def without(self, table: str, drop: Callable[[Row], bool]) -> Data:
        return self.with_rows(table, [r for r in self.tables[table] if not drop(r)])

    def plus(self, table: str, row: Row) -> Data:
        return self.with_rows(table, [*self.tables[table], row])


def _cell(value: Any, style: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, dt.datetime):
        return _cell(value.date(), style) + value.strftime(" %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d" if style == "iso" else "%d/%m/%Y")
    return str(value)


def csv_texts(data: Data) -> dict[str, str]:
    """Each table's CSV text (by table name): the contract's header, then the rows."""
    out = {}
    for name, table in TABLES.items():
        columns = [c.name for c in table.columns]
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in data.tables[name]:
            writer.writerow([_cell(row.get(c), data.style) for c in columns])
        out[name] = buffer.getvalue()
    return out


def write(texts: dict[str, str], folder: Path) -> None:
    for name, text in texts.items():
        (folder / TABLES[name].file).write_text(text, encoding="utf-8")


def tables_read(rules: list[Rule]) -> set[str]:
    """The tables the rules read: only those are written, as loading costs about 12 ms a table.

    A table left out that a rule needs fails `load_and_run` (the rule is not run)."""
    out = {"persons", "allocations"}  # allocations: the team and worker of every exception
    for rule in rules:
        out |= {need.partition(".")[0] for need in scopes.needs(rule.scope)}
        for check in rule.checks.values():
            if isinstance(check, EvidencePerEvent):
                out.add(EVENTS[check.event].table)
            if isinstance(check, EvidenceRecurring) and check.clock != "scope":
                out.add("allocations" if check.clock == "first_allocation" else "placements")
            if isinstance(check, EvidencePerEvent | EvidenceRecurring):
                kind = check.evidence.kind
                if kind in VISIT_KINDS:
                    out.add("visits")
                else:
                    out |= {t for t, src in SOURCE_OF.items() if VOCABULARY.names(kind, src)}
            if isinstance(check, Records | Share):
                out.add(check.table)
            if isinstance(check, Threshold):
                out.add(COUNTS[check.count][0])
    return out


def load_and_run(
    folder: Path, as_of: dt.date, rules: list[Rule], calendar: WorkingCalendar | None = CALENDAR
) -> RunResult:
    """Load the folder and run the rules; every rule must run, on an export with no problems.

    The calendar is built once (building one costs 12 ms); `calendar=None` lets the run build
    its own, as the command line does."""
    export = load_export(folder, CONFIG)
    assert export.problems.empty, export.problems.to_dict("records")
    result = run_rules(export, rules, as_of, calendar=calendar)
    assert [o.status for o in result.outcomes] == ["ran"] * len(rules), [
        (o.rule.id, o.status, o.reason) for o in result.outcomes
    ]
    return result


def run(data: Data, rules: list[Rule]) -> RunResult:
    """Write the tables the rules read as CSV files, load them and run the rules."""
    wanted = tables_read(rules)
    texts = {n: text for n, text in csv_texts(data).items() if n in wanted}
    with tempfile.TemporaryDirectory() as tmp:
        write(texts, Path(tmp))
        return load_and_run(Path(tmp), data.as_of, rules)


def _day(as_of: dt.date, lo: int = -730, hi: int = 30) -> st.SearchStrategy[dt.date]:
    """A date from `lo` to `hi` days after as_of: often near as_of, on it, or a bank holiday."""
    near = [h for h in HOLIDAY_DATES if lo <= (h - as_of).days <= hi]
    return st.one_of(
        st.integers(lo, hi).map(lambda k: as_of + dt.timedelta(days=k)),
        st.integers(max(lo, -10), min(hi, 10)).map(lambda k: as_of + dt.timedelta(days=k)),
        st.sampled_from(near) if near else st.nothing(),
        st.just(as_of),
    )


def _between(first: dt.date, last: dt.date) -> st.SearchStrategy[dt.date]:
    """A date from `first` to `last`, both included."""
    return st.integers(0, max((last - first).days, 0)).map(lambda k: first + dt.timedelta(days=k))


def _timed(draw: st.DrawFn, day: dt.date) -> dt.date | dt.datetime:
    """The day, sometimes with a time of day."""
    if draw(st.integers(0, 3)) == 0:
        return dt.datetime.combine(day, dt.time(draw(st.integers(0, 23)), draw(st.integers(0, 59))))
    return day


def _periods(
    draw: st.DrawFn, as_of: dt.date, most: int, gap_from: int
) -> list[tuple[dt.date, dt.date | None]]:
    """0 to `most` non-overlapping (start, end) periods, end >= start; the last may be open."""
    count = draw(st.integers(0, most))
    start = draw(_day(as_of, -800, 10))
    out: list[tuple[dt.date, dt.date | None]] = []
    for i in range(count):
        if i == count - 1 and draw(st.booleans()):
            out.append((start, None))
            break
        end = start + dt.timedelta(days=draw(st.integers(0, 300)))
        out.append((start, end))
        # Often a handover gap (over a weekend or a bank holiday), else anything up to 4 months.
        gap = st.one_of(st.integers(gap_from, max(gap_from, 4)), st.integers(gap_from, 120))
        start = end + dt.timedelta(days=draw(gap))
    return out


@st.composite
def exports(draw: st.DrawFn) -> Data:
    as_of = draw(st.sampled_from(AS_OF))
    # Over two years, or crowded into the weeks around as_of (where things fall due and tie).
    day = _day(as_of, -draw(st.sampled_from([730, 40])))
    tables: dict[str, list[Row]] = {name: [] for name in TABLES}
    ids: Counter[str] = Counter()

    def new_id(table: str) -> str:
        ids[table] += 1  # plain numbers: the same id appears in several tables
        return str(ids[table])

    for n in range(draw(st.integers(1, 6))):
        pid = f"{n + 1:03d}"
        tables["persons"].append(
            {
                "PERSON_ID": pid,
                "DATE_OF_BIRTH": as_of - dt.timedelta(days=draw(st.integers(0, 19 * 365))),
                "AGE_ESTIMATED": draw(st.sampled_from([None, True, False])),
                "UASC": draw(st.sampled_from([None, True, False])),
            }
        )
        allocated = _periods(draw, as_of, 3, gap_from=1)
        placed = _periods(draw, as_of, 3, gap_from=0)
        # Evidence is often dated since the child's latest allocation or placement began, where
        # it counts for the recurring checks.
        began = [start for start, _ in allocated + placed if start <= as_of]
        evidence_day = st.one_of(day, _between(max(began), as_of)) if began else day
        for start, end in allocated:
            worker = draw(st.sampled_from(["W1", "W2", "W3"]))
            tables["allocations"].append(
                {
                    "ALLOCATION_ID": new_id("allocations"),
                    "PERSON_ID": pid,
                    "WORKER_ID": worker,
                    "WORKER_NAME": f"Worker {worker}",
                    "TEAM_NAME": draw(st.sampled_from(["Team A", "Team B"])),
                    "START_DATE": start,
                    "END_DATE": end,
                }
            )
        for start, end in placed:
            tables["placements"].append(
                {
                    "PLACEMENT_ID": new_id("placements"),
                    "PERSON_ID": pid,
                    "START_DATE": start,
                    "END_DATE": end,
                    "PLACEMENT_TYPE": draw(st.sampled_from([None, "Foster", "Residential"])),
                }
            )
        for _ in range(draw(st.integers(0, 6))):
            completed = draw(st.one_of(st.none(), evidence_day))
            tables["workflow_steps"].append(
                {
                    "WORKFLOW_STEP_ID": new_id("workflow_steps"),
                    "PERSON_ID": pid,
                    "STEP_TYPE": draw(STEP_TYPES),
                    "STEP_STATUS": draw(st.sampled_from(STEP_STATUSES)),
                    "COMPLETED_ON": None if completed is None else _timed(draw, completed),
                    "RAG_RATING": draw(st.sampled_from([None, "RED", "amber", "GREEN"])),
                }
            )
        for _ in range(draw(st.integers(0, 4))):
            uploaded = draw(evidence_day)
            # Half the documents say when the thing they record happened: up to 40 days earlier.
            made = draw(st.one_of(st.none(), st.integers(0, 40)))
            tables["documents"].append(
                {
                    "DOCUMENT_ID": new_id("documents"),
                    "PERSON_ID": pid,
                    "CATEGORY": draw(DOC_CATEGORIES),
                    "DOCUMENT_DATE": None if made is None else uploaded - dt.timedelta(days=made),
                    "UPLOADED_ON": _timed(draw, uploaded),
                }
            )
        for _ in range(draw(st.integers(0, 6))):
            contact = draw(evidence_day)
            created = contact + dt.timedelta(days=draw(st.integers(0, 12)))
            tables["case_notes"].append(
                {
                    "CASE_NOTE_ID": new_id("case_notes"),
                    "PERSON_ID": pid,
                    "NOTE_TYPE": draw(NOTE_TYPES),
                    "CONTACT_DATE": contact,
                    "CREATED_ON": _timed(draw, created),
                    "STATUS": draw(st.sampled_from([None, "DRAFT", "COMPLETE"])),
                }
            )
        for _ in range(draw(st.integers(0, 4))):
            tables["visits"].append(
                {
                    "VISIT_ID": new_id("visits"),
                    "PERSON_ID": pid,
                    "VISIT_TYPE": draw(st.sampled_from(VISIT_TYPES)),
                    "ACTUAL_DATE": draw(evidence_day),
                    "CHILD_SEEN": draw(st.sampled_from([None, True, False])),
                    "SEEN_ALONE": draw(st.sampled_from([None, True, False])),
                    "VISIT_METHOD": draw(st.sampled_from(VISIT_METHODS)),
                }
            )
        for _ in range(draw(st.integers(0, 2))):
            start = draw(day)
            end = draw(st.one_of(st.none(), st.integers(0, 5)))
            ended = None if end is None else _timed(draw, start + dt.timedelta(days=end))
            rhi = draw(st.one_of(st.none(), st.integers(0, 5)))
            tables["missing_episodes"].append(
                {
                    "MISSING_EPISODE_ID": new_id("missing_episodes"),
                    "PERSON_ID": pid,
                    "START_DATE": start,
                    "END_DATE": ended,
                    "RHI_OFFERED": draw(st.sampled_from([None, True, False])),
                    "RHI_DATE": None
                    if ended is None or rhi is None
                    else _timed(draw, start + dt.timedelta(days=(end or 0) + rhi)),
                }
            )
        for _ in range(draw(st.integers(0, 3))):
            received = _timed(draw, draw(day))
            decided = draw(st.one_of(st.none(), st.integers(0, 6)))
            tables["contacts"].append(
                {
                    "CONTACT_ID": new_id("contacts"),
                    "PERSON_ID": pid,
                    "RECEIVED_ON": received,
                    "DECISION_ON": None
                    if decided is None
                    else _timed(draw, _date(received) + dt.timedelta(days=decided)),
                    "OUTCOME": draw(st.sampled_from(OUTCOMES)),
                }
            )
    return Data(as_of=as_of, tables=tables, style=draw(st.sampled_from(["iso", "slash"])))


def make_data(as_of: dt.date, style: str = "iso", **tables: list[Row]) -> Data:
    """An export written out by hand (for explicit examples): tables not given are empty, and
    columns not given blank; ids not given are numbered."""
    filled = {
        name: [
            {
                **{c.name: None for c in table.columns},
                **({table.key: str(i + 1)} if table.key else {}),
                **row,
            }
            for i, row in enumerate(tables.get(name, []))
        ]
        for name, table in TABLES.items()
    }
    return Data(as_of=as_of, tables=filled, style=style)


def _date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _when(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def _show(data: Data) -> None:
    """Put the example's CSV files in hypothesis' report of a failure."""
    note(f"as_of = {data.as_of}")
    for name, text in csv_texts(data).items():
        if text.count("\n") > 1:
            note(f"--- {TABLES[name].file}\n{text}")


# --- the reference evaluation: plain Python, day by day -------------------------------------
def fold(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def working_days_after(day: dt.date, n: int) -> dt.date:
    """The nth working day after `day`, counting one day at a time."""
    counted = 0
    while counted < n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def months_before(day: dt.date, n: int) -> dt.date:
    """`n` calendar months before `day`, the day clamped at the month's end."""
    index = day.year * 12 + day.month - 1 - n
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


PLACEMENT_PLAN = {
    "workflow_steps": {"placement plan"},
    "documents": {"placement plan"},
    "case_notes": set(),
}
SUPERVISION = {
    "workflow_steps": {"case supervision"},
    "documents": {"case supervision", "supervision"},
    "case_notes": {"case supervision", "management supervision"},
}


def reference_evidence(data: Data, names: dict[str, set[str]]) -> dict[str, list[dt.datetime]]:
    """Each child's evidence of a kind on or before as_of: completed steps, documents and
    case notes not in draft, whose type is one of `names` (case and spaces aside)."""
    found: dict[str, list[dt.datetime]] = defaultdict(list)
    for row in data.tables["workflow_steps"]:
        done = (row["STEP_STATUS"] or "").upper() == "COMPLETED"
        if (
            done
            and row["COMPLETED_ON"] is not None
            and fold(row["STEP_TYPE"]) in names["workflow_steps"]
        ):
            found[row["PERSON_ID"]].append(_when(row["COMPLETED_ON"]))
    for row in data.tables["documents"]:
        # On the file once uploaded; dated by DOCUMENT_DATE (when it happened) when it has one.
        uploaded = _when(row["UPLOADED_ON"]).date() <= data.as_of
        if uploaded and fold(row["CATEGORY"]) in names["documents"]:
            found[row["PERSON_ID"]].append(_when(row.get("DOCUMENT_DATE") or row["UPLOADED_ON"]))
    for row in data.tables["case_notes"]:
        # A note written after as_of was not on the file as of it, whatever its contact date.
        written = _when(row["CREATED_ON"]).date() <= data.as_of
        if row["STATUS"] != "DRAFT" and written and fold(row["NOTE_TYPE"]) in names["case_notes"]:
            found[row["PERSON_ID"]].append(_when(row["CONTACT_DATE"]))
    return {pid: [w for w in when if w.date() <= data.as_of] for pid, when in found.items()}


Key = tuple[str, dt.datetime, dt.date]  # child, the event (or last evidence), due date


def reference_placement_plans(data: Data) -> tuple[Counter[Key], Counter[tuple[str, dt.date]]]:
    """Each placement started in the 12 months to as_of needs a placement plan from 14 days
    before its start to the end of the 5th working day after."""
    evidence = reference_evidence(data, PLACEMENT_PLAN)
    since = months_before(data.as_of, 12)
    late: Counter[Key] = Counter()
    soon: Counter[tuple[str, dt.date]] = Counter()
    dob = {p["PERSON_ID"]: p["DATE_OF_BIRTH"] for p in data.tables["persons"]}
    events = []  # (child, start, due, placement id)
    for row in data.tables["placements"]:
        start = row["START_DATE"]
        if not since <= _date(start) <= data.as_of:
            continue
        due = working_days_after(_date(start), 5)
        care_end = period_of_care_end(data, row)
        if care_end is not None and care_end < due:
            continue  # left care before the plan was due
        if eighteenth(dob[row["PERSON_ID"]]) <= due:
            continue  # 18 before the plan was due
        events.append((row["PERSON_ID"], start, due, row["PLACEMENT_ID"]))
    # Each plan counts for one placement: among those whose window holds it, the latest
    # started on or before it, else the first started after it (ties: the smaller id).
    met = set()
    for pid, plans in evidence.items():
        for when in plans:
            holding = [
                (_when(s), i)
                for p, s, d, i in events
                if p == pid and _date(s) - dt.timedelta(days=14) <= when.date() <= d
            ]
            current = [(-s.timestamp(), i) for s, i in holding if s <= when]
            later = [(s.timestamp(), i) for s, i in holding if s > when]
            if current or later:
                met.add(min(current or later)[1])
    for pid, start, due, ref in events:
        if ref in met:
            continue
        if due < data.as_of:
            late[(pid, _when(start), due)] += 1
        else:
            soon[(pid, due)] += 1
    return late, soon


def eighteenth(born: dt.date) -> dt.date:
    """The 18th birthday; 29 February gives 28 February in a year that has none."""
    try:
        return born.replace(year=born.year + 18)
    except ValueError:
        return born.replace(year=born.year + 18, day=28)


def period_of_care_end(data: Data, placement: Row) -> dt.date | None:
    """The last day of the period of care holding `placement` (placements joined where they
    overlap or the next starts by the next working day), or None while it is open."""
    periods = sorted(
        (_date(row["START_DATE"]), _date(row["END_DATE"]) if row["END_DATE"] else dt.date.max)
        for row in data.tables["placements"]
        if row["PERSON_ID"] == placement["PERSON_ID"] and _date(row["START_DATE"]) <= data.as_of
    )
    spells: list[list[dt.date]] = []
    for start, end in periods:
        if spells and start <= handover_limit(spells[-1][1]):
            spells[-1][1] = max(spells[-1][1], end)
        else:
            spells.append([start, end])
    began = _date(placement["START_DATE"])
    for first, last in spells:
        if first <= began <= last:
            return None if last == dt.date.max else last
    return None


def reference_contact_decisions(data: Data) -> tuple[Counter[Key], Counter[tuple[str, dt.date]]]:
    """Each contact received in the 3 months to as_of needs a decision by the end of the next
    working day; a decision dated after as_of is not recorded yet."""
    since = months_before(data.as_of, 3)
    late: Counter[Key] = Counter()
    soon: Counter[tuple[str, dt.date]] = Counter()
    for row in data.tables["contacts"]:
        received = _when(row["RECEIVED_ON"])
        if not since <= received.date() <= data.as_of:
            continue
        due = working_days_after(received.date(), 1)
        decided = row["DECISION_ON"]
        if decided is not None and _date(decided) > data.as_of:
            decided = None  # as of as_of, the decision has not been recorded yet
        if decided is not None:
            if _date(decided) > due:
                late[(row["PERSON_ID"], received, due)] += 1
        elif due < data.as_of:
            late[(row["PERSON_ID"], received, due)] += 1
        else:
            soon[(row["PERSON_ID"], due)] += 1
    return late, soon


def handover_limit(end: dt.date) -> dt.date:
    """The last day a next period may start and still continue the spell: the next working day
    after `end` (a handover over a weekend or bank holiday), the next day at the least."""
    if end == dt.date.max:
        return end
    return max(end + dt.timedelta(days=1), working_days_after(end, 1))


def allocation_spell_start(data: Data, pid: str) -> dt.date | None:
    """When the child's current allocation spell began (allocations joined where they overlap
    or the next starts by the next working day), or None if no allocation covers as_of."""
    periods = sorted(
        (_date(row["START_DATE"]), _date(row["END_DATE"]) if row["END_DATE"] else dt.date.max)
        for row in data.tables["allocations"]
        if row["PERSON_ID"] == pid and _date(row["START_DATE"]) <= data.as_of
    )
    spells: list[list[dt.date]] = []
    for start, end in periods:
        if spells and start <= handover_limit(spells[-1][1]):
            spells[-1][1] = max(spells[-1][1], end)
        else:
            spells.append([start, end])
    if spells and spells[-1][1] >= data.as_of:
        return spells[-1][0]
    return None


def reference_supervision(data: Data) -> tuple[Counter[Key], Counter[tuple[str, dt.date]]]:
    """For each allocated child: the last supervision since the allocation spell began (or the
    spell's start, if none) + 30 days is the due date."""
    evidence = reference_evidence(data, SUPERVISION)
    late: Counter[Key] = Counter()
    soon: Counter[tuple[str, dt.date]] = Counter()
    for row in data.tables["persons"]:
        pid = row["PERSON_ID"]
        began = allocation_spell_start(data, pid)
        if began is None:
            continue
        since = [w for w in evidence.get(pid, []) if w.date() >= began]
        base = max(since) if since else _when(began)
        due = base.date() + dt.timedelta(days=30)
        if due < data.as_of:
            late[(pid, base, due)] += 1
        elif due <= data.as_of + dt.timedelta(days=14):
            soon[(pid, due)] += 1
    return late, soon


def engine_keys(
    result: RunResult, rule_id: str, check: str
) -> tuple[Counter[Key], Counter[tuple[str, dt.date]]]:
    findings = result.findings[
        (result.findings["rule_id"] == rule_id) & (result.findings["check"] == check)
    ]
    due = result.due_soon[
        (result.due_soon["rule_id"] == rule_id) & (result.due_soon["check"] == check)
    ]
    late = Counter(
        (row["PERSON_ID"], pd.Timestamp(row["event_date"]).to_pydatetime(), row["due_date"].date())
        for row in findings.to_dict("records")
    )
    soon = Counter((row["PERSON_ID"], row["due_date"].date()) for row in due.to_dict("records"))
    return late, soon


# --- properties 1 and 2: evidence only ever helps ------------------------------------------
EVIDENCE_RULES = [
    "placement-plan-per-move",
    "supervision-uploaded",
    "cla-visits",
    "missing-plan-exists",
    "risk-assessment-present",
]
# Where each rule's evidence can be recorded: (table, the names that count there).
SOURCES: dict[str, list[tuple[str, list[str]]]] = {
    "placement-plan-per-move": [
        ("workflow_steps", ["Placement Plan", " placement  PLAN"]),
        ("documents", ["Placement Plan", "placement plan "]),
    ],
    "supervision-uploaded": [
        ("case_notes", ["Case Supervision", "Management Supervision", "case supervision"]),
        ("workflow_steps", ["Case Supervision"]),
        ("documents", ["Case Supervision", "SUPERVISION"]),
    ],
    "cla-visits": [("visits", ["CLA", "cla"])],
    "missing-plan-exists": [
        ("workflow_steps", ["Missing Plan", "Philomena Protocol"]),
        ("documents", ["Missing Plan", "philomena protocol"]),
        ("case_notes", ["Missing Plan", "Philomena  Protocol"]),
    ],
    "risk-assessment-present": [("workflow_steps", ["Risk Assessment", "Risk Management Plan"])],
}
# How many days before as_of evidence can be dated and leave nothing due by as_of: inside the
# shortest repeat interval (30 days; 6 weeks; 6 months, which is at least 181 days).
RECENT = {
    "supervision-uploaded": 29,
    "cla-visits": 41,
    "missing-plan-exists": 175,
    "risk-assessment-present": 175,
}
RESTARTED_BY_RETURN = ("missing-plan-exists", "risk-assessment-present")


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


NAME_COLUMN = {
    "workflow_steps": "STEP_TYPE",
    "documents": "CATEGORY",
    "case_notes": "NOTE_TYPE",
    "visits": "VISIT_TYPE",
}


RULE_KIND = {
    "placement-plan-per-move": "placement_plan",
    "supervision-uploaded": "supervision",
    "cla-visits": "cla_visit",
    "missing-plan-exists": "missing_plan",
    "risk-assessment-present": "risk_assessment",
}
SOURCE_OF = {
    "workflow_steps": "step_types",
    "documents": "document_categories",
    "case_notes": "note_types",
}


def kinds_of(table: str, row: Row) -> set[str]:
    """The kinds of evidence a row's type makes it (whether or not it is complete)."""
    if table == "visits":
        typed = {f"{fold(row['VISIT_TYPE'])}_visit"} if row["VISIT_TYPE"] else set()
        return {"visit", *typed}
    if table not in SOURCE_OF:
        return set()
    name = fold(row[NAME_COLUMN[table]])
    return {k for k in VOCABULARY.kinds if name in VOCABULARY.names(k, SOURCE_OF[table])}


def rules_reading(table: str, row: Row) -> list[Rule]:
    """The rules that can see the row: those checking a kind of evidence it counts as, and
    those checking its table's records. (A run costs about 30 ms a rule, and the other rules
    read nothing of the row.)"""
    kinds = kinds_of(table, row)
    out = []
    for rule in ALL_RULES:
        for check in rule.checks.values():
            evidence = isinstance(check, EvidencePerEvent | EvidenceRecurring)
            if (evidence and check.evidence.kind in kinds) or (
                isinstance(check, Records | Share) and check.table == table
            ):
                out.append(rule)
                break
    return out


def seeded(data: Data) -> random.Random:
    """Choices made from the example itself: uniform, where hypothesis' own draws favour the
    first items of a list over a few dozen examples, and the same whenever it is replayed."""
    return random.Random(zlib.crc32(repr(data).encode()))


def _timed_at(rng: random.Random, day: dt.date) -> dt.date | dt.datetime:
    """The day, a quarter of the time with a time of day."""
    if rng.random() < 0.25:
        return dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)))
    return day


def evidence_row(rng: random.Random, rule_id: str, pid: str, day: dt.date) -> tuple[str, Row]:
    """A piece of `rule_id`'s evidence for the child on `day`, recorded as the rules want: a
    completed step, a case note written up the same day, a visit with the child seen and how."""
    table, names = rng.choice(SOURCES[rule_id])
    name = rng.choice(names)
    ref = f"NEW-{rule_id}"  # generated ids are numbers
    if table == "workflow_steps":
        risk = rule_id == "risk-assessment-present"
        row: Row = {
            "WORKFLOW_STEP_ID": ref,
            "STEP_TYPE": name,
            "STEP_STATUS": "COMPLETED",
            "COMPLETED_ON": _timed_at(rng, day),
            "RAG_RATING": rng.choice(["RED", "Amber", "GREEN"]) if risk else None,
        }
    elif table == "documents":
        row = {"DOCUMENT_ID": ref, "CATEGORY": name, "UPLOADED_ON": _timed_at(rng, day)}
    elif table == "case_notes":
        row = {
            "CASE_NOTE_ID": ref,
            "NOTE_TYPE": name,
            "CONTACT_DATE": day,
            "CREATED_ON": _timed_at(rng, day),
            "STATUS": rng.choice([None, "COMPLETE"]),
        }
    else:
        row = {
            "VISIT_ID": ref,
            "VISIT_TYPE": name,
            "ACTUAL_DATE": day,
            "CHILD_SEEN": rng.choice([True, False]),
            "VISIT_METHOD": rng.choice(["FACE TO FACE", "VIDEO"]),
        }
    return table, {"PERSON_ID": pid, **row}


def compliant_evidence(rng: random.Random, data: Data, rule_id: str) -> tuple[str, Row]:
    """(table, row): a piece of the rule's evidence for a child, dated where it is on time.

    For a placement plan: inside a placement's window (14 days before its start to the 5th
    working day after) or on as_of. For a recurring check: recent enough that nothing is due by
    as_of (a visit inside a placement's first week if that is recent enough too)."""
    as_of = data.as_of
    pid = rng.choice([p["PERSON_ID"] for p in data.tables["persons"]])
    day = as_of
    placements = data.tables["placements"]
    if rule_id == "placement-plan-per-move" and placements and rng.random() < 0.7:
        placement = rng.choice(placements)
        pid = placement["PERSON_ID"]
        first = placement["START_DATE"] - dt.timedelta(days=14)
        last = min(working_days_after(placement["START_DATE"], 5), as_of)
        if first <= last:
            day = first + dt.timedelta(days=rng.randint(0, (last - first).days))
    elif rule_id in RECENT:
        first = as_of - dt.timedelta(days=RECENT[rule_id])
        day = first + dt.timedelta(days=rng.randint(0, RECENT[rule_id]))
        if rule_id in RESTARTED_BY_RETURN:  # due again after each return from missing
            returns = [
                _as_date(r["END_DATE"])
                for r in data.tables["missing_episodes"]
                if r["PERSON_ID"] == pid and r["END_DATE"] is not None
            ]
            latest = max((r for r in returns if r < as_of), default=None)
            if latest is not None:
                day = max(day, latest + dt.timedelta(days=1))
        if rule_id == "cla-visits" and placements and rng.random() < 0.5:
            placement = rng.choice(placements)
            in_week = placement["START_DATE"] + dt.timedelta(days=rng.randint(0, 7))
            if first <= in_week <= as_of:
                pid, day = placement["PERSON_ID"], in_week
    return evidence_row(rng, rule_id, pid, day)


def rules_reading_all(rows: list[tuple[str, Row]]) -> list[Rule]:
    ids = {rule.id for table, row in rows for rule in rules_reading(table, row)}
    return [rule for rule in ALL_RULES if rule.id in ids]


# Each example adds (or removes) a piece of evidence for three of the five rules, for children
# chosen at random: the kinds are distinct, so each rule sees only its own piece.
EVIDENCE_AT_A_TIME = 3


def some_evidence_rules(rng: random.Random) -> list[str]:
    return sorted(rng.sample(EVIDENCE_RULES, EVIDENCE_AT_A_TIME), key=EVIDENCE_RULES.index)


@SETTINGS
@given(data=exports())
def test_compliant_evidence_never_adds_an_exception(data: Data) -> None:
    rng = seeded(data)
    added = [compliant_evidence(rng, data, rule_id) for rule_id in some_evidence_rules(rng)]
    _show(data)
    rules = rules_reading_all(added)
    note(f"adding {added}\nrules {[r.id for r in rules]}")
    with_it = data
    for table, row in added:
        with_it = with_it.plus(table, row)
    before = run(data, rules)
    after = run(with_it, rules)
    new = after.findings[~after.findings["fingerprint"].isin(before.findings["fingerprint"])]
    assert new.empty, new.to_dict("records")


def spell_start(data: Data, rule_id: str, pid: str) -> dt.date | None:
    """When the child's current allocation (or, for visits, placement) began: evidence from
    then on is what the rule counts."""
    if rule_id != "cla-visits":
        return allocation_spell_start(data, pid)
    starts = [
        r["START_DATE"]
        for r in data.tables["placements"]
        if r["PERSON_ID"] == pid and r["START_DATE"] <= data.as_of
    ]
    return max(starts) if starts else None


def likely_in_scope(data: Data, rule_id: str) -> list[str]:
    """Children probably in the rule's scope (allocated, looked after, or with a placement in
    the 12 months to as_of): where the only evidence matters most. All children if none."""
    as_of = data.as_of
    if rule_id == "placement-plan-per-move":
        since = months_before(as_of, 12)
        ids = {
            r["PERSON_ID"] for r in data.tables["placements"] if since <= r["START_DATE"] <= as_of
        }
    elif rule_id == "cla-visits":
        ids = {
            r["PERSON_ID"]
            for r in data.tables["placements"]
            if r["START_DATE"] <= as_of and (r["END_DATE"] is None or r["END_DATE"] >= as_of)
        }
    else:
        ids = {
            p["PERSON_ID"]
            for p in data.tables["persons"]
            if allocation_spell_start(data, p["PERSON_ID"]) is not None
        }
    return sorted(ids) or [p["PERSON_ID"] for p in data.tables["persons"]]


def any_day(rng: random.Random, as_of: dt.date, began: dt.date | None) -> dt.date:
    """A day in the two years to as_of: often since `began`, near or on as_of, a bank holiday."""
    holidays_before = [h for h in HOLIDAY_DATES if -730 <= (h - as_of).days <= 0]
    way = rng.randrange(5)
    if way == 0 and began is not None:
        return began + dt.timedelta(days=rng.randint(0, max((as_of - began).days, 0)))
    if way == 1:
        return as_of - dt.timedelta(days=rng.randint(0, 10))
    if way == 2:
        return rng.choice(holidays_before)
    if way == 3:
        return as_of
    return as_of - dt.timedelta(days=rng.randint(0, 730))


def of_kind(table: str, pid: str, kind: str) -> Callable[[Row], bool]:
    """Whether a row of the table is the child's and of a type that counts as the kind."""
    return lambda row: row["PERSON_ID"] == pid and kind in kinds_of(table, row)


def per_child(result: RunResult) -> Counter[tuple[str, str, str]]:
    """How many exceptions each (rule, check, child) has."""
    columns = ["rule_id", "check", "PERSON_ID"]
    return Counter(map(tuple, result.findings[columns].to_numpy(dtype=object).tolist()))


@SETTINGS
@given(data=exports())
def test_removing_the_only_evidence_never_removes_an_exception(data: Data) -> None:
    rng = seeded(data)
    chosen = some_evidence_rules(rng)
    alone = data
    removed: list[tuple[str, Row]] = []
    for rule_id in chosen:
        pid = rng.choice(likely_in_scope(data, rule_id))
        day = any_day(rng, data.as_of, spell_start(data, rule_id, pid))
        removed.append(evidence_row(rng, rule_id, pid, day))
        # This row is to be the child's only evidence for the rule: drop any other of its kind.
        for name in NAME_COLUMN:
            alone = alone.without(name, of_kind(name, pid, RULE_KIND[rule_id]))
    with_it = alone
    for table, row in removed:
        with_it = with_it.plus(table, row)
    _show(with_it)
    rules = rules_reading_all(removed)
    note(f"removing {removed}\nrules {[r.id for r in rules]}")
    before = run(with_it, rules)
    scope = set(zip(before.in_scope["rule_id"], before.in_scope["PERSON_ID"], strict=True))
    inside = sum(
        (r, row["PERSON_ID"]) in scope for r, (_, row) in zip(chosen, removed, strict=True)
    )
    event(f"children in scope: {inside} of {len(chosen)}")
    after = run(alone, rules)
    lost = per_child(before) - per_child(after)
    assert not lost, f"exceptions gone with the evidence: {lost}"


# --- property 4: the engine agrees with the reference ---------------------------------------
REFERENCES = [
    ("placement-plan-per-move", "plan", reference_placement_plans),
    ("contact-decision-timely", "decision", reference_contact_decisions),
    ("supervision-uploaded", "monthly", reference_supervision),
]


def _boundaries() -> Data:
    """The boundaries a random export seldom hits exactly, as of Monday 02/03/2026."""
    d = dt.date
    return make_data(
        d(2026, 3, 2),
        persons=[{"PERSON_ID": p, "DATE_OF_BIRTH": d(2015, 6, 1)} for p in ("1", "2", "3", "4")],
        allocations=[
            {"PERSON_ID": "3", "WORKER_ID": "W1", "TEAM_NAME": "A", "START_DATE": d(2025, 10, 1)},
            # Allocated 10/02/2026 with no supervision yet: due 12/03/2026, within 14 days.
            {"PERSON_ID": "4", "WORKER_ID": "W2", "TEAM_NAME": "A", "START_DATE": d(2026, 2, 10)},
        ],
        placements=[
            # 5 working days after Monday 22/12/2025, over Christmas, is Wednesday 31/12/2025.
            {"PLACEMENT_ID": "1", "PERSON_ID": "1", "START_DATE": d(2025, 12, 22)},
            # ... and after Monday 23/02/2026 it is as_of itself: due, not yet late.
            {"PLACEMENT_ID": "2", "PERSON_ID": "1", "START_DATE": d(2026, 2, 23)},
        ],
        documents=[
            # A plan uploaded in the afternoon of the last day of the window.
            {
                "DOCUMENT_ID": "1",
                "PERSON_ID": "1",
                "CATEGORY": "Placement Plan",
                "UPLOADED_ON": dt.datetime(2025, 12, 31, 14, 30),
            }
        ],
        contacts=[
            # Friday evening: decided in the afternoon of the next working day (on time).
            {
                "CONTACT_ID": "1",
                "PERSON_ID": "2",
                "RECEIVED_ON": dt.datetime(2026, 2, 27, 17, 45),
                "DECISION_ON": dt.datetime(2026, 3, 2, 16, 0),
            },
            # Friday: decided on the Tuesday (late: due Monday).
            {
                "CONTACT_ID": "2",
                "PERSON_ID": "2",
                "RECEIVED_ON": d(2026, 1, 30),
                "DECISION_ON": d(2026, 2, 3),
            },
            # Saturday, no decision yet: due Monday, which is as_of.
            {"CONTACT_ID": "3", "PERSON_ID": "2", "RECEIVED_ON": d(2026, 2, 28)},
        ],
        case_notes=[
            # Supervision 30/01/2026: the next was due 01/03/2026, the day before as_of.
            {
                "CASE_NOTE_ID": "1",
                "PERSON_ID": "3",
                "NOTE_TYPE": "Case Supervision",
                "CONTACT_DATE": d(2026, 1, 30),
                "CREATED_ON": d(2026, 1, 30),
            }
        ],
    )


@SETTINGS
@given(data=exports())
@example(data=_boundaries())
def test_engine_agrees_with_the_reference(data: Data) -> None:
    _show(data)
    result = run(data, [RULES[rule_id] for rule_id, _, _ in REFERENCES])
    for rule_id, check, reference in REFERENCES:
        late, soon = reference(data)
        got_late, got_soon = engine_keys(result, rule_id, check)
        for what, got, want in (("exceptions", got_late, late), ("due soon", got_soon, soon)):
            assert got == want, (
                f"{rule_id} {check} {what}: engine only {sorted(got - want)}, "
                f"reference only {sorted(want - got)}"
            )


# --- properties 3 and 5: row order does not matter; the same run, the same bytes ------------
# Rules are independent of one another (each reads the export, none another's results), so each
# example runs two of them, chosen from the example: every rule is run over the examples, at an
# eighth of the time of running them all.
RULES_AT_A_TIME = 2


def _comparable(result: RunResult) -> tuple[Any, ...]:
    return (
        result.findings.to_dict("records"),
        result.due_soon.to_dict("records"),
        result.in_scope.to_dict("records"),
        result.outcomes,
    )


def shuffled(data: Data, rng: random.Random) -> Data:
    """The same export with the rows of every table in another order."""
    tables = {}
    for name, rows in data.tables.items():
        rows = list(rows)
        rng.shuffle(rows)
        tables[name] = rows
    return replace(data, tables=tables)


@SETTINGS
@given(data=exports())
def test_row_order_does_not_matter(data: Data) -> None:
    rng = seeded(data)
    rules = rng.sample(ALL_RULES, RULES_AT_A_TIME)
    other = shuffled(data, rng)
    _show(data)
    note(f"rules {[r.id for r in rules]}")
    order = {n: [next(iter(r.values())) for r in rows] for n, rows in other.tables.items()}
    note(f"shuffled (first column): {order}")
    assert _comparable(run(other, rules)) == _comparable(run(data, rules))


def test_due_soon_order_does_not_depend_on_row_order() -> None:
    """Two contacts awaiting a decision due the same day (received Friday and Saturday): the
    due-soon list once kept them in file order."""
    data = make_data(
        dt.date(2026, 3, 2),
        persons=[{"PERSON_ID": "001", "DATE_OF_BIRTH": dt.date(2020, 3, 2)}],
        contacts=[
            {"PERSON_ID": "001", "RECEIVED_ON": dt.date(2026, 2, 27)},
            {"PERSON_ID": "001", "RECEIVED_ON": dt.date(2026, 2, 28)},
        ],
    )
    backwards = data.with_rows("contacts", data.tables["contacts"][::-1])
    rules = [RULES["contact-decision-timely"]]
    due = run(data, rules).due_soon
    assert len(due) == 2
    assert _comparable(run(backwards, rules)) == _comparable(run(data, rules))


@SETTINGS
@given(data=exports())
def test_running_twice_gives_the_same_json(data: Data) -> None:
    rules = seeded(data).sample(ALL_RULES, RULES_AT_A_TIME)
    _show(data)
    note(f"rules {[r.id for r in rules]}")
    wanted = tables_read(rules)
    with tempfile.TemporaryDirectory() as tmp:
        write({n: t for n, t in csv_texts(data).items() if n in wanted}, Path(tmp))
        first, second = (
            json.dumps(
                results_document(load_and_run(Path(tmp), data.as_of, rules, calendar=None)),
                sort_keys=True,
            )
            for _ in range(2)
        )
    assert first == second
