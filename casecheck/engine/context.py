"""What every rule reads: the export as of a date, derived once (spells, evidence, allocations)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from casecheck.calendar import Duration, Unit, WorkingCalendar
from casecheck.export.config import EvidenceVocabulary, evidence_vocabulary, normalise_names
from casecheck.export.schema import TABLES
from casecheck.lazy import np, npt, pa, pc, pd

if TYPE_CHECKING:
    from casecheck.export.load import Export

DATE_FMT = "%d/%m/%Y"


@dataclass(frozen=True)
class EvidenceSource:
    """A table evidence is found in: the columns naming a row's type, each with the vocabulary
    list that maps those names to evidence kinds; the column dating it; how a message names it."""

    names: tuple[tuple[str, str], ...]
    date: str
    where: str


EVIDENCE_SOURCES: dict[str, EvidenceSource] = {
    "documents": EvidenceSource(
        (("CATEGORY", "document_categories"), ("SUB_CATEGORY", "document_sub_categories")),
        "UPLOADED_ON",
        "in Documents",
    ),
    "workflow_steps": EvidenceSource(
        (("STEP_TYPE", "step_types"),), "COMPLETED_ON", "as a workflow step"
    ),
    "case_notes": EvidenceSource((("NOTE_TYPE", "note_types"),), "CONTACT_DATE", "as a case note"),
}
# Fields a rule may require on evidence (all blank where the source has no such column).
EVIDENCE_FIELDS = ("RAG_RATING", "NEXT_REVIEW_DATE", "CHILD_SEEN", "SEEN_ALONE", "VISIT_METHOD")
VISIT_KINDS = ("visit", "cla_visit", "cin_visit", "cp_visit")
EVIDENCE_COLUMNS = ["PERSON_ID", "kind", "source", "table", "date", "ref", *EVIDENCE_FIELDS]


def fmt_dates(values: pd.Series) -> pd.Series:
    """Dates as DD/MM/YYYY text (blank for NaT), the way a team manager reads them.

    numpy writes ISO dates in C; moving their characters as a fixed-width array is far faster
    than strftime or per-cell string slicing.
    """
    days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    iso = np.datetime_as_string(days, unit="D").astype("U10")
    codes = iso.view(np.int32).reshape(-1, 10)
    out = np.empty_like(codes)
    out[:, 0:2] = codes[:, 8:10]
    out[:, 3:5] = codes[:, 5:7]
    out[:, 6:10] = codes[:, 0:4]
    out[:, [2, 5]] = ord("/")
    text = out.view("U10").ravel().astype(object)
    text[np.isnat(days)] = ""
    return pd.Series(text, index=values.index, dtype=object)


def _evidence_order(rows: pd.DataFrame) -> npt.NDArray[np.intp]:
    """The order of `rows.sort_values(["PERSON_ID", "kind", "date", "ref"], kind="stable")`,
    sorted on integer codes; refs (nearly all distinct) are compared only to settle ties."""
    if not len(rows):
        return np.zeros(0, dtype=np.intp)
    person = pd.factorize(rows["PERSON_ID"], sort=True)[0]
    codes, kinds = pd.factorize(rows["kind"].to_numpy(dtype=object))
    kind = np.argsort(np.argsort(np.asarray(kinds.astype(str), dtype=str)))[codes]
    date = rows["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order: npt.NDArray[np.intp] = np.lexsort((date, kind, person))
    same = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        same[1:] = (
            (person[order][1:] == person[order][:-1])
            & (kind[order][1:] == kind[order][:-1])
            & (date[order][1:] == date[order][:-1])
        )
    if same.any():  # rows equal on the first three keys: by ref, blank refs last
        tied = same.copy()
        tied[:-1] |= same[1:]
        group = np.cumsum(~same)[tied]
        at = order[tied]
        refs = pd.factorize(rows["ref"].iloc[at], sort=True)[0]
        refs = np.where(refs < 0, refs.max(initial=0) + 1, refs)
        order[tied] = at[np.lexsort((refs, group))]
    return order


def member(values: pd.Series, ids: pd.Index | pd.Series) -> pd.Series:
    """`values.isin(ids)` for id columns, through pyarrow when the column is Arrow-backed.

    pandas' isin on Arrow strings builds a Python scalar per id; pyarrow's is_in does not.
    """
    if hasattr(values.array, "__arrow_array__") and len(values):
        wanted = pa.array(pd.Index(ids).to_numpy(dtype=object), type=pa.string())
        found = pc.is_in(pa.array(values.array), value_set=wanted)
        return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)
    return values.isin(ids)


def spells(
    frame: pd.DataFrame,
    start: str,
    end: str,
    ties: tuple[str, ...] = (),
    handover: tuple[WorkingCalendar, int] | None = None,
) -> pd.DataFrame:
    """Join each child's overlapping or back-to-back periods into spells (allocation, care).

    Periods join when one starts at the latest the day after the one before ends, or, with
    `handover` (a calendar and N), by the Nth working day after it ends: with N = 1 an
    allocation ending on a Friday and the next starting on Monday (or on the Tuesday after a
    bank holiday Monday) is one spell with a handover, not two.

    Returns the frame sorted by PERSON_ID, start, end and then `ties` (so that the order never
    depends on the order of the rows in the export), with `spell_start` and `spell_end` (NaT =
    still open) for the spell each row belongs to.
    """
    rows = frame.sort_values(["PERSON_ID", start, end, *ties], kind="stable", na_position="last")
    # An open period reaches "far": far enough to beat any real date, near enough that a day
    # can still be added to it without overflowing.
    far = pd.Timestamp("2262-01-01")
    ends = rows[end].fillna(far)
    reach = ends.groupby(rows["PERSON_ID"], sort=False).cummax()
    previous = reach.groupby(rows["PERSON_ID"], sort=False).shift(1)
    new_child = rows["PERSON_ID"].ne(rows["PERSON_ID"].shift(1))
    limit = previous.dt.normalize() + pd.Timedelta(days=1)
    if handover is not None and handover[1] > 0:
        calendar, days = handover
        closed = previous.where(previous < far)
        joined = calendar.add(closed, Duration(amount=days, unit=Unit.WORKING_DAYS))
        limit = limit.where(joined.isna() | (joined < limit), joined)
    new_spell = new_child | (rows[start].dt.normalize() > limit).fillna(True)
    spell = new_spell.cumsum()
    out = rows.copy()
    out["spell_start"] = rows[start].groupby(spell).transform("min")
    spell_end = ends.groupby(spell).transform("max")
    out["spell_end"] = spell_end.where(spell_end != far)
    return out


@dataclass
class Context:
    """The export seen from one as-of date, with the frames rules share computed once."""

    export: Export
    as_of: dt.date
    calendar: WorkingCalendar
    due_soon_days: int = 14
    # The evidence kinds the rules look for: `evidence` holds only these (None: every kind).
    evidence_kinds: frozenset[str] | None = None

    @cached_property
    def vocabulary(self) -> EvidenceVocabulary:
        return evidence_vocabulary(self.export.config)

    @cached_property
    def today(self) -> pd.Timestamp:
        return pd.Timestamp(self.as_of)

    @cached_property
    def end_of_today(self) -> pd.Timestamp:
        """Anything dated before this happened on or before the as-of date."""
        return self.today + pd.Timedelta(days=1)

    def table(self, name: str) -> pd.DataFrame:
        return self.export.tables[name]

    def has(self, name: str) -> bool:
        return name in self.export.tables

    def has_column(self, table: str, column: str) -> bool:
        """The table is in the export and has this contract column (not one it lacks by design)."""
        declared = self.export.columns.get(table) or {c.name: c.kind for c in TABLES[table].columns}
        return (
            self.has(table)
            and column in declared
            and column not in self.export.absent_columns.get(table, ())
        )

    def before(self, duration: Duration) -> pd.Timestamp:
        """The as-of date less `duration`: the start of a look-back period."""
        one = pd.Series([self.today])
        return pd.Timestamp(self.calendar.subtract(one, duration).iloc[0])

    @cached_property
    def person_ids(self) -> pd.Index:
        ids: pd.Index = pd.Index(self.table("persons")["PERSON_ID"], name="PERSON_ID")
        return ids

    @cached_property
    def persons(self) -> pd.DataFrame:
        return self.table("persons").set_index("PERSON_ID")

    @cached_property
    def handover(self) -> tuple[WorkingCalendar, int]:
        """How far apart two periods (allocations, placements) may be and still be one spell."""
        return self.calendar, self.export.config.handover_working_days

    # --- allocations -------------------------------------------------------------------------
    @cached_property
    def allocation_spells(self) -> pd.DataFrame:
        alloc = self.table("allocations")
        alloc = alloc[alloc["START_DATE"] < self.end_of_today]
        return spells(
            alloc,
            "START_DATE",
            "END_DATE",
            ties=("WORKER_ID", "ALLOCATION_ID"),
            handover=self.handover,
        )

    @cached_property
    def current_allocation(self) -> pd.DataFrame:
        """Each currently allocated child's latest allocation covering the as-of date."""
        rows = self.allocation_spells
        open_now = rows["END_DATE"].isna() | (rows["END_DATE"] >= self.today)
        now = rows[open_now].sort_values(["PERSON_ID", "START_DATE", "WORKER_ID"], kind="stable")
        return now.drop_duplicates("PERSON_ID", keep="last").set_index("PERSON_ID")

    @cached_property
    def holder(self) -> pd.DataFrame:
        """Team and worker holding each child's case now (the last allocation if none is open)."""
        if not self.has("allocations"):
            empty = pd.Index([], dtype=str, name="PERSON_ID")
            return pd.DataFrame({"team": [], "worker": []}, index=empty, dtype=str)
        rows = self.allocation_spells.sort_values(
            ["PERSON_ID", "START_DATE", "WORKER_ID"], kind="stable"
        )
        last = rows.drop_duplicates("PERSON_ID", keep="last").set_index("PERSON_ID")
        current = self.current_allocation
        both = pd.concat([last[~last.index.isin(current.index)], current])
        worker = both["WORKER_NAME"].fillna(both["WORKER_ID"])
        team = both["TEAM_NAME"]
        closed = ~both.index.isin(current.index)
        team = team.where(~closed, team + " (closed)")
        return pd.DataFrame({"team": team, "worker": worker})

    @cached_property
    def first_allocation(self) -> pd.Series:
        return self.allocation_spells.groupby("PERSON_ID")["START_DATE"].min()

    # --- placements --------------------------------------------------------------------------
    @cached_property
    def placement_spells(self) -> pd.DataFrame:
        rows = self.table("placements")
        rows = rows[rows["START_DATE"] < self.end_of_today]
        return spells(
            rows, "START_DATE", "END_DATE", ties=("PLACEMENT_ID",), handover=self.handover
        )

    @cached_property
    def current_placement(self) -> pd.DataFrame:
        rows = self.placement_spells
        open_now = rows["END_DATE"].isna() | (rows["END_DATE"] >= self.today)
        now = rows[open_now].sort_values(["PERSON_ID", "START_DATE"], kind="stable")
        return now.drop_duplicates("PERSON_ID", keep="last").set_index("PERSON_ID")

    # --- evidence ----------------------------------------------------------------------------
    def evidence_tables(self, kind: str, in_documents: bool = False) -> list[str]:
        """The tables that can hold evidence of `kind` (whether or not this export has them)."""
        if kind in VISIT_KINDS:
            return ["visits"]
        if in_documents:
            return ["documents"]
        return [
            t
            for t, source in EVIDENCE_SOURCES.items()
            if any(self.vocabulary.names(kind, vocab) for _, vocab in source.names)
        ]

    def of_kind(self, rows: pd.DataFrame, table: str, kind: str) -> pd.Series:
        """Which rows of an evidence table are of the kind (by any of their type columns)."""
        found = pd.Series(False, index=rows.index)
        for column, vocab in EVIDENCE_SOURCES[table].names:
            names = self.vocabulary.names(kind, vocab)
            if names:
                found |= normalise_names(rows[column].fillna("")).isin(names)
        return found

    @cached_property
    def evidence(self) -> pd.DataFrame:
        """Every dated piece of evidence up to the as-of date, one row per kind it counts as."""
        parts = [self._evidence_from(t) for t in EVIDENCE_SOURCES if self.has(t)]
        if self.has("visits"):
            parts.append(self._visit_evidence())
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(
                {
                    c: pd.Series(dtype="datetime64[ns]" if c == "date" else object)
                    for c in EVIDENCE_COLUMNS
                }
            )
        out = pd.concat(parts, ignore_index=True)
        out = out[(out["date"].notna() & (out["date"] < self.end_of_today)).to_numpy()]
        out["kind"] = out["kind"].astype(object)  # whichever parts there are
        return out.take(_evidence_order(out)).reset_index(drop=True)

    @cached_property
    def evidence_rows(self) -> dict[str, npt.NDArray[np.intp]]:
        """The positions of each kind's rows in `evidence`, in order: split once, not once
        per check."""
        codes, kinds = pd.factorize(self.evidence["kind"].to_numpy(dtype=object))
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(kinds) + 1))
        return {str(k): order[bounds[i] : bounds[i + 1]] for i, k in enumerate(kinds)}

    def evidence_of(self, kind: str) -> pd.DataFrame:
        """`evidence[evidence["kind"] == kind]`: the evidence of one kind, same rows and index."""
        return self.evidence.iloc[self.evidence_rows.get(kind, np.zeros(0, dtype=np.intp))]

    def _wanted(self, kind: str) -> bool:
        return self.evidence_kinds is None or kind in self.evidence_kinds

    def _evidence_from(self, table: str) -> pd.DataFrame:
        source = EVIDENCE_SOURCES[table]
        rows = self.on_file(table)
        if table == "workflow_steps":
            rows = rows[rows["STEP_STATUS"] == "COMPLETED"]
        keyed = pd.DataFrame(
            {
                "PERSON_ID": rows["PERSON_ID"],
                "date": self._evidence_date(rows, table, source.date),
                "ref": rows[TABLES[table].key or "PERSON_ID"],
                **{f: rows[f] if f in rows.columns else None for f in EVIDENCE_FIELDS},
                "_row": np.arange(len(rows)),
            }
        )
        found = []
        for column, vocab in source.names:
            pairs = [
                (name, kind)
                for kind in self.vocabulary.kinds
                if self._wanted(kind)
                for name in sorted(self.vocabulary.names(kind, vocab))
            ]
            lookup = pd.DataFrame(pairs, columns=["_name", "kind"])
            named = keyed.assign(_name=normalise_names(rows[column].fillna("")).to_numpy())
            found.append(named.merge(lookup, on="_name", how="inner"))
        # A document whose category and sub-category both name the kind is one piece, not two.
        out = pd.concat(found, ignore_index=True).drop_duplicates(["_row", "kind"])
        out = out.drop(columns=["_name", "_row"])
        out["source"] = source.where
        out["table"] = table
        return out[EVIDENCE_COLUMNS]

    def on_file(self, table: str) -> pd.DataFrame:
        """The rows of `table` that were on the child's file as of the as-of date.

        A case note is on the file once created (CREATED_ON on or before the as-of date) and
        never while it is a DRAFT; a document once uploaded. Other tables: every row.
        """
        rows = self.table(table)
        if table == "case_notes":
            return rows[
                (rows["STATUS"].fillna("") != "DRAFT") & (rows["CREATED_ON"] < self.end_of_today)
            ]
        if table == "documents":
            return rows[rows["UPLOADED_ON"] < self.end_of_today]
        return rows

    @staticmethod
    def _evidence_date(rows: pd.DataFrame, table: str, date_col: str) -> pd.Series:
        """When the evidence happened: a document's DOCUMENT_DATE when it has one, else its
        upload; a note's contact date; a step's completion."""
        dates: pd.Series = rows[date_col]
        if table == "documents" and "DOCUMENT_DATE" in rows.columns:
            dates = rows["DOCUMENT_DATE"].fillna(dates)
        return dates

    def _visit_evidence(self) -> pd.DataFrame:
        rows = self.table("visits")
        base = pd.DataFrame(
            {
                "PERSON_ID": rows["PERSON_ID"],
                "date": rows["ACTUAL_DATE"],
                "ref": rows["VISIT_ID"],
                **{f: rows[f] if f in rows.columns else None for f in EVIDENCE_FIELDS},
            }
        )
        any_visit = base.assign(kind="visit").iloc[: len(base) if self._wanted("visit") else 0]
        typed = base[rows["VISIT_TYPE"].notna().to_numpy()].assign(
            kind=rows["VISIT_TYPE"].dropna().str.lower().to_numpy() + "_visit"
        )
        if self.evidence_kinds is not None:
            typed = typed[typed["kind"].isin(self.evidence_kinds).to_numpy()]
        out = pd.concat([any_visit, typed], ignore_index=True)
        out["source"] = "as a visit"
        out["table"] = "visits"
        return out[EVIDENCE_COLUMNS]
