"""A starter casecheck.yaml written from an export's CSV headers (`casecheck init`).

Each contract table is matched to the file that looks most like it (its name, then how many
contract columns its headers have), and each contract column to a header of the same name,
ignoring case, spaces, hyphens and underscores. What cannot be matched is left as commented
choices for the QA manager. The distinct values of the label columns (step types, document
categories, note types) are listed with their counts, so they can be mapped to evidence kinds;
no other value of the export is written, and free-text columns are never read.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from casecheck.errors import ExportError
from casecheck.export.config import CONFIG_FILE, default_evidence
from casecheck.export.preset import PRESETS
from casecheck.export.reading import parse_csv_bytes
from casecheck.export.schema import TABLES, Table

# The columns whose values say what a row is evidence of: (table, column, evidence source key).
LABELS = (
    ("workflow_steps", "STEP_TYPE", "step_types", "Step types"),
    ("documents", "CATEGORY", "document_categories", "Document categories"),
    ("case_notes", "NOTE_TYPE", "note_types", "Note types"),
)
MOST_LISTED = 60  # label values listed per column; the rest are counted


def fold(name: str) -> str:
    """A name for matching: case, spaces, hyphens and underscores ignored."""
    return re.sub(r"[\s_\-]+", "", name).casefold()


@dataclass(frozen=True)
class Found:
    """One CSV file of the export and its headers."""

    path: Path
    headers: tuple[str, ...]

    @property
    def stem(self) -> str:
        return fold(self.path.stem)


def _headers(path: Path) -> tuple[str, ...]:
    with path.open("rb") as handle:
        first = handle.readline(1 << 16)
    frame, _ = parse_csv_bytes(first, path.name)
    return tuple(str(c) for c in frame.columns)


def _score(table: Table, found: Found) -> int:
    names = {fold(table.name), fold(Path(table.file).stem), fold("dm_" + table.name)}
    by_name = 1000 if found.stem in names or found.stem.endswith(fold(table.name)) else 0
    headers = {fold(h) for h in found.headers}
    columns = sum(fold(c.name) in headers for c in table.columns)
    required = all(fold(c) in headers for c in table.required)
    return by_name + columns * 10 + (5 if required else 0) if by_name or required else 0


def match_files(files: list[Found]) -> dict[str, Found]:
    """Each contract table's best file (a file serves one table), in contract order."""
    pairs = sorted(
        (
            (-_score(table, found), t, f)
            for t, table in enumerate(TABLES.values())
            for f, found in enumerate(files)
            if _score(table, found) > 0
        ),
    )
    names = list(TABLES)
    chosen: dict[str, Found] = {}
    used: set[int] = set()
    for _, t, f in pairs:
        if names[t] in chosen or f in used:
            continue
        chosen[names[t]] = files[f]
        used.add(f)
    return {name: chosen[name] for name in names if name in chosen}


def _quote(value: str) -> str:
    """A value as YAML text that reads back as the same string."""
    return json.dumps(value, ensure_ascii=False)


def _labels(found: Found, header: str) -> pd.Series:
    data = found.path.read_bytes()
    frame, _ = parse_csv_bytes(data, found.path.name)
    values = frame[header].astype(str).str.strip()
    values = values[values != ""]
    counts = values.value_counts()
    order = sorted(counts.index, key=lambda v: (-int(counts[v]), v))
    return counts.reindex(order)


def suggest_preset(files: list[Found]) -> str | None:
    """The preset whose files the folder holds, if any."""
    stems = {f.stem for f in files}
    for name, found in PRESETS.items():
        if all(fold(s) in stems for s in found.signature):
            return name
    return None


def _table_block(name: str, table: Table, found: Found | None) -> list[str]:
    if found is None:
        return [
            f"  # {name}:    # no file found for this table",
            f"  #   file: {table.file}",
        ]
    lines = [f"  {name}:", f"    file: {found.path.name}"]
    by_fold = {fold(h): h for h in found.headers}
    matched = {c.name: by_fold.get(fold(c.name)) for c in table.columns}
    taken = {h for h in matched.values() if h is not None}
    free = [h for h in found.headers if h not in taken]
    renames = [(c, h) for c, h in matched.items() if h is not None and h != c]
    missing = [c for c in table.columns if matched[c.name] is None]
    if renames:
        lines.append("    columns:                 # contract name: the header in the file")
    elif missing:
        lines.append("    # columns:               # contract name: the header in the file")
    lines.extend(f"      {column}: {_quote(header)}" for column, header in renames)
    width = max((len(c.name) for c in missing), default=0) + 1
    lines.extend(
        f"      # {c.name + ':':<{width}}  # {'required' if c.required else 'optional'}"
        for c in missing
    )
    if missing and free:
        lines.append(f"    # headers not matched to a column: {', '.join(free)}")
    return lines


def _label_block(chosen: dict[str, Found]) -> list[str]:
    lines: list[str] = []
    for table, column, source, words in LABELS:
        found = chosen.get(table)
        if found is None:
            continue
        header = {fold(h): h for h in found.headers}.get(fold(column))
        if header is None:
            continue
        counts = _labels(found, header)
        lines.append(f"# {words} in {found.path.name} ({header}), with how many rows have each:")
        for value, count in list(counts.items())[:MOST_LISTED]:
            lines.append(f"#   {_quote(str(value))}: {int(count)}")
        if len(counts) > MOST_LISTED:
            lines.append(f"#   ... and {len(counts) - MOST_LISTED} more")
        lines.append(f"# (map them below as {source}: [...] under an evidence kind)")
    if not lines:
        return []
    kinds = textwrap.wrap(", ".join(default_evidence()) + ".", 96)
    return [
        "",
        "# Which of the export's labels count as which evidence. The shipped kinds are:",
        *(f"# {line}" for line in kinds),
        "# Each already knows some common names (casecheck/data/evidence.yaml); add yours:",
        *lines,
        "# evidence:",
        "#   supervision:",
        '#     note_types: ["Supervision Record"]',
        "#   placement_plan:",
        '#     step_types: ["CLA Placement Plan"]',
    ]


def starter_config(folder: Path) -> str:
    """The text of a starter casecheck.yaml for the export in `folder`."""
    if not folder.is_dir():
        raise ExportError(
            str(folder), "is not a folder", "Give the folder that holds the export's CSV files."
        )
    paths = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.casefold() == ".csv")
    if not paths:
        raise ExportError(
            str(folder), "holds no CSV files", "Give the folder that holds the export's CSV files."
        )
    files = [Found(path=p, headers=_headers(p)) for p in paths]
    head = [
        f"# {CONFIG_FILE}: written by `casecheck init` from the CSV headers in this folder.",
        "# Check every line, fill in the commented ones you need, then run `casecheck validate`.",
        "# council: Anyshire County Council",
        "# export_date: 2026-10-30      # the day the export was taken (the default --as-of)",
    ]
    named = suggest_preset(files)
    if named is not None:
        return "\n".join(
            [
                *head,
                f"# These files look like the {PRESETS[named].title}: the preset describes",
                "# them, and anything below overrides it (see the README).",
                f"preset: {named}",
                "",
            ]
        )
    chosen = match_files(files)
    lines = [*head, "tables:"]
    for name, table in TABLES.items():
        lines.extend(_table_block(name, table, chosen.get(name)))
    unused = [f.path.name for f in files if f not in chosen.values()]
    if unused:
        lines.append(f"# Files not matched to a table: {', '.join(unused)}")
    lines.extend(_label_block(chosen))
    return "\n".join(lines) + "\n"
