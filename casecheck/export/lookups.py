"""Columns brought in from other files by key, and membership flags, without a silent drop.

Each file is read once, like any file of the export (encodings, null markers); a key it holds
twice is an input problem in that file, and a key it lacks is one in the row that looked it up.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from casecheck.errors import ExportError
from casecheck.export.config import CONFIG_FILE, Lookup, Membership
from casecheck.export.problems import problems_at
from casecheck.export.reading import RawTable, find_header, needed_column, read_file
from casecheck.export.schema import Table
from casecheck.files import exists

KEY_SEPARATOR = "|"  # between the parts of a key made of several columns (id: [A, B])


@dataclass(frozen=True)
class LookupRead:
    """A file read for lookups or membership flags: rows read, and rows set aside as duplicates."""

    file: str
    encoding: str
    read: int
    set_aside: int  # rows whose key an earlier row has
    used_by: tuple[str, ...]  # the tables that look things up in it


class LookupFiles:
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
            if not exists(self.folder / file):
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
        key = joined(frame, keys)
        blank = (frame[keys] == "").any(axis=1).to_numpy()
        repeated = key.duplicated(keep="first").to_numpy() & ~blank
        if repeated.any():
            rows = frame.index[repeated]
            first = pd.Series(frame.index[~repeated], index=key[~repeated].to_numpy())
            other = key[repeated].map(first).astype(str)
            named = " and ".join(keys)
            self.problems.append(
                problems_at(
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
                read=len(frame),
                set_aside=len(self.aside[file]),
                used_by=tuple(self.used_by[file]),
            )
            for file, (frame, encoding) in self.frames.items()
        }


def joined(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
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


def fill_lookup(
    lookups: LookupFiles,
    table: Table,
    part_raw: RawTable,
    frame: pd.DataFrame,
    lookup: Lookup,
    file: str,
) -> pd.DataFrame | None:
    """Fill the columns `lookup` brings; return the problems of unmatched keys (or None)."""
    under = f"tables: > {table.name}: > lookups:"
    ours = [needed_column(part_raw, frame, k, file, f"{under} > on:") for k in lookup.on]
    theirs = [
        lookups.column(lookup.file, table.name, k, f"{under} > on:") for k in lookup.on.values()
    ]
    brought = {
        column: lookups.column(lookup.file, table.name, name, f"{under} > columns:")
        for column, name in lookup.columns.items()
    }
    found = lookups.unique(lookup.file, table, theirs)
    key = joined(frame, ours)
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
    return problems_at(
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


def fill_flag(
    lookups: LookupFiles,
    table: Table,
    source: RawTable,
    frame: pd.DataFrame,
    flag: str,
    member: Membership,
    file: str,
) -> None:
    """Fill `flag`: Y when the row's key is in the other file, N when not, blank without a key."""
    ours, theirs = (
        (member.key, member.key) if isinstance(member.key, str) else next(iter(member.key.items()))
    )
    mine = needed_column(source, frame, ours, file, f"tables: > {table.name}: > flags:")
    other = lookups.column(
        member.present_in,
        table.name,
        theirs,
        f"tables: > {table.name}: > flags: > {flag}: > key:",
    )
    present = pd.Index(lookups.frame(member.present_in, table.name)[other].unique())
    cells = frame[mine]
    frame[flag] = np.where(cells == "", "", np.where(cells.isin(present), "Y", "N"))
