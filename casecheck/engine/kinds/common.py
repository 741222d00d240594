"""What every check kind shares: its registry entry, its result, message templates, evidence."""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeAlias, TypeVar

from casecheck.calendar import Duration, Unit, WorkingCalendar
from casecheck.engine.context import Context, fmt_dates, sort_order
from casecheck.engine.language import (
    Condition,
    DateRef,
    Evidence,
    Requirement,
    Span,
    Strict,
    Where,
)
from casecheck.export.config import normalise_names
from casecheck.export.schema import TABLES, Kind
from casecheck.lazy import np, pa, pc, pd

FINDING_BASE = [
    "PERSON_ID",
    "event_ref",
    "event_date",
    "due_date",
    "days_overdue",
    "message",
    "looked_for",
    "nearest",
]
DUE_BASE = ["PERSON_ID", "event_ref", "due_date", "message"]

# A scope result: index PERSON_ID (every child), columns `in` (bool) and `since` (when the child
# came into scope; NaT when that is unknown or has no date, such as a flag).
ScopeFrame: TypeAlias = "pd.DataFrame"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: who it applied to, the exceptions, and what is due soon."""

    in_scope: pd.Index
    findings: pd.DataFrame
    due_soon: pd.DataFrame


class Problem(NamedTuple):
    """A reference in a check that does not exist: where (relative to the check), what, fix."""

    loc: tuple[str | int, ...]
    what: str
    fix: str


@dataclass(frozen=True)
class EvidenceUse:
    """Evidence a check reads: its kind, whether only Documents count, the fields it requires."""

    kind: str
    in_documents: bool = False
    require: tuple[str, ...] = ()
    kind_loc: tuple[str | int, ...] = ("evidence", "kind")


M = TypeVar("M", bound=Strict)
WhereUse = tuple[tuple[str | int, ...], str, Where]


@dataclass(frozen=True)
class CheckKind(Generic[M]):
    """One check kind: its model, what it reads, its reference checks, evaluation and words."""

    model: type[M]
    evaluate: Callable[[M, Context, ScopeFrame], CheckResult]
    words: Callable[[M], str]  # the check in plain English, for `rules explain`
    tables: Callable[[M], list[str]]  # tables or `table.COLUMN`s it reads (besides evidence)
    evidence: Callable[[M], list[EvidenceUse]] = field(default=lambda _: [])
    references: Callable[[M], list[Problem]] = field(default=lambda _: [])
    # Each `where:` it holds: (where in the check, the table its rows come from, the conditions),
    # checked against the table's columns (the council's declared ones too) when rules are read.
    wheres: Callable[[M], list[WhereUse]] = field(default=lambda _: [])
    templates: dict[str, str] = field(default_factory=dict)  # its messages, by situation


# --- messages ---------------------------------------------------------------------------------
def fill(template: str, index: pd.Index, **fields: Any) -> pd.Series:
    """A message per row: `template`'s {names} filled from text Series (or one text for all).

    "Placement started {date}; no {evidence} by {due} ({after})" with date and due Series and
    evidence and after strings gives one message per row, joined by pyarrow in one pass (no
    Python string per step). A row whose value is missing in any Series gets no message (NaN).
    """
    parts: list[Any] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if name is not None:
            value = fields[name]
            if isinstance(value, pd.Series):
                text = value.reindex(index) if not value.index.equals(index) else value
                parts.append(_arrow_text(text))
            else:
                parts.append(str(value))
    if not any(isinstance(p, pa.Array) for p in parts):
        return pd.Series("".join(parts), index=index, dtype=object)
    joined = pc.binary_join_element_wise(*parts, "", null_handling="emit_null")
    out = joined.to_numpy(zero_copy_only=False)
    if joined.null_count:
        out[pd.isna(out)] = np.nan
    return pd.Series(out, index=index, dtype=object)


def _arrow_text(text: pd.Series) -> pa.Array:
    """A Series' values as an Arrow string array (missing values null), as `str()` writes them."""
    if hasattr(text.array, "__arrow_array__") and isinstance(text.dtype, pd.StringDtype):
        return pa.array(text.array).cast(pa.string())
    values = text.to_numpy(dtype=object)
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # not all text: as str() writes each
        return pa.array(text.astype(str).to_numpy(dtype=object), type=pa.string(), from_pandas=True)


def choose(condition: pd.Series | np.ndarray, if_true: pd.Series, if_false: pd.Series) -> pd.Series:
    """Row by row, one of two filled templates."""
    chosen = np.where(np.asarray(condition, dtype=bool), if_true.to_numpy(), if_false.to_numpy())
    return pd.Series(chosen, index=if_true.index, dtype=object)


ACRONYMS = {"cla": "CLA", "cin": "CIN", "cp": "CP", "uasc": "UASC", "rhi": "RHI"}


def words(kind: str) -> str:
    """An evidence kind as words: placement_plan -> placement plan, cla_visit -> CLA visit."""
    return " ".join(ACRONYMS.get(w, w) for w in kind.split("_"))


def has_time(values: pd.Series) -> pd.Series:
    """Which values carry a time of day; a date with no time (read as midnight) does not."""
    timed: pd.Series = (values.notna() & (values != values.dt.normalize())).astype(bool)
    return timed


def fmt_when(values: pd.Series, duration: Duration | None = None) -> pd.Series:
    """Dates for a message: for an hour-based timescale with the time of day, where the value
    has one (a date with no time is never shown with a made-up 00:00)."""
    dates = fmt_dates(values)
    if duration is not None and duration.unit is Unit.HOURS:
        timed = has_time(values)
        times = values.dt.strftime(" %H:%M").fillna("").astype(object)
        return dates.where(~timed, dates + times)
    return dates


def end_of(due: pd.Series, duration: Duration) -> pd.Series:
    """The first instant past a deadline: the day after the due day, or just after the due hour.

    "Within 72 hours" includes the 72nd hour itself: a return at 18:00 is on time with an
    interview at 18:00 three days later, and late at 18:01 (timestamps are nanoseconds).
    """
    if duration.unit is Unit.HOURS:
        return due + pd.Timedelta(1, unit="ns")
    return due + pd.Timedelta(days=1)


def days_between(start: pd.Series, end: pd.Timestamp | pd.Series) -> pd.Series:
    """Whole calendar days from each start's day to `end` (the days overdue)."""
    days: pd.Series = (end - start.dt.normalize()).dt.days.astype("int64")
    return days


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def in_scope(scope: ScopeFrame) -> pd.Index:
    return scope.index[scope["in"].to_numpy()]


# --- conditions on rows -----------------------------------------------------------------------
def meets(values: pd.Series, requirement: Requirement) -> pd.Series:
    """Which cells satisfy a requirement: recorded, a flag value, or one of some names."""
    if requirement == "recorded":
        return values.notna()
    if isinstance(requirement, bool):
        return values.astype("boolean").eq(requirement).fillna(False).astype(bool)
    wanted = {" ".join(str(v).split()).upper() for v in requirement}
    return values.astype(str).str.upper().isin(wanted) & values.notna()


def unmet_words(field: str, requirement: Requirement) -> str:
    """What a row lacks: 'no RAG_RATING recorded', 'CHILD_SEEN not Y'."""
    if requirement == "recorded":
        return f"no {field} recorded"
    if isinstance(requirement, bool):
        return f"{field} not {'Y' if requirement else 'N'}"
    return f"{field} not {' or '.join(requirement)}"


def wanted_words(field: str, requirement: Requirement) -> str:
    """What a row needs: 'RAG_RATING recorded', 'CHILD_SEEN = Y'."""
    if requirement == "recorded":
        return f"{field} recorded"
    if isinstance(requirement, bool):
        return f"{field} = {'Y' if requirement else 'N'}"
    return f"{field} one of {', '.join(requirement)}"


def matches(values: pd.Series, wanted: list[str]) -> pd.Series:
    """Case-insensitive, space-folded match of text cells against `wanted`."""
    folded = {" ".join(v.split()).casefold() for v in wanted}
    return normalise_names(values.fillna("").astype(str)).isin(folded)


def _day_of(rows: pd.DataFrame, ref: DateRef) -> pd.Series:
    """The day a comparison compares with, row by row: another date column, or a date."""
    if ref.column is not None:
        day: pd.Series = rows[ref.column].astype("datetime64[ns]").dt.normalize()
        return day
    assert ref.date is not None
    return pd.Series(pd.Timestamp(ref.date), index=rows.index, dtype="datetime64[ns]")


def _span(rows: pd.DataFrame, span: Span, calendar: WorkingCalendar) -> tuple[pd.Series, pd.Series]:
    """The days from and to which `span` reaches (`6 weeks after START_DATE`), both included."""
    ref = _day_of(rows, span.ref)
    if span.side == "after":
        return ref, calendar.add(ref, span.duration).dt.normalize()
    return calendar.subtract(ref, span.duration).dt.normalize(), ref


def holds(
    rows: pd.DataFrame,
    column: str,
    condition: Condition,
    calendar: WorkingCalendar | None = None,
) -> pd.Series:
    """Which rows' `column` satisfies a `where:` condition. Date comparisons are by day, and a
    blank date on either side never passes one; `within`/`more_than` need the calendar."""
    values = rows[column]
    if pd.api.types.is_bool_dtype(values.dtype):  # a flag column matches as Y and N
        flags = values.astype("boolean")
        yes = flags.fillna(False).to_numpy(dtype=bool)
        text = np.where(yes, "Y", "N").astype(object)
        text[flags.isna().to_numpy(dtype=bool)] = None
        values = pd.Series(text, index=values.index, dtype=object)
    ok = pd.Series(True, index=values.index)
    if condition.one_of is not None:
        ok &= matches(values, condition.one_of)
    if condition.none_of is not None:
        ok &= ~matches(values, condition.none_of)
    if condition.blank is not None:
        ok &= values.isna() == condition.blank
    if not condition.compares_dates:
        return ok
    day = values.astype("datetime64[ns]").dt.normalize()
    if condition.after is not None:
        ok &= (day > _day_of(rows, condition.after)).fillna(False).astype(bool)
    if condition.before is not None:
        ok &= (day < _day_of(rows, condition.before)).fillna(False).astype(bool)
    for span, inside in ((condition.within, True), (condition.more_than, False)):
        if span is None:
            continue
        assert calendar is not None, "a duration in a condition needs the working calendar"
        lo, hi = _span(rows, span, calendar)
        if inside:
            ok &= ((day >= lo) & (day <= hi)).fillna(False).astype(bool)
        else:
            beyond = day > hi if span.side == "after" else day < lo
            ok &= beyond.fillna(False).astype(bool)
    return ok


def where(
    rows: pd.DataFrame, conditions: Where, calendar: WorkingCalendar | None = None
) -> pd.DataFrame:
    """Only the rows whose columns satisfy every condition."""
    for column, condition in conditions.items():
        rows = rows[holds(rows, column, condition, calendar).to_numpy()]
    return rows


def condition_words(column: str, condition: Condition) -> str:
    """'PLACEMENT_TYPE is not Short break or Respite', 'RHI_DATE is blank',
    'END_DATE is more than 6 weeks after START_DATE'."""
    parts = []
    if condition.one_of is not None:
        parts.append(f"{column} is {' or '.join(condition.one_of)}")
    if condition.none_of is not None:
        parts.append(f"{column} is not {' or '.join(condition.none_of)}")
    if condition.blank is not None:
        parts.append(f"{column} is {'blank' if condition.blank else 'not blank'}")
    if condition.after is not None:
        parts.append(f"{column} is after {condition.after}")
    if condition.before is not None:
        parts.append(f"{column} is before {condition.before}")
    if condition.within is not None:
        parts.append(f"{column} is within {condition.within}")
    if condition.more_than is not None:
        parts.append(f"{column} is more than {condition.more_than}")
    return " and ".join(parts)


def not_dates(table: str, named: list[tuple[tuple[str | int, ...], str]]) -> list[Problem]:
    """A problem for each named column of `table` that exists but holds no dates."""
    columns = {c.name: c.kind for c in TABLES[table].columns}
    dates = [name for name, kind in columns.items() if kind is Kind.DATE]
    return [
        Problem(
            loc, f'"{column}" is not a date column of {table}', f"Use one of {', '.join(dates)}."
        )
        for loc, column in named
        if column in columns and columns[column] is not Kind.DATE
    ]


def columns_needed(conditions: Where) -> list[str]:
    """The columns a `where:` needs in the export: those it looks for values in, and every
    column a date comparison reads. A condition that a blank cell passes (`not: [...]`,
    `blank`) holds for every row of a file without the column, so the rule still runs."""
    out: list[str] = []
    for column, condition in conditions.items():
        if condition.one_of is not None or condition.blank is False or condition.compares_dates:
            out.append(column)
        out += [c for c in condition.columns_compared if c not in out]
    return list(dict.fromkeys(out))


def date_problems(
    conditions: Where, table: str, kinds: Mapping[str, Kind], at: tuple[str | int, ...]
) -> list[Problem]:
    """A `where:` naming a column the table does not have (the contract's or the council's
    declared extra columns), or comparing dates on a column that does not hold dates."""
    dates = sorted(c for c, k in kinds.items() if k is Kind.DATE)
    out: list[Problem] = []
    for column, condition in conditions.items():
        loc = (*at, column)
        named = [(loc, column)] + [(loc, c) for c in condition.columns_compared]
        for where_, name in named:
            if name not in kinds:
                out.append(
                    Problem(
                        where_,
                        f'"{name}" is not a column of {table}',
                        f"Use one of {', '.join(sorted(kinds))}, or declare it under "
                        f"tables: > {table}: > extra_columns: in casecheck.yaml.",
                    )
                )
            elif condition.compares_dates and kinds[name] is not Kind.DATE:
                out.append(
                    Problem(
                        where_,
                        f'"{name}" is not a date column of {table}: its dates cannot be compared',
                        f"Compare one of {', '.join(dates) or 'its date columns'}.",
                    )
                )
    return out


def where_words(conditions: Where) -> str:
    return "".join(f", where {condition_words(c, v)}" for c, v in conditions.items())


# --- evidence ---------------------------------------------------------------------------------
def select_evidence(ctx: Context, evidence: Evidence) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split evidence of the kind into what counts and what does not (with `why_not`)."""
    rows = ctx.evidence_of(evidence.kind)
    # Each piece's first reason not to count, as a code into `reasons` (0: it counts).
    reasons = [""]
    reason = np.zeros(len(rows), dtype=np.intp)
    if evidence.in_documents:
        reasons.append("not in Documents")
        reason[~ctx.evidence_in_documents(evidence.kind)] = len(reasons) - 1
    for name, requirement in evidence.require.items():
        reasons.append(unmet_words(name, requirement))
        unmet = ~meets(rows[name], requirement).to_numpy(dtype=bool)
        reason[unmet & (reason == 0)] = len(reasons) - 1
    counts = reason == 0
    counted = rows[counts]
    others = rows[~counts].assign(why_not=np.array(reasons, dtype=object)[reason[~counts]])
    return counted, others


def evidence_words(evidence: Evidence) -> str:
    """'placement plan', or 'age assessment in Documents'."""
    return words(evidence.kind) + (" in Documents" if evidence.in_documents else "")


def evidence_explained(evidence: Evidence) -> str:
    """The evidence a check looks for, for `rules explain`."""
    text = f"a completed {words(evidence.kind)}"
    if evidence.in_documents:
        text += " uploaded to Documents (found elsewhere, it is reported with where it was found)"
    if evidence.require:
        text += " with " + " and ".join(wanted_words(f, r) for f, r in evidence.require.items())
    return text


def use_of(evidence: Evidence) -> EvidenceUse:
    return EvidenceUse(evidence.kind, evidence.in_documents, tuple(evidence.require))


NEAREST_COLUMNS = ["key", "found", "why_not", "nearest"]


def nearest(targets: pd.DataFrame, candidates: pd.DataFrame, kind: str) -> pd.DataFrame:
    """For each target (PERSON_ID, key, date), the candidate evidence nearest in time.

    Returns `key`, `found` ("placement plan as a case note dated 03/04/2025"), `why_not` (why
    it does not count: "not in Documents") and `nearest` (the two together, for the report).
    """
    if targets.empty or candidates.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in NEAREST_COLUMNS})
    cand = candidates[["PERSON_ID", "date", "source", "ref"]].assign(
        why_not=candidates["why_not"].fillna("") if "why_not" in candidates.columns else ""
    )
    pairs = targets[["PERSON_ID", "key", "date"]].merge(
        cand.rename(columns={"date": "ev_date"}), on="PERSON_ID"
    )
    # The first of each target's pairs by gap, then date, then ref: a sort on integer codes.
    key = pd.factorize(pairs["key"])[0].astype(np.int64)
    ev_date = pairs["ev_date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    target = pairs["date"].to_numpy(dtype="datetime64[ns]")
    gap = np.where(np.isnat(target), 0, np.abs(ev_date - target.view(np.int64)))
    order = sort_order([key, gap, ev_date], pairs["ref"])
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    out = pairs.iloc[order[first]]
    # Words only for the nearest piece of each target, not for every candidate.
    out = pd.DataFrame(
        {
            "key": out["key"],
            "found": fill(
                "{what} {source} dated {date}",
                out.index,
                what=words(kind),
                source=out["source"],
                date=fmt_dates(out["ev_date"]),
            ),
            "why_not": out["why_not"],
        }
    )
    out["nearest"] = choose(
        out["why_not"] == "",
        out["found"],
        fill("{found} ({why})", out.index, found=out["found"], why=out["why_not"]),
    )
    return out
