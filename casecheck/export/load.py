"""Load an export folder into typed tables, recording every input problem and counting every row."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from casecheck.errors import ExportError
from casecheck.export.config import CouncilConfig, TableConfig
from casecheck.export.consecutive import join_consecutive
from casecheck.export.parsing import Parsed, parse_choices, parse_dates, parse_flags, parse_text
from casecheck.export.reading import read_table
from casecheck.export.schema import PERIODS, TABLES, Kind, Table

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


@dataclass(frozen=True)
class TableCount:
    """How many rows of a table were read, used and set aside."""

    read: int
    used: int
    set_aside: int


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
    joined: dict[str, int] = field(default_factory=dict)  # rows joined into the row before

    def has(self, table: str) -> bool:
        return table in self.tables


def _problems(
    table: Table,
    file: str,
    rows: pd.Index,
    column: str | None,
    values: pd.Series | None,
    message: pd.Series | str,
    fix: str,
    set_aside: bool,
) -> pd.DataFrame:
    """Problem records for `rows`; the value is quoted into the message unless it is free text."""
    shown = (
        values is not None
        and column is not None
        and table.column(column).kind is not Kind.FREE_TEXT
    )
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
            "file": pd.Series(file, index=range(len(rows)), dtype=str),
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
    table: Table, raw: pd.DataFrame, tconf: TableConfig, file: str
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Parse every contract column of `raw`; return the typed frame and its problems."""
    out = raw.copy()
    found: list[pd.DataFrame] = []
    blank_row = (raw == "").all(axis=1)
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


def _duplicates(table: Table, raw: pd.DataFrame, file: str) -> list[pd.DataFrame]:
    """Every row whose key an earlier row already has (set aside or not) is a duplicate."""
    if table.key is None:
        return []
    keys = raw[table.key]
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
    at = raw.index[shared]
    rows = at[later]
    on_row = pd.Series(at.to_numpy()[first[later]], index=rows).astype(str)
    return [
        _problems(
            table,
            file,
            rows,
            table.key,
            keys,
            f"is a duplicate {table.key}: row " + on_row + " has it too",
            "Remove the duplicate row, or correct its ID; until then this row is set aside.",
            True,
        )
    ]


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
    person_ids: pd.Index = pd.Index([], dtype=str)
    joined: dict[str, int] = {}
    for name, table in TABLES.items():  # persons first: the others are checked against it
        tconf = config.tables.get(name, TableConfig())
        raw = read_table(folder, table, tconf)
        if raw is None:
            continue
        file = tconf.file or table.file
        frame, found = _parse_table(table, raw.frame, tconf, file)
        aside = pd.Series(False, index=frame.index)
        for p in found:
            aside.loc[p.loc[p["set_aside"], "row"].to_numpy()] = True
        checks = [
            *_duplicates(table, raw.frame, file),
            *_periods(table, frame, raw.frame, ~aside, file),
        ]
        for p in checks:
            aside.loc[p["row"].to_numpy()] = True
        found.extend(checks)
        persons_file = files.get("persons", TABLES["persons"].file)
        for p in _orphans(table, frame, ~aside, person_ids, persons_file, file):
            aside.loc[p["row"].to_numpy()] = True
            found.append(p)
        used = frame[~aside.to_numpy()]
        if tconf.join_consecutive:
            used_rows = len(used)
            used = join_consecutive(used, *PERIODS[name], tconf.join_consecutive)
            joined[name] = used_rows - len(used)
        if name == "persons":
            person_ids = pd.Index(used["PERSON_ID"])
        tables[name] = used
        if raw.headers:
            for p in found:
                p["header"] = p["column"].map(raw.headers).fillna(p["column"]).astype(str)
        problems.extend(found)
        counts[name] = TableCount(
            read=len(frame), used=len(frame) - int(aside.sum()), set_aside=int(aside.sum())
        )
        absent[name] = raw.absent_columns
        encodings[name] = raw.encoding
        files[name] = file
    return Export(
        folder=folder,
        config=config,
        tables=tables,
        problems=_in_order(problems),
        counts=counts,
        files=files,
        absent_columns=absent,
        encodings=encodings,
        joined=joined,
    )


def _in_order(problems: list[pd.DataFrame]) -> pd.DataFrame:
    """All problems, by table (in contract order), row, then column (in contract order)."""
    found = [p for p in problems if len(p)]
    if not found:
        return empty_problems()
    together = pd.concat(found, ignore_index=True)
    rank = {
        f"{table.name}/{column.name}": t * 1000 + c + 1
        for t, table in enumerate(TABLES.values())
        for c, column in enumerate(table.columns)
    }
    rank.update({f"{name}/": t * 1000 for t, name in enumerate(TABLES)})
    key = (together["table"] + "/" + together["column"]).map(rank)
    order = np.lexsort((key.to_numpy(), together["row"].to_numpy(), (key // 1000).to_numpy()))
    return together.iloc[order].reset_index(drop=True)
