"""Which files of an export hold a table, each with its own mapping: the one place that knows.

A table is read from `file:` (one name), from `files:` (names, globs and sources, each with
its own renames, constants, lookups and row filter), or else from the contract's file name.
Table-level settings apply to every source; a source's own setting for a column replaces
the table's.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from casecheck.errors import ExportError
from casecheck.export.config import CONFIG_FILE, CouncilConfig, Lookup, Source, TableConfig
from casecheck.export.schema import TABLES
from casecheck.files import exists

GLOB_CHARACTERS = "*?["


@dataclass(frozen=True)
class SourceSpec:
    """One entry of a table's sources, with the table's settings merged into its own."""

    entry: str  # a file name or a glob, as the config writes it
    columns: Mapping[str, str]  # contract (or extra) column -> the council's header
    constants: Mapping[str, str]  # column -> the value of every row
    lookups: tuple[Lookup, ...]
    keep: Mapping[str, tuple[str, ...]]  # column -> the values of the rows kept

    @property
    def filled(self) -> frozenset[str]:
        """Columns this source fills itself (constants and lookups) rather than reads."""
        return frozenset(self.constants) | {c for lk in self.lookups for c in lk.columns}


def table_config(table: str, config: CouncilConfig) -> TableConfig:
    """The council's settings for `table` (the defaults when it gives none)."""
    return config.tables.get(table) or TableConfig()


def is_glob(entry: str) -> bool:
    return any(c in entry for c in GLOB_CHARACTERS)


def _merge(table: TableConfig, part: Source) -> SourceSpec:
    own = set(part.columns) | set(part.constants) | {c for lk in part.lookups for c in lk.columns}
    lookups = []
    for lookup in table.lookups:
        columns = {k: v for k, v in lookup.columns.items() if k not in own}
        if columns:
            lookups.append(lookup.model_copy(update={"columns": columns}))
    return SourceSpec(
        entry=part.file,
        columns={k: v for k, v in table.columns.items() if k not in own} | part.columns,
        constants={k: v for k, v in table.constants.items() if k not in own} | part.constants,
        lookups=(*lookups, *part.lookups),
        keep={k: tuple(v) for k, v in (table.keep | part.keep).items()},
    )


def sources_of(table: str, config: CouncilConfig) -> tuple[SourceSpec, ...]:
    """The sources of `table` as the config gives them (globs not yet expanded)."""
    tconf = table_config(table, config)
    entries = tconf.files if tconf.files is not None else [tconf.file or TABLES[table].file]
    return tuple(
        _merge(tconf, entry if isinstance(entry, Source) else Source(file=entry))
        for entry in entries
    )


def label_of(table: str, config: CouncilConfig) -> str:
    """How messages name the file(s) of a table that is not read: "visits_*.csv or cp.csv"."""
    return " or ".join(source.entry for source in sources_of(table, config))


def _absent(folder: Path, table: str, name: str) -> list[tuple[str, SourceSpec]]:
    if TABLES[table].mandatory:
        raise ExportError(
            str(folder),
            f"has no {name}, which every export needs (one row per {TABLES[table].row_is})",
            f"Add {name}, or name the council's file in {CONFIG_FILE} under "
            f"tables: > {table}: > file:.",
        )
    return []


def files_of(folder: Path, table: str, config: CouncilConfig) -> list[tuple[str, SourceSpec]]:
    """The files of `folder` that hold `table`, in the config's order, each glob's sorted.

    Empty when the table is optional and none of its named files is there. A glob that
    matches nothing, a listed file missing beside others that are there, or a file matched
    twice stops the run.
    """
    sources = sources_of(table, config)
    listed = table_config(table, config).files is not None
    under = f"tables: > {table}: > files:"
    if not listed and not is_glob(sources[0].entry):
        name = sources[0].entry
        if exists(folder / name):  # a folder or pipe named so is refused when read
            return [(name, sources[0])]
        return _absent(folder, table, name)
    if not any(is_glob(s.entry) or exists(folder / s.entry) for s in sources):
        # None of the listed files: the table is absent, as when its one file is missing.
        return _absent(folder, table, label_of(table, config))
    names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    found: list[tuple[str, SourceSpec]] = []
    matched_by: dict[str, str] = {}
    for source in sources:
        if is_glob(source.entry):
            matches = [n for n in names if fnmatch.fnmatchcase(n, source.entry)]
            if not matches:
                raise ExportError(
                    str(folder),
                    f'has no file matching "{source.entry}" (under {under})',
                    "Correct the pattern, or remove it from the list.",
                )
        else:
            if not exists(folder / source.entry):
                raise ExportError(
                    str(folder),
                    f"has no {source.entry} (listed under {under})",
                    "Add the file, or remove it from the list.",
                )
            matches = [source.entry]
        for name in matches:
            if name in matched_by:
                raise ExportError(
                    str(folder),
                    f'{name} is matched by both "{matched_by[name]}" and "{source.entry}" '
                    f"(under {under})",
                    "Make each file match one entry only, or it would be read twice.",
                )
            matched_by[name] = source.entry
            found.append((name, source))
    return found
