"""The load report (rows read, used and set aside; input problems) as data and as plain text."""

from __future__ import annotations

from typing import Any

import pandas as pd

from casecheck.export.load import Export, SourceReport, TableCount
from casecheck.export.lookups import LookupRead
from casecheck.export.schema import TABLES
from casecheck.export.sources import table_config
from casecheck.report.cells import terminal_text

SCHEMA_VERSION = 1


def problem_lines(problems: pd.DataFrame) -> list[str]:
    """One line per problem: where (file, row, column), what, how to fix."""
    if problems.empty:
        return []
    column = problems["column"]
    header = problems["header"]
    # A column the council calls something else is named both ways: "Child Ref (PERSON_ID)".
    same = header.str.casefold() == column.str.casefold()
    named = header.where(same, header + " (" + column + ")")
    where = problems["file"] + ", row " + problems["row"].astype(str)
    where = where.where(column == "", where + ", " + named)
    lines = where + ": " + problems["message"] + ". " + problems["fix"]
    return [str(line) for line in lines]


def _counted(count: TableCount) -> dict[str, int]:
    return {
        "read": count.read,
        "used": count.used,
        "set_aside": count.set_aside,
        "filtered": count.filtered,
    }


def load_summary(export: Export) -> dict[str, Any]:
    """What was read from each table (and from each of its files), as plain data."""
    return {
        name: {
            "file": export.files[name],
            "encoding": export.encodings[name],
            **_counted(count),
            "absent_columns": list(export.absent_columns.get(name, ())),
            "sources": [
                {"file": s.file, "encoding": s.encoding, **_counted(s.count)}
                for s in export.sources.get(name, ())
            ],
        }
        for name, count in export.counts.items()
    }


def _source_mapping(source: SourceReport) -> dict[str, Any]:
    return {
        "columns": dict(source.renamed),
        "constants": dict(source.constants),
        "lookups": [
            {"file": lk.file, "on": dict(lk.on), "columns": dict(lk.columns)}
            for lk in source.lookups
        ],
        "keep": {column: list(values) for column, values in source.keep.items()},
    }


def mapping(export: Export) -> dict[str, Any]:
    """The council's mapping as applied to each table read: per file, then per table."""
    out: dict[str, Any] = {}
    for name in export.counts:
        tconf = table_config(name, export.config)
        out[name] = {
            "sources": {s.file: _source_mapping(s) for s in export.sources.get(name, ())},
            "generated": dict(export.generated.get(name, {})),
            "values": {column: dict(values) for column, values in tconf.values.items()},
            "extra_columns": {
                column: {"kind": spec.kind, "required": spec.required}
                for column, spec in tconf.extra_columns.items()
            },
            "join_consecutive": {
                "columns": list(tconf.join_consecutive),
                "joined": export.joined.get(name, 0),
            }
            if tconf.join_consecutive
            else None,
        }
    return out


def _counts_text(count: TableCount, filtering: bool) -> str:
    text = f"read {count.read}, used {count.used}, set aside {count.set_aside}"
    return text + (f", filtered {count.filtered}" if filtering else "")


def _quoted(values: Any) -> str:
    return ", ".join(f'"{v}"' for v in values)


def _source_lines(source: SourceReport) -> list[str]:
    lines = []
    if source.renamed:
        lines.append("columns: " + ", ".join(f'{c} from "{h}"' for c, h in source.renamed.items()))
    if source.constants:
        lines.append("constants: " + ", ".join(f'{c} = "{v}"' for c, v in source.constants.items()))
    for lk in source.lookups:
        brought = ", ".join(f'{c} from "{h}"' for c, h in lk.columns.items())
        on = ", ".join(f'"{a}" = "{b}"' for a, b in lk.on.items())
        lines.append(f"lookup: {brought} in {lk.file}, where {on}")
    for column, values in source.keep.items():
        lines.append(f"keep: rows whose {column} is {' or '.join(_quoted([v]) for v in values)}")
    return lines


def lookup_line(read: LookupRead) -> str:
    """A file read for lookups: 'DM_TEAMS.csv (looked up for allocations): read 12'."""
    aside = f", set aside {read.set_aside}" if read.set_aside else ""
    return f"{read.file} (looked up for {', '.join(read.used_by)}): read {read.read}{aside}"


def _label(export: Export, name: str) -> str:
    """A table's line starts with its file, and its name when the file is named otherwise."""
    if len(export.sources.get(name, ())) > 1:
        return name
    file = export.file_of(name)
    return file if file == TABLES[name].file else f"{file} ({name})"


def mapping_lines(export: Export, name: str) -> list[str]:
    """The mapping applied to one table, as indented lines (none when it is read as it is)."""
    sources = export.sources.get(name, ())
    tconf = table_config(name, export.config)
    filtering = any(s.keep for s in sources)
    lines: list[str] = []
    if len(sources) > 1:
        for source in sources:
            lines.append(f"  {source.file}: {_counts_text(source.count, filtering)}")
            lines.extend("    " + line for line in _source_lines(source))
    elif sources:
        lines.extend("  " + line for line in _source_lines(sources[0]))
    for column, how in export.generated.get(name, {}).items():
        lines.append(f"  generated: {column} = {how}")
    for column, values in tconf.values.items():
        pairs = ", ".join(f'"{a}" as "{b}"' for a, b in values.items())
        lines.append(f"  values: {column} reads {pairs}")
    for column, spec in tconf.extra_columns.items():
        required = ", required" if spec.required else ""
        lines.append(f"  extra column: {column} ({spec.kind}{required})")
    if tconf.join_consecutive:
        lines.append(
            f"  joined: {export.joined.get(name, 0)} rows continuing the one before (same child, "
            f"same {', '.join(tconf.join_consecutive)}, starting the day it ended) into it"
        )
    return lines


def problems_records(problems: pd.DataFrame) -> list[dict[str, Any]]:
    """Problems as JSON-ready records (value is null for free-text columns)."""
    records = []
    for row in problems.astype(object).where(problems.notna(), None).to_dict("records"):
        records.append(
            {
                "file": row["file"],
                "row": int(row["row"]),
                "column": row["column"] or None,
                "header": row["header"] or None,
                "value": row["value"],
                "message": row["message"],
                "fix": row["fix"],
                "row_set_aside": bool(row["set_aside"]),
            }
        )
    return records


def validation_document(export: Export) -> dict[str, Any]:
    """The `casecheck validate --format json` document."""
    return {
        "schema_version": SCHEMA_VERSION,
        "export": str(export.folder),
        "tables": load_summary(export),
        "mapping": mapping(export),
        "lookup_files": {
            file: {
                "encoding": read.encoding,
                "read": read.read,
                "used": read.read - read.set_aside,
                "set_aside": read.set_aside,
                "used_by": list(read.used_by),
            }
            for file, read in export.lookup_files.items()
        },
        "absent_tables": [t for t in TABLES if t not in export.counts],
        "problems": problems_records(export.problems),
    }


def validation_text(export: Export) -> str:
    """The plain-text report of `casecheck validate` (used when output is not a terminal),
    without control characters from the data."""
    out = [f"Export: {export.folder}"]
    for name, count in export.counts.items():
        sources = export.sources.get(name, ())
        filtering = any(s.keep for s in sources)
        label = _label(export, name)
        out.append(f"  {label}: {_counts_text(count, filtering)}")
        out.extend("  " + line for line in mapping_lines(export, name))
    out.extend("  " + lookup_line(read) for read in export.lookup_files.values())
    missing = [t for t in TABLES if t not in export.counts]
    if missing:
        out.append("  not in this export: " + ", ".join(export.file_of(t) for t in missing))
    lines = problem_lines(export.problems)
    out.append(
        f"{len(lines)} problem{'s' if len(lines) != 1 else ''} found" + (":" if lines else ".")
    )
    out.extend(lines)
    return terminal_text("\n".join(out)) + "\n"
