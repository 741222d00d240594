"""What every rule reads: the export as of a date, derived once (spells, evidence, allocations)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

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
EVIDENCE_FIELDS: dict[
    str, Any
] = {  # field -> its type in the evidence frame, whichever tables have it
    "RAG_RATING": "str",
    "NEXT_REVIEW_DATE": "datetime64[ns]",
    "CHILD_SEEN": "boolean",
    "SEEN_ALONE": "boolean",
    "VISIT_METHOD": "str",
}
VISIT_KINDS = ("visit", "cla_visit", "cin_visit", "cp_visit")
EVIDENCE_COLUMNS = ["PERSON_ID", "kind", "source", "table", "date", "ref", *EVIDENCE_FIELDS]


def fmt_dates(values: pd.Series) -> pd.Series:
    """Dates as DD/MM/YYYY text (blank for NaT), the way a team manager reads them.

    numpy writes ISO dates in C; moving their characters as a fixed-width array is far faster
    than strftime or per-cell string slicing.
    """
    days = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    distinct, at = np.unique(days, return_inverse=True)  # few days, many rows: each written once
    iso = np.datetime_as_string(distinct, unit="D").astype("U10")
    codes = iso.view(np.int32).reshape(-1, 10)
    out = np.empty_like(codes)
    out[:, 0:2] = codes[:, 8:10]
    out[:, 3:5] = codes[:, 5:7]
    out[:, 6:10] = codes[:, 0:4]
    out[:, [2, 5]] = ord("/")
    text = out.view("U10").ravel().astype(object)
    text[np.isnat(distinct)] = ""
    return pd.Series(text[at.ravel()], index=values.index, dtype=object)


def sort_order(
    keys: list[npt.NDArray[np.int64]],
    refs: pd.Series,
    rows: npt.NDArray[np.intp] | None = None,
) -> npt.NDArray[np.intp]:
    """The order of a stable sort on integer `keys` (most significant first), then on `refs`,
    text compared only where the keys tie (refs are nearly all distinct), blank refs last.

    With `rows`, the keys are of those rows of `refs` only (the refs are not copied to match).
    """
    if not len(keys[0]):
        return np.zeros(0, dtype=np.intp)
    packed = _packed(keys)
    order: npt.NDArray[np.intp] = (
        np.lexsort(keys[::-1]) if packed is None else np.argsort(packed, kind="stable")
    )
    same = np.zeros(len(order), dtype=bool)
    same[1:] = True
    for key in keys:
        ordered = key[order]
        same[1:] &= ordered[1:] == ordered[:-1]
    if same.any():  # rows equal on every key: by ref
        tied = same.copy()
        tied[:-1] |= same[1:]
        run = np.cumsum(~same)[tied]
        at = order[tied]
        ref = pd.factorize(refs.iloc[at if rows is None else rows[at]], sort=True)[0]
        ref = np.where(ref < 0, ref.max(initial=0) + 1, ref)
        order[tied] = at[np.lexsort((ref, run))]
    return order


def _packed(keys: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64] | None:
    """The keys packed into one integer that sorts as they do together (most significant
    first), or None when they need more than 62 bits.

    Each key is counted from its least value in steps of its values' greatest common divisor
    (a date in nanoseconds that is a whole second, minute or day needs far fewer bits): one
    stable sort of one key is several times faster than lexsort's sort per key.
    """
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    bits = 0
    for key in reversed(keys):  # least significant first
        low, high = int(key.min()), int(key.max())
        if high - low >= 1 << 62:
            return None
        span = np.subtract(key, low, dtype=np.int64)
        step = int(np.gcd.reduce(span)) or 1
        if step > 1:
            span //= step
        width = ((high - low) // step).bit_length()
        if bits + width > 62:
            return None
        if bits:
            span <<= bits
        packed |= span
        bits += width
    return packed


@dataclass(frozen=True)
class Pieces:
    """Evidence found in one table: its rows (positions, a row once per kind it counts as) and
    the kind of each (a code into `names`)."""

    table: str
    rows: npt.NDArray[np.intp]
    kinds: npt.NDArray[np.intp]
    names: tuple[str, ...]


def _labels(labels: list[str], parts: list[Pieces], order: npt.NDArray[np.intp]) -> pd.Series:
    """A label per part (its table, or where it was found) spread to its pieces, in `order`:
    codes into the distinct labels (a byte a piece, not a pointer)."""
    distinct = sorted(set(labels))
    code = np.array([distinct.index(label) for label in labels], dtype=np.int8)
    spread = np.repeat(code, [len(p.rows) for p in parts])
    return pd.Series(pd.Categorical.from_codes(spread[order], categories=pd.Index(distinct)))


def _spread(
    codes: npt.NDArray[np.intp], found: dict[int, list[int]], usable: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The rows whose code names one or more kinds (`found`: code -> kinds), a row once per kind."""
    size = int(codes.max(initial=-1)) + 2  # code -1 (no name) gets the last slot, never found
    count = np.zeros(size, dtype=np.intp)
    for code, kinds in found.items():
        count[code] = len(kinds)
    flat = np.array([k for code in sorted(found) for k in found[code]], dtype=np.intp)
    first = np.zeros(size, dtype=np.intp)
    first[sorted(found)] = np.cumsum([0, *(len(found[c]) for c in sorted(found))])[:-1]
    rows = np.flatnonzero(usable & (count[codes] > 0))
    times = count[codes[rows]]
    rows = np.repeat(rows, times)
    step = np.arange(len(rows)) - np.repeat(np.cumsum(times) - times, times)
    return rows, flat[first[codes[rows]] + step]


def member(values: pd.Series, ids: pd.Index | pd.Series) -> pd.Series:
    """`values.isin(ids)` for id columns, through pyarrow when the column is Arrow-backed.

    pandas' isin on Arrow strings builds a Python scalar per id; pyarrow's is_in does not.
    """
    if hasattr(values.array, "__arrow_array__") and len(values):
        column = pa.array(values.array)
        given = pd.Index(ids).array
        wanted = (
            pa.array(given).cast(column.type)  # Arrow already: no round trip through Python
            if hasattr(given, "__arrow_array__")
            else pa.array(np.asarray(given, dtype=object), type=column.type)
        )
        found = pc.is_in(column, value_set=wanted)
        return pd.Series(found.to_numpy(zero_copy_only=False), index=values.index, dtype=bool)
    return values.isin(ids)


def id_codes(ids: pd.Series) -> npt.NDArray[np.int64]:
    """An integer per child, ordered as the IDs are (-1 for none): the codes of the run's IDs."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        return np.asarray(ids.cat.codes, dtype=np.int64)
    return np.asarray(pd.factorize(ids, sort=True)[0], dtype=np.int64)


def pair_key(ids: pd.Series, refs: pd.Series) -> npt.NDArray[np.int64]:
    """One integer per (child, ref) pair, ordered as the pairs are (child first, then ref)."""
    ref = pd.factorize(refs, sort=True)[0].astype(np.int64)
    ref = np.where(ref < 0, ref.max(initial=0) + 1, ref)
    return id_codes(ids) * (int(ref.max(initial=0)) + 1) + ref


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
    child = id_codes(rows["PERSON_ID"])  # grouped on integers, not on the IDs' text
    reach = ends.groupby(child, sort=False).cummax()
    previous = reach.groupby(child, sort=False).shift(1)
    new_child = pd.Series(np.r_[True, child[1:] != child[:-1]][: len(child)], index=rows.index)
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
    _names: dict[tuple[str, str], tuple[npt.NDArray[np.intp], pd.Index]] = field(
        default_factory=dict, init=False, repr=False
    )
    # Each distinct scope's frame, by the scope's JSON (see scope.evaluate).
    scopes: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)

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
        """A table of the export, its PERSON_ID as codes (see `id_dtype`)."""
        if name not in self._tables:
            frame = self.export.tables[name]
            if "PERSON_ID" in frame.columns:
                frame = frame.assign(PERSON_ID=self.code_ids(frame["PERSON_ID"]))
            self._tables[name] = frame
        return self._tables[name]

    @cached_property
    def id_dtype(self) -> pd.CategoricalDtype:
        """Every child's ID, in order. From here on PERSON_ID is held as codes into these: ints
        to join, sort and look up on (every row the loader keeps names a child in persons)."""
        if self.has("persons"):
            ids = pa.array(self.export.tables["persons"]["PERSON_ID"].array)
        else:
            ids = pa.array([], type=pa.large_string())
        unique = pc.unique(ids.drop_null())
        ordered = unique.take(pc.sort_indices(unique))
        return pd.CategoricalDtype(pd.Index(ordered.to_numpy(zero_copy_only=False), dtype=str))

    def code_ids(self, ids: pd.Series) -> pd.Series:
        """A PERSON_ID column as codes into `id_dtype` (an ID not there, or none, is missing)."""
        column = pa.array(ids.array)
        among = pa.array(self.id_dtype.categories.array).cast(column.type)
        codes = pc.index_in(column, value_set=among).fill_null(-1).to_numpy()
        coded = pd.Categorical.from_codes(codes, dtype=self.id_dtype)
        return pd.Series(coded, index=ids.index, name=ids.name)

    def child_codes(self, ids: pd.Series) -> npt.NDArray[np.int64]:
        """Each ID's code into `id_dtype` (-1: not a child of this export), however held."""
        # Same categories in the same order (dtype equality ignores the order of unordered ones).
        if isinstance(ids.dtype, pd.CategoricalDtype) and ids.cat.categories.equals(
            self.id_dtype.categories
        ):
            return np.asarray(ids.cat.codes, dtype=np.int64)
        if not len(ids):
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.code_ids(ids.astype(str)).cat.codes, dtype=np.int64)

    def id_text(self, codes: npt.NDArray[np.int64], index: pd.Index) -> pd.Series:
        """The IDs (text) of children given by code."""
        ids = self.id_dtype.categories.array.take(codes, allow_fill=True)
        return pd.Series(ids, index=index, dtype=str)

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

    def names_in(self, table: str, column: str) -> tuple[npt.NDArray[np.intp], pd.Index]:
        """A type column's names, folded (case, spaces) and factorised: a code per row and the
        distinct folded names. Computed once per column and run, whichever rules ask."""
        key = (table, column)
        if key not in self._names:
            # Factorised as written (few distinct names), then the distinct names folded.
            written, distinct = pd.factorize(self.table(table)[column].fillna(""))
            folded = normalise_names(pd.Series(np.asarray(distinct, dtype=object), dtype=object))
            code_of, names = pd.factorize(folded)
            codes = code_of[written] if len(code_of) else written
            self._names[key] = (codes, pd.Index(names, dtype=object))
        return self._names[key]

    def kind_mask(self, table: str, kind: str) -> npt.NDArray[np.bool_]:
        """Which rows of an evidence table are of the kind (by any of their type columns)."""
        found = np.zeros(len(self.table(table)), dtype=bool)
        for column, vocab in EVIDENCE_SOURCES[table].names:
            names = self.vocabulary.names(kind, vocab)
            if names:
                codes, folded = self.names_in(table, column)
                found |= np.asarray(folded.isin(list(names)), dtype=bool)[codes]
        return found

    @cached_property
    def evidence(self) -> pd.DataFrame:
        """Every dated piece of evidence up to the as-of date, one row per kind it counts as,
        sorted by kind, PERSON_ID, date and ref: each kind's pieces are one block, in order by
        child, date and ref (`evidence_of` is a slice, not a copy).

        Found as row positions per table and gathered once at the end: each column is copied
        once into place rather than through every join, filter and sort.
        """
        parts = [self._evidence_from(t) for t in EVIDENCE_SOURCES if self.has(t)]
        if self.has("visits"):
            parts.append(self._visit_evidence())
        parts = [p for p in parts if len(p.rows)]
        if not parts:
            return pd.DataFrame(
                {
                    c: pd.Series(dtype="datetime64[ns]" if c == "date" else object)
                    for c in EVIDENCE_COLUMNS
                }
            )
        tables = [self.table(p.table) for p in parts]
        date = np.concatenate(
            [
                self._evidence_date(t, p.table).to_numpy(dtype="datetime64[ns]")[p.rows]
                for t, p in zip(tables, parts, strict=True)
            ]
        )
        # Children as codes, in PERSON_ID order (as narrow as the categorical holds them).
        person = np.concatenate(
            [
                np.asarray(t["PERSON_ID"].cat.codes)[p.rows]
                for t, p in zip(tables, parts, strict=True)
            ]
        )
        names = sorted({n for p in parts for n in p.names})
        kind = np.concatenate(
            [np.array([names.index(n) for n in p.names], dtype=np.int16)[p.kinds] for p in parts]
        )
        refs = pd.concat(
            [
                t[TABLES[p.table].key or "PERSON_ID"].take(p.rows)
                for t, p in zip(tables, parts, strict=True)
            ],
            ignore_index=True,
        )
        kept = np.flatnonzero(~np.isnat(date) & (date < self.end_of_today.to_datetime64()))
        # Kind first, so each kind's pieces are one block (see evidence_blocks).
        group = kind[kept].astype(np.int64) * (int(person.max(initial=0)) + 1) + person[kept]
        order = kept[sort_order([group, date[kept].view(np.int64)], refs, kept)]
        del kept, group  # the evidence of 100,000 children: 40 MB each
        columns: dict[str, object] = {
            "PERSON_ID": pd.Series(pd.Categorical.from_codes(person[order], dtype=self.id_dtype)),
            "kind": pd.Series(pd.Categorical.from_codes(kind[order], categories=pd.Index(names))),
            "source": _labels([self._where(p.table) for p in parts], parts, order),
            "table": _labels([p.table for p in parts], parts, order),
            "date": date[order],
            "ref": refs.take(order).reset_index(drop=True),
        }
        del date, person, kind, refs
        sizes = [len(p.rows) for p in parts]
        for name in EVIDENCE_FIELDS:
            columns[name] = self._evidence_field(name, tables, parts, sizes, order)
        return pd.DataFrame(columns, copy=False)  # each column is new: no second copy

    @staticmethod
    def _evidence_field(
        name: str,
        tables: list[pd.DataFrame],
        parts: list[Pieces],
        sizes: list[int],
        order: npt.NDArray[np.intp],
    ) -> pd.Series:
        """A field of every piece in `order`, blank where its table has no such column: the
        tables that have it are gathered, and one take puts their values in place."""
        dtype = EVIDENCE_FIELDS[name]
        local = np.full(sum(sizes), -1, dtype=np.int64)  # a piece's row among those gathered
        gathered, at, count = [], 0, 0
        for t, p, size in zip(tables, parts, sizes, strict=True):
            if name in t.columns:
                gathered.append(t[name].take(p.rows).astype(dtype))
                local[at : at + size] = np.arange(count, count + size)
                count += size
            at += size
        values = pd.concat(gathered, ignore_index=True) if gathered else pd.Series([], dtype=dtype)
        return pd.Series(values.array.take(local[order], allow_fill=True))

    @staticmethod
    def _where(table: str) -> str:
        return EVIDENCE_SOURCES[table].where if table in EVIDENCE_SOURCES else "as a visit"

    @cached_property
    def evidence_blocks(self) -> dict[str, slice]:
        """Where each kind's block of rows lies in `evidence`."""
        kinds = self.evidence["kind"]
        codes = np.asarray(kinds.cat.codes if kinds.dtype == "category" else pd.factorize(kinds)[0])
        if not len(codes):
            return {}
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        ends = [*starts[1:], len(codes)]
        return {
            str(kinds.iloc[a]): slice(int(a), int(b)) for a, b in zip(starts, ends, strict=True)
        }

    def evidence_of(self, kind: str) -> pd.DataFrame:
        """`evidence[evidence["kind"] == kind]`: the evidence of one kind, same rows and index,
        by child, date and ref."""
        return self.evidence.iloc[self.evidence_blocks.get(kind, slice(0, 0))]

    @cached_property
    def _in_documents(self) -> npt.NDArray[np.bool_]:
        table = self.evidence["table"]
        if table.dtype != "category":  # no evidence at all: an empty column of text
            return np.asarray(table.to_numpy() == "documents", dtype=bool)
        categories = list(table.cat.categories)
        if "documents" not in categories:
            return np.zeros(len(table), dtype=bool)
        found: npt.NDArray[np.bool_] = table.cat.codes.to_numpy() == categories.index("documents")
        return found

    def evidence_in_documents(self, kind: str) -> npt.NDArray[np.bool_]:
        """Which pieces of `evidence_of(kind)` were found in Documents."""
        return self._in_documents[self.evidence_blocks.get(kind, slice(0, 0))]

    def _wanted(self, kind: str) -> bool:
        return self.evidence_kinds is None or kind in self.evidence_kinds

    def _evidence_from(self, table: str) -> Pieces:
        """The rows of an evidence table that count as a kind the rules use, by any of its type
        columns; a row naming the same kind in two columns (a document's category and
        sub-category) is one piece, not two."""
        source = EVIDENCE_SOURCES[table]
        rows = self.table(table)
        usable = self.on_file_mask(table)
        if table == "workflow_steps":
            usable &= (rows["STEP_STATUS"] == "COMPLETED").to_numpy(dtype=bool, na_value=False)
        kinds = [k for k in self.vocabulary.kinds if self._wanted(k)]
        found_rows, found_kinds = [], []
        for column, vocab in source.names:
            codes, names = self.names_in(table, column)
            position = {name: i for i, name in enumerate(names)}
            found: dict[int, list[int]] = {}
            for code, wanted in enumerate(kinds):
                for name in sorted(self.vocabulary.names(wanted, vocab)):
                    if name in position:
                        found.setdefault(position[name], []).append(code)
            where, what = _spread(codes, found, usable)
            found_rows.append(where)
            found_kinds.append(what)
        at = np.concatenate(found_rows)
        kind_of = np.concatenate(found_kinds)
        if len(source.names) > 1:  # a row once per kind, whichever columns name it
            first = np.unique(at * max(len(kinds), 1) + kind_of, return_index=True)[1]
            first.sort()
            at, kind_of = at[first], kind_of[first]
        return Pieces(table, at, kind_of, tuple(kinds))

    def on_file_mask(self, table: str) -> npt.NDArray[np.bool_]:
        """Which rows of `table` were on the child's file as of the as-of date.

        A case note is on the file once created (CREATED_ON on or before the as-of date) and
        never while it is a DRAFT; a document once uploaded. Other tables: every row.
        """
        rows = self.table(table)
        if table == "case_notes":
            kept = (rows["STATUS"].fillna("") != "DRAFT") & (rows["CREATED_ON"] < self.end_of_today)
        elif table == "documents":
            kept = rows["UPLOADED_ON"] < self.end_of_today
        else:
            return np.ones(len(rows), dtype=bool)
        return kept.to_numpy(dtype=bool, na_value=False)

    @staticmethod
    def _evidence_date(rows: pd.DataFrame, table: str) -> pd.Series:
        """When the evidence happened: a document's DOCUMENT_DATE when it has one, else its
        upload; a note's contact date; a step's completion; a visit's date."""
        if table == "visits":
            visited: pd.Series = rows["ACTUAL_DATE"]
            return visited
        dates: pd.Series = rows[EVIDENCE_SOURCES[table].date]
        if table == "documents" and "DOCUMENT_DATE" in rows.columns:
            dates = rows["DOCUMENT_DATE"].fillna(dates)
        return dates

    def _visit_evidence(self) -> Pieces:
        """Every visit is a visit; one with a type is also that type's visit (cla_visit)."""
        rows = self.table("visits")
        every = np.arange(len(rows)) if self._wanted("visit") else np.zeros(0, dtype=np.intp)
        codes, types = pd.factorize(rows["VISIT_TYPE"])
        named = [f"{t.lower()}_visit" for t in types]
        wanted = np.array([self._wanted(k) for k in named], dtype=bool)
        typed = np.flatnonzero(codes >= 0)
        typed = typed[wanted[codes[typed]]] if len(types) else typed
        return Pieces(
            "visits",
            np.concatenate([every, typed]),
            np.concatenate([np.zeros(len(every), dtype=np.intp), codes[typed] + 1]),
            ("visit", *named),
        )
