"""Load an export folder into typed tables, recording every input problem and counting every row."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from casecheck.errors import ExportError
from casecheck.export.config import CONFIG_FILE, CouncilConfig, Lookup, TableConfig, effective_table
from casecheck.export.consecutive import join_consecutive
from casecheck.export.parsing import (
    Parsed,
    fold,
    folded_codes,
    parse_choices,
    parse_dates,
    parse_flags,
    parse_text,
)
from casecheck.export.reading import RawTable, find_header, read_file, read_table
from casecheck.export.schema import PERIODS, TABLES, Kind, Table
from casecheck.export.sources import SourceSpec, files_of, label_of, table_config

# column: the contract's name; header: the column's heading in the council's file.
PROBLEM_COLUMNS = [
    "table",
    "file",
    "row",
    "column",
    "header",
    "value",
    "message",
    "fix",
    "set_aside",
]
EMPTY_ROW_FIX = "Delete the empty row; until then it is counted as set aside."
SHOWN_LENGTH = 60  # longer values are cut short in messages (the value column keeps them whole)


KEY_SEPARATOR = "|"  # between the parts of a key made of several columns (id: [A, B])


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
class LookupRead:
    """A file read for lookups or membership flags: rows read, and rows set aside as duplicates."""

    file: str
    encoding: str
    count: TableCount
    used_by: tuple[str, ...]  # the tables that look things up in it


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


def _problems(
    table: Table,
    file: str | pd.Series,
    rows: pd.Index,
    column: str | None,
    values: pd.Series | None,
    message: pd.Series | str,
    fix: str,
    set_aside: bool,
) -> pd.DataFrame:
    """Problem records for `rows`; the value is quoted into the message unless it is free text."""
    kinds = {c.name: c.kind for c in table.columns}
    shown = values is not None and column is not None and kinds.get(column) is not Kind.FREE_TEXT
    msg = pd.Series(message, index=rows, dtype=str) if isinstance(message, str) else message
    if shown and values is not None:
        value = values.loc[rows].astype(str)
        text = quoted(value) + " " + msg
        value_out = value.to_numpy(dtype=object)
    else:
        text = msg
        value_out = np.full(len(rows), None, dtype=object)
    return pd.DataFrame(
        {
            "table": pd.Series(table.name, index=range(len(rows)), dtype=str),
            "file": (
                pd.Series(file, index=range(len(rows)), dtype=str)
                if isinstance(file, str)
                else pd.Series(file.to_numpy(dtype=object), dtype=str)
            ),
            "row": rows.to_numpy(dtype="int64"),
            "column": pd.Series(column or "", index=range(len(rows)), dtype=str),
            "header": pd.Series(column or "", index=range(len(rows)), dtype=str),
            "value": value_out,
            "message": pd.Series(text.to_numpy(dtype=object), dtype=str),
            "fix": pd.Series(fix, index=range(len(rows)), dtype=str),
            "set_aside": np.full(len(rows), set_aside, dtype=bool),
        },
        columns=PROBLEM_COLUMNS,
    )


def quoted(values: pd.Series) -> pd.Series:
    """Values as shown in a message: in quotes, on one line, long ones cut short."""
    shown = values
    if shown.str.contains("[\r\n\t]", regex=True).any():
        shown = shown.str.replace("\r\n|\r|\n", "\\\\n", regex=True).str.replace("\t", " ")
    long = shown.str.len() > SHOWN_LENGTH
    if long.any():
        shown = shown.where(~long, shown.str.slice(0, SHOWN_LENGTH - 3) + "...")
    return '"' + shown + '"'


def empty_problems() -> pd.DataFrame:
    """A problems frame with no rows and the same columns and types as a full one."""
    return _problems(TABLES["persons"], "", pd.Index([], dtype="int64"), None, None, "", "", False)


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
            _problems(table, file, rows, None, None, "the row is empty", EMPTY_ROW_FIX, True)
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
                _problems(
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
                    _problems(
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
    if table.key is None or not parts:
        return []
    keys = (
        parts[0].raw[table.key]
        if len(parts) == 1
        else pd.concat([p.raw[table.key] for p in parts], ignore_index=True)
    )
    # One hash of the keys (Series.duplicated would hash them and then the codes again).
    codes, distinct = pd.factorize(keys, use_na_sentinel=False)
    if len(distinct) == len(keys):
        return []
    shared = (np.bincount(codes)[codes] > 1) & (keys != "").to_numpy(dtype=bool)
    if not shared.any():
        return []
    # Only the rows whose key appears more than once: the first of each keeps it.
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
            _problems(
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
        _problems(
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


def _isin(values: pd.Series, allowed: pd.Index) -> npt.NDArray[np.bool_]:
    """`values.isin(allowed)` for strings, through one factorize: several times faster."""
    codes, _ = pd.factorize(pd.concat([pd.Series(allowed), values], ignore_index=True))
    known = np.zeros(codes.max() + 2 if len(codes) else 1, dtype=bool)
    known[codes[: len(allowed)]] = True
    known[-1] = False  # code -1 (a missing value) indexes the last slot
    return known[codes[len(allowed) :]]


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
        _problems(
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


class _Lookups:
    """Files read for lookups and membership flags, each read once, with their problems."""

    def __init__(self, folder: Path, null_values: AbstractSet[str]) -> None:
        self.folder = folder
        self.null_values = null_values
        self.frames: dict[str, tuple[pd.DataFrame, str]] = {}
        self.aside: dict[str, set[int]] = {}
        self.used_by: dict[str, list[str]] = {}
        self.problems: list[pd.DataFrame] = []
        self.keyed: dict[tuple[str, tuple[str, ...]], pd.DataFrame] = {}

    def frame(self, file: str, table: str) -> pd.DataFrame:
        if file not in self.frames:
            if not (self.folder / file).is_file():
                raise ExportError(
                    str(self.folder),
                    f"has no {file}, which {CONFIG_FILE} looks things up in for {table}",
                    f"Add the file, or correct its name in {CONFIG_FILE}.",
                )
            self.frames[file] = read_file(self.folder, file, self.null_values)
            self.aside[file] = set()
            self.used_by[file] = []
        if table not in self.used_by[file]:
            self.used_by[file].append(table)
        return self.frames[file][0]

    def column(self, file: str, table: str, name: str, key: str) -> str:
        header = find_header(self.frame(file, table), name)
        if header is None:
            raise ExportError(
                file,
                f'has no column "{name}", which {CONFIG_FILE} names under {key}',
                f"Correct the name in {CONFIG_FILE}, or add the column to {file}.",
            )
        return header

    def unique(self, file: str, table: Table, keys: list[str]) -> pd.DataFrame:
        """The lookup file's rows, first of each key only; later duplicates are problems."""
        at = (file, tuple(keys))
        if at in self.keyed:
            return self.keyed[at]
        frame = self.frame(file, table.name)
        key = _joined(frame, keys)
        blank = (frame[keys] == "").any(axis=1).to_numpy()
        repeated = key.duplicated(keep="first").to_numpy() & ~blank
        if repeated.any():
            rows = frame.index[repeated]
            first = pd.Series(frame.index[~repeated], index=key[~repeated].to_numpy())
            other = key[repeated].map(first).astype(str)
            named = " and ".join(keys)
            self.problems.append(
                _problems(
                    table,
                    file,
                    rows,
                    keys[0] if len(keys) == 1 else named,
                    key,
                    f"is a duplicate {named} in {file}: row " + other + " has it too",
                    f"Remove the duplicate row from {file}, or correct its key; until then "
                    "the first row with this key is the one looked up.",
                    True,
                )
            )
            self.aside[file] |= set(rows.tolist())
        out = frame[~repeated & ~blank].set_index(key[~repeated & ~blank].to_numpy())
        self.keyed[at] = out
        return out

    def reads(self) -> dict[str, LookupRead]:
        return {
            file: LookupRead(
                file=file,
                encoding=encoding,
                count=TableCount(
                    read=len(frame),
                    used=len(frame) - len(self.aside[file]),
                    set_aside=len(self.aside[file]),
                ),
                used_by=tuple(self.used_by[file]),
            )
            for file, (frame, encoding) in self.frames.items()
        }


def _joined(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The values of `columns` as one key: "|" between parts, "|" and "\\" in a part escaped."""
    if len(columns) == 1:
        return frame[columns[0]]
    parts = []
    for column in columns:
        part = frame[column]
        if part.str.contains(r"[|\\]", regex=True).any():
            part = part.str.replace("\\", "\\\\", regex=False).str.replace("|", "\\|", regex=False)
        parts.append(part)
    out = parts[0]
    for part in parts[1:]:
        out = out + KEY_SEPARATOR + part
    return out


def _source_column(raw: RawTable, frame: pd.DataFrame, name: str) -> str | None:
    """The column of `frame` that `name` means: a contract column, or a header of the file."""
    if name in frame.columns:
        return name
    wanted = name.strip().casefold()
    for contract, header in raw.headers.items():
        if header.casefold() == wanted and contract in frame.columns:
            return contract
    return find_header(frame, name)


def _needed_column(raw: RawTable, frame: pd.DataFrame, name: str, file: str, key: str) -> str:
    column = _source_column(raw, frame, name)
    if column is None:
        raise ExportError(
            file,
            f'has no column "{name}", which {CONFIG_FILE} names under {key}',
            f"Correct the name in {CONFIG_FILE}, or add the column to {file}.",
        )
    return column


def _keep_mask(
    raw: RawTable, frame: pd.DataFrame, spec: SourceSpec, file: str, table: str
) -> npt.NDArray[np.bool_] | None:
    """Which rows the config's row filter keeps (None when it has none)."""
    if not spec.keep:
        return None
    keep = np.ones(len(frame), dtype=bool)
    for name, allowed in spec.keep.items():
        column = _needed_column(raw, frame, name, file, f"tables: > {table}: > keep:")
        codes, _, folded = folded_codes(frame[column])
        ok = folded.isin({fold(value) for value in allowed}).to_numpy(dtype=bool)
        keep &= ok[codes] if len(codes) else np.zeros(0, dtype=bool)
    return keep


def _lookup(
    lookups: _Lookups,
    table: Table,
    part_raw: RawTable,
    frame: pd.DataFrame,
    lookup: Lookup,
    file: str,
) -> pd.DataFrame | None:
    """Fill the columns `lookup` brings; return the problems of unmatched keys (or None)."""
    under = f"tables: > {table.name}: > lookups:"
    ours = [_needed_column(part_raw, frame, k, file, f"{under} > on:") for k in lookup.on]
    theirs = [
        lookups.column(lookup.file, table.name, k, f"{under} > on:") for k in lookup.on.values()
    ]
    brought = {
        column: lookups.column(lookup.file, table.name, name, f"{under} > columns:")
        for column, name in lookup.columns.items()
    }
    found = lookups.unique(lookup.file, table, theirs)
    key = _joined(frame, ours)
    blank = (frame[ours] == "").any(axis=1).to_numpy()
    codes = found.index.get_indexer(pd.Index(key))
    matched = codes >= 0
    for column, name in brought.items():
        values = found[name].to_numpy(dtype=object)
        filled = np.where(matched, values[np.maximum(codes, 0)] if len(values) else "", "")
        frame[column] = pd.Series(filled, index=frame.index, dtype=str)
    unmatched = ~matched & ~blank
    if not unmatched.any():
        return None
    rows = frame.index[unmatched]
    required = [c for c in lookup.columns if table.column(c).required]
    named = " and ".join(lookup.on)
    return _problems(
        table,
        file,
        rows,
        named if len(ours) > 1 else ours[0],
        key,
        f"has no row in {lookup.file} (looked up for {', '.join(lookup.columns)})",
        f"Add it to {lookup.file}, or correct it; until then "
        + ("the row is set aside." if required else "the cell is treated as blank."),
        bool(required),
    )


def _read_part(
    folder: Path,
    table: Table,
    tconf: TableConfig,
    file: str,
    spec: SourceSpec,
    null_values: AbstractSet[str],
    lookups: _Lookups,
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
        unmatched = _lookup(lookups, table, source, frame, lookup, file)
        if unmatched is not None:
            found.append(unmatched)
            missed = frame.index.isin(unmatched["row"].to_numpy())
            explained.update(dict.fromkeys(lookup.columns, missed))
    for flag, member in tconf.flags.items():
        ours, theirs = (
            (member.key, member.key)
            if isinstance(member.key, str)
            else next(iter(member.key.items()))
        )
        mine = _needed_column(source, frame, ours, file, f"tables: > {table.name}: > flags:")
        other = lookups.column(
            member.present_in,
            table.name,
            theirs,
            f"tables: > {table.name}: > flags: > {flag}: > key:",
        )
        present = pd.Index(lookups.frame(member.present_in, table.name)[other].unique())
        cells = frame[mine]
        frame[flag] = np.where(cells == "", "", np.where(cells.isin(present), "Y", "N"))
    if key is not None and tconf.id == "row":
        frame[key] = file + ":" + pd.Series(frame.index, index=frame.index).astype(str)
    elif key is not None and isinstance(tconf.id, list):
        parts = [
            _needed_column(source, frame, c, file, f"tables: > {table.name}: > id:")
            for c in tconf.id
        ]
        frame[key] = _joined(frame, parts).where(~(frame[parts] == "").all(axis=1), "")
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
    lookups = _Lookups(folder, null_values)
    person_ids: pd.Index = pd.Index([], dtype=str)
    joined: dict[str, int] = {}
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
            for p in _orphans(table, part.frame, ~part.aside, person_ids, persons_file, part.file):
                part.aside.loc[p["row"].to_numpy()] = True
                part.found.append(p)
            used_parts.append(part.frame[~part.aside.to_numpy()])
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
            joined[name] = used_rows - len(used)
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
        joined=joined,
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
