"""Rich terminal views: the only module that imports rich."""

from __future__ import annotations

import io
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from casecheck.engine.run import RunResult
from casecheck.export.load import Export
from casecheck.report import summary
from casecheck.report.cells import terminal_text
from casecheck.report.validation import (
    load_summary,
    lookup_line,
    mapping_lines,
    problem_lines,
)


def _data(value: object, style: str = "") -> Text:
    """Text from the data or a path, shown as written: never markup, no control characters."""
    return Text(terminal_text(value), style=style)


def console() -> Console:
    """A console on stdout; rich honours NO_COLOR and plain output when not a terminal.

    Markup and emoji codes are off: a team, a worker, an evidence kind or a folder name is
    data, and "[/]" or ":fire:" in one must print as written. Styles are given as Text.
    """
    return Console(highlight=False, soft_wrap=False, markup=False, emoji=False)


def print_validation(export: Export, out: Console | None = None) -> None:
    """The load report: rows per table, then every input problem."""
    out = out or console()
    table = Table(title=_data(f"Export {export.folder}"), title_justify="left")
    filtering = any(c.filtered for c in export.counts.values())
    for column, justify in (
        ("file", "left"),
        ("read", "right"),
        ("used", "right"),
        ("set aside", "right"),
        *((("filtered", "right"),) if filtering else ()),
    ):
        table.add_column(column, justify=justify)
    for info in load_summary(export).values():
        aside = info["set_aside"]
        table.add_row(
            _data(info["file"]),
            str(info["read"]),
            str(info["used"]),
            Text(str(aside), style="yellow") if aside else "0",
            *((str(info["filtered"]),) if filtering else ()),
        )
    out.print(table)
    applied = [(name, mapping_lines(export, name)) for name in export.counts]
    if any(lines for _, lines in applied):
        out.print("The council's mapping, as applied:")
        for name, lines in applied:
            if lines:
                out.print(Text(f"  {name}:"))
                for line in lines:
                    out.print(Text("  " + line))
    for read in export.lookup_files.values():
        out.print(Text(lookup_line(read)))
    lines = problem_lines(export.problems)
    if not lines:
        out.print(Text("No problems found.", style="green"))
        return
    out.print(Text(f"{len(lines)} problem{'s' if len(lines) != 1 else ''} found:", style="yellow"))
    for line in lines:
        out.print(_data(line))


def _n(count: object, noun: str) -> str:
    """'1 child', '3 children', '1 exception', '2 exceptions'."""
    plural = {"child": "children"}.get(noun, noun + "s")
    return f"{count} {noun if count == 1 else plural}"


def _pct(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.0%}"


def _table(title: str | Text, plain: bool) -> Table:
    return Table(
        title=title,
        title_justify="left",
        box=box.ASCII if plain else box.SIMPLE_HEAVY,
        title_style="" if plain else "bold",
    )


def _group_table(title: str, frame: pd.DataFrame, label: str, plain: bool) -> Table:
    table = _table(title, plain)
    table.add_column(label)
    for column in ("children", "with exceptions", "high", "medium", "low", "compliance"):
        table.add_column(column, justify="right")
    for name, row in frame.to_dict("index").items():
        table.add_row(
            _data(str(name) or "(none)"),
            str(row["children"]),
            str(row["with_exceptions"]),
            str(row["high"]),
            str(row["medium"]),
            str(row["low"]),
            _pct(row["compliance"]),
        )
    return table


def render_summary(result: RunResult, out: Console, plain: bool = False) -> None:
    """Headline, a table per team (per worker with --team), per rule, and the oldest overdue."""
    head = summary.overall(result)
    team = result.team
    compliance = _pct(head["compliance"])
    where = f" - team {team}" if team else ""
    out.print(
        _data(
            f"casecheck: {result.export.folder} as of {result.as_of:%d/%m/%Y}{where}",
            style="" if plain else "bold",
        )
    )
    aside = sum(c.set_aside for c in result.export.counts.values())
    if len(result.export.problems):
        out.print(
            f"Input: {_n(len(result.export.problems), 'problem')}, "
            f"{_n(aside, 'row')} set aside "
            "(`casecheck validate` lists them)",
            markup=False,
        )
    out.print(
        f"{_n(head['children_in_scope'], 'child')} in scope, "
        f"{head['children_with_exceptions']} with exceptions, compliance {compliance}; "
        f"{_n(head['exceptions'], 'exception')}, {head['due_soon']} due soon",
        markup=False,
    )
    moved = summary.changes(result)
    if moved is not None and result.previous_as_of is not None:
        out.print(
            f"Since the run as of {result.previous_as_of:%d/%m/%Y}: {moved['new']} new, "
            f"{moved['reopened']} reopened, {moved['still_open']} still open; "
            f"{moved['fixed']} fixed, {moved['dropped_out']} dropped out "
            "(no longer due: aged out, left scope or closed)",
            markup=False,
        )
    if result.waived is not None:
        stale = 0 if result.stale_waivers is None else len(result.stale_waivers)
        lapsed = int((result.findings.get("waiver", pd.Series(dtype=object)) != "").sum())
        out.print(
            f"Waivers: {_n(len(result.waived), 'exception')} waived (not counted above), "
            f"{lapsed} with a lapsed waiver, {_n(stale, 'stale waiver')} matching nothing",
            markup=False,
        )
    out.print()
    if team:
        out.print(_group_table("By worker", summary.by_worker(result), "worker", plain))
    else:
        out.print(_group_table("By team", summary.by_team(result), "team", plain))
    rules = _table("By rule", plain)
    lines = _sparklines(result, plain)
    narrow = out.width < NARROW
    columns = (
        ["rule", "sev", "scope", "comp.", "exc.", "soon"]
        if narrow
        else ["rule", "severity", "in scope", "compliant", "exceptions", "due soon"]
    )
    for column in [*columns, *(["trend"] if lines is not None else [])]:
        rules.add_column(
            column,
            justify="left" if column in ("rule", "severity", "sev", "trend") else "right",
            no_wrap=column in ("rule", "severity", "sev", "trend"),
        )
    for o in result.outcomes:
        spark = [] if lines is None else [lines.get(o.rule.id, "")]
        if o.status == "ran":
            rules.add_row(
                _data(o.rule.id),
                o.rule.severity.value,
                str(o.in_scope),
                _pct(o.compliance) if narrow else f"{o.compliant} ({_pct(o.compliance)})",
                str(o.exceptions),
                str(o.due_soon),
                *spark,
            )
        else:
            label = "not run" if o.status == "not_run" else "ERRORED"
            rules.add_row(
                _data(o.rule.id), o.rule.severity.value, label, _data(o.reason), "", "", *spark
            )
    out.print(rules)
    fresh = summary.new_high(result)
    if len(fresh):
        _exceptions(out, "New high-severity exceptions", fresh.head(20), plain)
    if team:
        _action_lists(result, out, plain)
        return
    oldest = summary.oldest(result)
    if len(oldest):
        _exceptions(out, "To chase first", oldest, plain)


NARROW = 100  # below this many columns, lists of exceptions are printed as lines, not tables


def _exceptions(out: Console, title: str, frame: pd.DataFrame, plain: bool) -> None:
    """A list of exceptions: a table, or on a narrow screen two lines each."""
    if out.width >= NARROW:
        out.print(_exceptions_table(title, frame, plain))
        return
    out.print(_data(title, "" if plain else "bold"))
    for row in frame.to_dict("records"):
        who = f"{row['PERSON_ID']} - {row['team']}" + (
            f", {row['worker']}" if row["worker"] else ""
        )
        head = f"{who}: {row['rule_id']} ({row['severity']}, {row['days_overdue']} days)"
        out.print(_data(head))
        out.print(_data(f"    {row['message']}"))


TREND_RUNS = 12


def _sparklines(result: RunResult, plain: bool) -> dict[str, str] | None:
    """Each rule's compliance over the last runs kept in the history, as a sparkline."""
    if result.trend is None or not len(result.trend):
        return None
    from casecheck.weekly.trend import sparkline

    rules = result.trend[result.trend["level"] == "rule"].sort_values("as_of", kind="stable")
    recent = sorted(rules["as_of"].unique())[-TREND_RUNS:]
    rules = rules[rules["as_of"].isin(recent)]
    return {
        str(name): sparkline(group["compliance"], plain) for name, group in rules.groupby("name")
    }


def _exceptions_table(title: str, frame: pd.DataFrame, plain: bool) -> Table:
    table = _table(title, plain)
    for column in ("child", "team", "worker", "rule", "sev", "days", "message"):
        table.add_column(
            column,
            justify="right" if column == "days" else "left",
            no_wrap=column not in ("message", "worker", "team"),
        )
    for row in frame.to_dict("records"):
        table.add_row(
            _data(row["PERSON_ID"]),
            _data(row["team"]),
            _data(row["worker"]),
            _data(row["rule_id"]),
            row["severity"],
            str(row["days_overdue"]),
            _data(row["message"]),
        )
    return table


ACTIONS_PER_WORKER = 15


def _action_lists(result: RunResult, out: Console, plain: bool) -> None:
    """Per worker: high severity first, then by days overdue, then what falls due soon."""
    listed = summary.actions(result)
    for worker, rows in listed.groupby("worker", sort=True):
        name = str(worker) or "(no worker)"
        if out.width < NARROW:
            out.print(_data(f"Actions for {name}", "" if plain else "bold"))
            for row in rows.head(ACTIONS_PER_WORKER).to_dict("records"):
                when = (
                    f"{row['days_overdue']} days overdue"
                    if row["action"] == "overdue"
                    else f"due {row['due_date']:%d/%m/%Y}"
                )
                out.print(
                    _data(f"{row['PERSON_ID']}: {row['rule_id']} ({row['severity']}, {when})")
                )
                out.print(_data(f"    {row['message']}"))
            _more(out, len(rows), name)
            continue
        table = _table(_data(f"Actions for {name}"), plain)
        for column in ("child", "rule", "sev", "action", "due", "message"):
            table.add_column(column, no_wrap=column != "message")
        for row in rows.head(ACTIONS_PER_WORKER).to_dict("records"):
            late = row["days_overdue"]
            table.add_row(
                _data(row["PERSON_ID"]),
                _data(row["rule_id"]),
                str(row["severity"]),
                f"{late} days overdue" if row["action"] == "overdue" else "due soon",
                f"{row['due_date']:%d/%m/%Y}",
                _data(row["message"]),
            )
        out.print(table)
        _more(out, len(rows), name)


def _more(out: Console, count: int, name: str) -> None:
    if count > ACTIONS_PER_WORKER:
        out.print(
            _data(
                f"  ... and {count - ACTIONS_PER_WORKER} more for {name}: "
                "the CSV, Excel and HTML reports list them all"
            )
        )


PLAIN_WIDTH = 160  # the width of the plain-text summary, unless the caller gives one


def summary_text(result: RunResult, width: int = PLAIN_WIDTH) -> str:
    """The same summary as plain text (ASCII tables, no colour), for pipes and files."""
    buffer = io.StringIO()
    out = Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        soft_wrap=False,
        markup=False,
        emoji=False,
    )
    render_summary(result, out, plain=True)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def print_summary(result: RunResult) -> None:
    render_summary(result, console())


STATUS_STYLE = {
    "exception": "red",
    "compliant": "green",
    "does not apply": "dim",
    "not run": "yellow",
    "errored": "red",
}


def print_case(view: dict[str, Any], out: Console | None = None) -> None:
    """One child's file: a row per rule with what was found and what is missing."""
    out = out or console()
    out.print(_data(f"Child {view['person_id']}", style="bold"), Text(f"as of {view['as_of']}"))
    out.print(_data(f"team: {view['team'] or '(not allocated)'}; worker: {view['worker'] or '-'}"))
    table = _table("Rules", plain=False)
    for column in ("rule", "status", "detail"):
        table.add_column(column, no_wrap=column != "detail")
    for rule in view["rules"]:
        details = [item["message"] for item in rule["exceptions"]]
        details += [
            f"nearest found: {i['nearest_found']}" for i in rule["exceptions"] if i["nearest_found"]
        ]
        details += [f"due soon: {item['message']}" for item in rule["due_soon"]]
        if rule["reason"]:
            details.append(rule["reason"])
        style = STATUS_STYLE.get(rule["status"], "")
        table.add_row(
            _data(rule["rule_id"]), Text(rule["status"], style=style), _data("\n".join(details))
        )
    out.print(table)
    evidence = _table("Evidence on file", plain=False)
    for column in ("date", "kind", "where", "ref"):
        evidence.add_column(column)
    for item in view["evidence"]:
        evidence.add_row(
            _data(item["date"]), _data(item["kind"]), _data(item["where"]), _data(item["ref"])
        )
    out.print(evidence)


def progress(message: str) -> AbstractContextManager[object]:
    """A spinner on stderr while a step runs, only when stderr is a terminal."""
    err = Console(stderr=True, markup=False, emoji=False)
    if not err.is_terminal:
        return nullcontext()
    return err.status(_data(message))
