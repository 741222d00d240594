"""Rich terminal views: the only module that imports rich."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from casecheck.engine.run import RunResult
from casecheck.load import Export
from casecheck.report.validation import load_summary, problem_lines


def console() -> Console:
    """A console on stdout; rich honours NO_COLOR and plain output when not a terminal."""
    return Console(highlight=False, soft_wrap=False)


def print_validation(export: Export, out: Console | None = None) -> None:
    """The load report: rows per table, then every input problem."""
    out = out or console()
    table = Table(title=f"Export {export.folder}", title_justify="left")
    for column, justify in (
        ("file", "left"),
        ("read", "right"),
        ("used", "right"),
        ("set aside", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for info in load_summary(export).values():
        aside = info["set_aside"]
        table.add_row(
            info["file"],
            str(info["read"]),
            str(info["used"]),
            f"[yellow]{aside}[/]" if aside else "0",
        )
    out.print(table)
    lines = problem_lines(export.problems)
    if not lines:
        out.print("[green]No problems found.[/]")
        return
    out.print(f"[yellow]{len(lines)} problem{'s' if len(lines) != 1 else ''} found:[/]")
    for line in lines:
        out.print(line, markup=False)


def print_summary(result: RunResult, out: Console | None = None) -> None:
    """The check summary: one row per rule, then the totals."""
    out = out or console()
    table = Table(
        title=f"casecheck: {result.export.folder} as of {result.as_of:%d/%m/%Y}",
        title_justify="left",
    )
    for column, justify in (
        ("rule", "left"),
        ("severity", "left"),
        ("in scope", "right"),
        ("compliant", "right"),
        ("exceptions", "right"),
        ("due soon", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for o in result.outcomes:
        if o.status == "ran":
            pct = "" if o.compliance is None else f" ({o.compliance:.0%})"
            table.add_row(
                o.rule.id,
                o.rule.severity.value,
                str(o.in_scope),
                f"{o.compliant}{pct}",
                str(o.exceptions),
                str(o.due_soon),
            )
        else:
            label = "[yellow]not run[/]" if o.status == "not_run" else "[red]errored[/]"
            table.add_row(o.rule.id, o.rule.severity.value, label, o.reason, "", "")
    out.print(table)
    out.print(
        f"{len(result.findings)} exceptions for {result.findings['PERSON_ID'].nunique()} children; {len(result.due_soon)} due soon."
    )
