"""Load an export folder into typed tables, recording every input problem and counting every row."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from casecheck.errors import ExportError
from casecheck.export.config import CouncilConfig, Lookup, TableConfig, effective_table
from casecheck.export.consecutive import join_consecutive
from casecheck.export.lookups import (
    KEY_SEPARATOR,
    LookupFiles,
    LookupRead,
    fill_flag,
    fill_lookup,
    joined,
)
from casecheck.export.parsing import (
    Parsed,
    fold,
    folded_codes,
    parse_choices,
    parse_dates,
    parse_flags,
    parse_text,
)
from casecheck.export.problems import empty_problems, problems_at, quoted
from casecheck.export.reading import RawTable, needed_column, read_table, use_lean_memory_pool
from casecheck.export.schema import PERIODS, TABLES, Kind, Table
from casecheck.export.sources import SourceSpec, files_of, label_of, table_config

EMPTY_ROW_FIX = "Delete the empty row; until then it is counted as set aside."


@dataclass(frozen=True)
class TableCount:
    """How many rows of a table (or of one of its files) were read, used, set aside, filtered.

    read = used + set_aside + filtered: no row is dropped without being counted.
    """

    read: int
    used: int
    set_aside: int
    filtered: int = 0  # left out by the config's row filter (keep:), not a problem


@dataclass(frozen=True)
class SourceReport:
    """One file a table was read from: its counts and the mapping applied to it, as applied."""

    file: str
    encoding: str
    count: TableCount
    renamed: dict[str, str]  # contract (or extra) column -> the council's header, when they differ
    constants: dict[str, str]
    lookups: tuple[Lookup, ...]
    keep: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Export:
    """A loaded export: the usable rows of each table present, the problems, the counts."""

    folder: Path
    config: CouncilConfig
    tables: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    counts: dict[str, TableCount]
    files: dict[str, str] = field(default_factory=dict)
    absent_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    encodings: dict[str, str] = field(default_factory=dict)
    sources: dict[str, tuple[SourceReport, ...]] = field(default_factory=dict)
    generated: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> how made
    lookup_files: dict[str, LookupRead] = field(default_factory=dict)
    # Every table's declared columns and their kinds (the council's extra columns too), for
    # the tables the export lacks as well: rules are checked against them.
    columns: dict[str, dict[str, Kind]] = field(default_factory=dict)
    joined: dict[str, int] = field(default_factory=dict)  # rows joined into the row before

    def has(self, table: str) -> bool:
        return table in self.tables

    @property
    def file_counts(self) -> dict[str, dict[str, TableCount]]:
        """Per table, the counts of each of its files (they add up to the table's counts)."""
        return {
            table: {source.file: source.count for source in sources}
            for table, sources in self.sources.items()
        }

    def file_of(self, table: str) -> str:
        """How messages name a table's file(s): those read, else those the config names."""
        if table in self.sources:
            return ", ".join(source.file for source in self.sources[table])
        return label_of(table, self.config)


def _fix_for(table: Table, column: str, kind: Kind, required: bool, fmt: str | None) -> str:
    if kind is Kind.DATE:
        fix = (
            f"Correct it in Mosaic or in the export, as {fmt}"
            if fmt
            else ("Correct it in Mosaic or in the export, as DD/MM/YYYY or YYYY-MM-DD")
        )
    elif kind is Kind.FLAG:
        fix = "Use Y or N (or leave it blank when unknown)"
    elif kind is Kind.CHOICE:
        fix = "Use one of the listed values"
    else:
        fix = "Correct it in Mosaic or in the export"
    if required:
        fix += "; until then the row is set aside"
    else:
        fix += "; until then the cell is treated as blank"
    return fix + "."


def _parse_table(
    table: Table,
    raw: pd.DataFrame,
    tconf: TableConfig,
    file: str,
    blank_row: pd.Series,
    explained: Mapping[str, npt.NDArray[np.bool_]] | None = None,
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Parse every column `table` declares in `raw`; return the typed frame and its problems.

    `explained` marks, per column, blank cells already reported (a key a lookup did not find).
    """
    out = raw.copy()
    found: list[pd.DataFrame] = []
    if blank_row.any():
        rows = raw.index[blank_row.to_numpy()]
        found.append(
            problems_at(table, file, rows, None, None, "the row is empty", EMPTY_ROW_FIX, True)
        )
    for column in table.columns:
        cells = raw[column.name]
        parsed: Parsed
        if column.kind is Kind.DATE:
            fmt = tconf.date_formats.get(column.name)
            parsed = parse_dates(cells, fmt)
        elif column.kind is Kind.FLAG:
            parsed = parse_flags(cells)
            fmt = None
        elif column.kind is Kind.CHOICE:
            parsed = parse_choices(cells, column.choices)
            fmt = None
        else:
            parsed = parse_text(cells)
            fmt = None
        out[column.name] = parsed.values
        bad_rows = raw.index[parsed.bad.to_numpy(dtype=bool)]
        if len(bad_rows):
            found.append(
                problems_at(
                    table,
                    file,
                    bad_rows,
                    column.name,
                    cells,
                    parsed.why.loc[bad_rows],
                    _fix_for(table, column.name, column.kind, column.required, fmt),
                    column.required,
                )
            )
        if column.required:
            blank = (cells == "") & ~blank_row
            if explained and column.name in explained:
                blank &= ~explained[column.name]
            rows = raw.index[blank.to_numpy()]
            if len(rows):
                found.append(
                    problems_at(
                        table,
                        file,
                        rows,
                        column.name,
                        None,
                        f"is blank, but every {table.row_is} needs a {column.name}",
                        "Fill it in Mosaic or in the export; until then the row is set aside.",
                        True,
                    )
                )
    return out, found


def _duplicates(table: Table, tconf: TableConfig, parts: list[_Part]) -> list[pd.DataFrame]:
    """Every row whose key an earlier row (of any of the table's files) has is a duplicate."""
    if table.key is None or not parts or tconf.id == "row":  # file and row: unique as made
        return []
    keys = [p.raw[table.key] for p in parts]
    if ascending(keys):  # as a system exports a table in key order: no key twice
        return []
    codes = same_codes(keys)
    times = np.bincount(codes)
    if not len(codes) or times.max() < 2:
        return []
    blank = np.concatenate([(k == "").to_numpy(dtype=bool) for k in keys])
    shared = (times[codes] > 1) & ~blank
    if not shared.any():
        return []
    _, first_of_key, key_of = np.unique(codes[shared], return_index=True, return_inverse=True)
    first = first_of_key[key_of]
    later = first != np.arange(len(first))
    part_of = np.repeat(np.arange(len(parts)), [len(p.raw) for p in parts])[shared]
    row_of = np.concatenate([p.raw.index.to_numpy() for p in parts])[shared]
    if isinstance(tconf.id, list):
        what = f"is a duplicate {table.key} (made of {', '.join(tconf.id)})"
        fix = (
            f"Remove the duplicate row, or list more columns under tables: > {table.name}: > "
            "id: so that together they identify a row; until then this row is set aside."
        )
    else:
        what = f"is a duplicate {table.key}"
        fix = "Remove the duplicate row, or correct its ID; until then this row is set aside."
    found = []
    for i, part in enumerate(parts):
        mine = later & (part_of == i)
        if not mine.any():
            continue
        rows = pd.Index(row_of[mine], name="row")
        other_part = part_of[first[mine]]
        other_row = pd.Series(row_of[first[mine]], index=rows).astype(str)
        elsewhere = pd.Series(
            np.array([f" of {p.file}" for p in parts], dtype=object)[other_part], index=rows
        ).where(other_part != i, "")
        found.append(
            problems_at(
                table,
                part.file,
                rows,
                table.key,
                part.raw[table.key],
                f"{what}: row " + other_row + elsewhere.astype(str) + " has it too",
                fix,
                True,
            )
        )
    return found


def _periods(
    table: Table, frame: pd.DataFrame, raw: pd.DataFrame, usable: pd.Series, file: str
) -> list[pd.DataFrame]:
    if table.name not in PERIODS:
        return []
    start, end = PERIODS[table.name]
    wrong = usable & (frame[end] < frame[start]).fillna(False)
    rows = frame.index[wrong.to_numpy(dtype=bool)]
    if not len(rows):
        return []
    return [
        problems_at(
            table,
            file,
            rows,
            end,
            raw[end],
            f"is before {start} " + quoted(raw.loc[rows, start]),
            f"Correct {start} or {end} in Mosaic or in the export; "
            "until then the row is set aside.",
            True,
        )
    ]


# Dates on one row that cannot come in this order: (earlier, later, what the later one is).
# The later date is read as blank (the row is kept: the episode, contact or step happened) and
# reported. Compared by day: a date with no time could be any time that day.
ORDERS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "missing_episodes": (("END_DATE", "RHI_DATE", "a return home interview before the return"),),
    "contacts": (("RECEIVED_ON", "DECISION_ON", "a decision before the contact was received"),),
    "workflow_steps": (("STARTED_ON", "COMPLETED_ON", "a completion before the start"),),
}


def _orders(
    table: Table, frame: pd.DataFrame, raw: pd.DataFrame, usable: pd.Series, file: str
) -> list[pd.DataFrame]:
    """Report (and blank, in `frame`) each later date that is before the date it follows."""
    found = []
    for earlier, later, what in ORDERS.get(table.name, ()):
        if earlier not in frame or later not in frame:
            continue
        wrong = usable & (frame[later].dt.normalize() < frame[earlier].dt.normalize()).fillna(False)
        rows = frame.index[wrong.to_numpy(dtype=bool)]
        if not len(rows):
            continue
        frame.loc[rows, later] = pd.NaT
        found.append(
            problems_at(
                table,
                file,
                rows,
                later,
                raw[later],
                f"is before {earlier} " + quoted(raw.loc[rows, earlier]) + f" ({what})",
                f"Correct {later} or {earlier} in Mosaic or in the export; until then "
                f"{later} is read as blank.",
                False,
            )
        )
    return found


def same_codes(columns: list[pd.Series]) -> npt.NDArray[np.intp]:
    """One code per row of `columns` (end to end): equal values, equal codes (a blank is a value).

    A dense rank, which sorts: on IDs, nearly all distinct, hashing them (factorize) takes
    six times as long and twelve times the memory (265,738 case-note IDs: 160 ms and 49 MB
    of hash table, against 28 ms and 4 MB).
    """
    if all(_arrow_text(c) for c in columns):
        chunks = [chunk for c in columns for chunk in _chunks(pa.array(c.array))]
        if not chunks:
            return np.zeros(0, dtype=np.intp)
        ranks = pc.rank(pa.chunked_array(chunks), tiebreaker="dense")
        codes: npt.NDArray[np.intp] = ranks.to_numpy().astype(np.intp) - 1
        return codes
    values = columns[0] if len(columns) == 1 else pd.concat(columns, ignore_index=True)
    return pd.factorize(values, use_na_sentinel=False)[0]


def ascending(columns: list[pd.Series]) -> bool:
    """Whether the values of `columns` (end to end) are in strictly ascending order, so that
    no value is there twice: a check of neighbours, far cheaper than ranking nearly distinct
    IDs. False when it cannot tell (text not held by Arrow).

    Ascending as text ("AL0000009" < "AL0000010"), or by length and then as text, the order
    of numbers written without leading zeros ("999" < "1000"), as a system exports its rows.
    """
    if not all(_arrow_text(c) for c in columns):
        return False
    chunks = [chunk for c in columns for chunk in _chunks(pa.array(c.array)) if len(chunk)]
    if len(chunks) == 0:
        return True
    values = pa.chunked_array(chunks)
    if values.null_count:
        return False
    if len(values) < 2:
        return True
    before, after = values[:-1], values[1:]
    if pc.all(pc.less(before, after)).as_py():
        return True
    size_before, size_after = pc.binary_length(before), pc.binary_length(after)
    rises = pc.or_(
        pc.less(size_before, size_after),
        pc.and_(pc.equal(size_before, size_after), pc.less(before, after)),
    )
    return bool(pc.all(rises).as_py())


def _chunks(array: pa.Array | pa.ChunkedArray) -> list[pa.Array]:
    return list(array.chunks) if isinstance(array, pa.ChunkedArray) else [array]


def _arrow_text(values: pd.Series | pd.Index) -> bool:
    """Whether a column's text is held by Arrow (pandas' str dtype): its buffers can be used."""
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def _isin(values: pd.Series, allowed: pd.Index) -> npt.NDArray[np.bool_]:
    """`values.isin(allowed)` for strings, through pyarrow's is_in (no copy of `values`)."""
    if _arrow_text(values) and len(values):
        if _arrow_text(allowed):
            wanted = pa.chunked_array(_chunks(pa.array(allowed.array)), type=pa.large_string())
        else:
            wanted = pa.chunked_array([pa.array(allowed.to_numpy(dtype=object), pa.large_string())])
        found = pc.is_in(pa.array(values.array), value_set=wanted.combine_chunks())
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    return values.isin(allowed).to_numpy(dtype=bool)


def _orphans(
    table: Table,
    frame: pd.DataFrame,
    usable: pd.Series,
    persons: pd.Index,
    persons_file: str,
    file: str,
) -> list[pd.DataFrame]:
    if table.name == "persons":
        return []
    ids = frame["PERSON_ID"]
    orphan = usable & ids.notna() & ~_isin(ids, persons)
    rows = frame.index[orphan.to_numpy(dtype=bool)]
    if not len(rows):
        return []
    return [
        problems_at(
            table,
            file,
            rows,
            "PERSON_ID",
            ids.astype(str),
            f"has no usable row in {persons_file}",
            f"Add the child to {persons_file} (or correct the ID, or the child's row there); "
            "until then the row is set aside.",
            True,
        )
    ]


@dataclass
class _Part:
    """One file of a table on its way to typed rows."""

    file: str
    spec: SourceSpec
    source: RawTable
    raw: pd.DataFrame  # the rows kept by the row filter, with generated and filled columns
    frame: pd.DataFrame  # raw, parsed
    found: list[pd.DataFrame]
    aside: pd.Series
    read: int
    filtered: int


def _keep_mask(
    raw: RawTable, frame: pd.DataFrame, spec: SourceSpec, file: str, table: str
) -> npt.NDArray[np.bool_] | None:
    """Which rows the config's row filter keeps (None when it has none)."""
    if not spec.keep:
        return None
    keep = np.ones(len(frame), dtype=bool)
    for name, allowed in spec.keep.items():
        column = needed_column(raw, frame, name, file, f"tables: > {table}: > keep:")
        codes, _, folded = folded_codes(frame[column])
        ok = folded.isin({fold(value) for value in allowed}).to_numpy(dtype=bool)
        keep &= ok[codes] if len(codes) else np.zeros(0, dtype=bool)
    return keep


def _read_part(
    folder: Path,
    table: Table,
    tconf: TableConfig,
    file: str,
    spec: SourceSpec,
    null_values: AbstractSet[str],
    lookups: LookupFiles,
) -> _Part:
    """Read one file of a table: filter, generate and fill columns, map values, parse."""
    key = table.key
    filled = set(spec.filled) | set(tconf.flags)
    if tconf.id is not None and key is not None:
        filled.add(key)
    council = {n: e.column for n, e in tconf.extra_columns.items() if e.column} | dict(spec.columns)
    source = read_table(
        folder, table, file, council, filled, null_values, generated_key=tconf.id is not None
    )
    frame = source.frame
    read = len(frame)
    blank_row = (frame == "").all(axis=1)
    keep = _keep_mask(source, frame, spec, file, table.name)
    filtered = 0
    if keep is not None:
        keep |= blank_row.to_numpy()  # an empty row is reported, not filtered
        filtered = int((~keep).sum())
        if filtered:
            frame = frame[keep]
            blank_row = blank_row[keep]
    if filled:
        frame = frame.copy()
    for column, value in spec.constants.items():
        frame[column] = value
    found: list[pd.DataFrame] = []
    explained: dict[str, npt.NDArray[np.bool_]] = {}
    for lookup in spec.lookups:
        unmatched = fill_lookup(lookups, table, source, frame, lookup, file)
        if unmatched is not None:
            found.append(unmatched)
            missed = frame.index.isin(unmatched["row"].to_numpy())
            explained.update(dict.fromkeys(lookup.columns, missed))
    for flag, member in tconf.flags.items():
        fill_flag(lookups, table, source, frame, flag, member, file)
    if key is not None and tconf.id == "row":
        frame[key] = file + ":" + pd.Series(frame.index, index=frame.index).astype(str)
    elif key is not None and isinstance(tconf.id, list):
        parts = [
            needed_column(source, frame, c, file, f"tables: > {table.name}: > id:")
            for c in tconf.id
        ]
        frame[key] = joined(frame, parts).where(~(frame[parts] == "").all(axis=1), "")
    for column, mapping in tconf.values.items():
        if column in frame.columns and mapping:
            codes, distinct, folded = folded_codes(frame[column])
            mapped = folded.map({fold(k): v for k, v in mapping.items()})
            if mapped.notna().any():
                values = distinct.where(mapped.isna(), mapped).to_numpy(dtype=object)
                frame[column] = pd.Series(values[codes], index=frame.index, dtype=str)
    if filled:  # the columns the config fills in the table's order, as if read
        declared = [c.name for c in table.columns]
        frame = frame[declared + [c for c in frame.columns if c not in set(declared)]]
    parsed, more = _parse_table(table, frame, tconf, file, blank_row, explained)
    found.extend(more)
    aside = pd.Series(False, index=parsed.index)
    for p in found:
        aside.loc[p.loc[p["set_aside"], "row"].to_numpy()] = True
    return _Part(file, spec, source, frame, parsed, found, aside, read, filtered)


def load_export(folder: Path, config: CouncilConfig) -> Export:
    """Read every table of the contract that `folder` holds; raise ExportError if it is unusable."""
    if not folder.is_dir():
        raise ExportError(
            str(folder), "is not a folder", "Give the folder that holds the export's CSV files."
        )
    use_lean_memory_pool()
    tables: dict[str, pd.DataFrame] = {}
    problems: list[pd.DataFrame] = []
    counts: dict[str, TableCount] = {}
    absent: dict[str, tuple[str, ...]] = {}
    encodings: dict[str, str] = {}
    files: dict[str, str] = {}
    sources: dict[str, tuple[SourceReport, ...]] = {}
    generated: dict[str, dict[str, str]] = {}
    columns: dict[str, dict[str, Kind]] = {}
    null_values = frozenset(v.strip().casefold() for v in config.null_values if v.strip())
    lookups = LookupFiles(folder, null_values)
    person_ids: pd.Index = pd.Index([], dtype=str)
    joined_rows: dict[str, int] = {}
    for name in TABLES:  # persons first: the others are checked against it
        tconf = table_config(name, config)
        table = effective_table(name, tconf)
        found_files = files_of(folder, name, config)
        if not found_files:
            continue
        parts = [
            _read_part(folder, table, tconf, file, spec, null_values, lookups)
            for file, spec in found_files
        ]
        duplicates = _duplicates(table, tconf, parts)
        persons_file = files.get("persons", TABLES["persons"].file)
        used_parts = []
        reports = []
        for part in parts:
            checks = [p for p in duplicates if len(p) and p["file"].iloc[0] == part.file]
            checks.extend(_periods(table, part.frame, part.raw, ~part.aside, part.file))
            for p in checks:
                part.aside.loc[p["row"].to_numpy()] = True
            part.found.extend(checks)
            part.found.extend(_orders(table, part.frame, part.raw, ~part.aside, part.file))
            for p in _orphans(table, part.frame, ~part.aside, person_ids, persons_file, part.file):
                part.aside.loc[p["row"].to_numpy()] = True
                part.found.append(p)
            used_parts.append(
                part.frame[~part.aside.to_numpy()] if part.aside.any() else part.frame
            )
            headers = part.source.headers
            if headers:
                for p in part.found:
                    p["header"] = p["column"].map(headers).fillna(p["column"]).astype(str)
            problems.extend(part.found)
            aside = int(part.aside.sum())
            reports.append(
                SourceReport(
                    file=part.file,
                    encoding=part.source.encoding,
                    count=TableCount(
                        read=part.read,
                        used=len(part.frame) - aside,
                        set_aside=aside,
                        filtered=part.filtered,
                    ),
                    renamed={c: h for c, h in headers.items() if h != c},
                    constants=dict(part.spec.constants),
                    lookups=part.spec.lookups,
                    keep=dict(part.spec.keep),
                )
            )
        used = used_parts[0] if len(used_parts) == 1 else pd.concat(used_parts, ignore_index=True)
        used_rows = len(used)
        if tconf.join_consecutive:
            used = join_consecutive(used, *PERIODS[name], tconf.join_consecutive)
            joined_rows[name] = used_rows - len(used)
        if name == "persons":
            person_ids = pd.Index(used["PERSON_ID"])
        tables[name] = used
        counts[name] = TableCount(
            read=sum(r.count.read for r in reports),
            used=used_rows,
            set_aside=sum(r.count.set_aside for r in reports),
            filtered=sum(r.count.filtered for r in reports),
        )
        sources[name] = tuple(reports)
        absent[name] = tuple(
            c
            for c in parts[0].source.absent_columns
            if all(c in p.source.absent_columns for p in parts)
        )
        encodings[name] = ", ".join(dict.fromkeys(r.encoding for r in reports))
        files[name] = ", ".join(r.file for r in reports)
        generated[name] = _generated(table, tconf)
    problems.extend(lookups.problems)
    for name in TABLES:  # every table's declared columns, read or not: rules are checked on them
        table = effective_table(name, table_config(name, config))
        columns[name] = {c.name: c.kind for c in table.columns}
    return Export(
        folder=folder,
        config=config,
        tables=tables,
        problems=_in_order(problems, config),
        counts=counts,
        files=files,
        absent_columns=absent,
        encodings=encodings,
        sources=sources,
        generated=generated,
        lookup_files=lookups.reads(),
        columns=columns,
        joined=joined_rows,
    )


def _generated(table: Table, tconf: TableConfig) -> dict[str, str]:
    """The columns the config makes rather than reads, and how, in words."""
    out: dict[str, str] = {}
    if table.key is not None and tconf.id == "row":
        out[table.key] = "file name:row number (id: row)"
    elif table.key is not None and isinstance(tconf.id, list):
        out[table.key] = f"{KEY_SEPARATOR.join(tconf.id)} (id: [{', '.join(tconf.id)}])"
    for flag, member in tconf.flags.items():
        key = member.key if isinstance(member.key, str) else next(iter(member.key.items()))
        on = key if isinstance(key, str) else f"{key[0]} in its {key[1]}"
        out[flag] = f"Y when {on} is in {member.present_in}, else N"
    return out


def _in_order(problems: list[pd.DataFrame], config: CouncilConfig) -> pd.DataFrame:
    """All problems, by table (in contract order), file, row, then column (in table order)."""
    found = [p for p in problems if len(p)]
    if not found:
        return empty_problems()
    together = pd.concat(found, ignore_index=True)
    rank: dict[str, int] = {}
    for t, name in enumerate(TABLES):
        rank[f"{name}/"] = t * 1000
        table = effective_table(name, table_config(name, config))
        for c, column in enumerate(table.columns):
            rank[f"{name}/{column.name}"] = t * 1000 + c + 1
    key = (together["table"] + "/" + together["column"]).map(rank)
    unknown = key.isna()
    if unknown.any():  # a header of the file that is not a column of the table: last
        key = key.where(~unknown, (together["table"] + "/").map(rank).fillna(0) + 999)
    key = key.astype("int64")
    file_rank = pd.factorize(together["file"])[0]  # in the order the files were read
    order = np.lexsort(
        (key.to_numpy(), together["row"].to_numpy(), file_rank, (key // 1000).to_numpy())
    )
    return together.iloc[order].reset_index(drop=True)
