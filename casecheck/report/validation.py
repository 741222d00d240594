"""The load report (rows read, used and set aside; input problems) as data and as plain text."""

from __future__ import annotations

from typing import Any

import pandas as pd

from casecheck.export.load import Export
from casecheck.export.schema import TABLES
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


def load_summary(export: Export) -> dict[str, Any]:
    """What was read from each table, as plain data."""
    return {
        name: {
            "file": export.files[name],
            "encoding": export.encodings[name],
            "read": count.read,
            "used": count.used,
            "set_aside": count.set_aside,
            "absent_columns": list(export.absent_columns.get(name, ())),
        }
        for name, count in export.counts.items()
    }


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
        "absent_tables": [t for t in TABLES if t not in export.counts],
        "problems": problems_records(export.problems),
    }


def _file_of(export: Export, table: str) -> str:
    """The file a table is read from: the council's name for it, else the contract's."""
    configured = export.config.tables.get(table)
    return (configured.file if configured else None) or TABLES[table].file


def validation_text(export: Export) -> str:
    """The plain-text report of `casecheck validate` (used when output is not a terminal),
    without control characters from the data."""
    out = [f"Export: {export.folder}"]
    for info in load_summary(export).values():
        out.append(
            f"  {info['file']}: read {info['read']}, used {info['used']}, "
            f"set aside {info['set_aside']}"
        )
    missing = [t for t in TABLES if t not in export.counts]
    if missing:
        out.append("  not in this export: " + ", ".join(_file_of(export, t) for t in missing))
    lines = problem_lines(export.problems)
    out.append(
        f"{len(lines)} problem{'s' if len(lines) != 1 else ''} found" + (":" if lines else ".")
    )
    out.extend(lines)
    return terminal_text("\n".join(out)) + "\n"
