"""The results as one self-contained HTML page: figures, charts, a filterable table, each child.

The page stays small enough to open on any laptop, whatever the size of the export: it
summarises every child (headline, compliance by team and by rule) and lists what a reader acts
on. Each list holds at most LIST_LIMIT rows (the exceptions table: the most urgent, high
severity first and then the longest overdue) and the action lists at most ACTION_LIMIT rows
(each worker's most urgent, the same number for every worker), each saying how many it leaves
out and where the full list is (the CSV and the Excel workbook). A small run lists everything.
"""

from __future__ import annotations

import functools
import re
from typing import Any, cast

import jinja2
import numpy as np
import pandas as pd

from casecheck import __version__
from casecheck.engine.context import fmt_dates
from casecheck.engine.run import RunResult
from casecheck.report import summary
from casecheck.report.results import iso_text

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
EXCEPTION_KEYS = (  # a row of the exceptions table, as the template reads it
    "person_id",
    "anchor",
    "team",
    "worker",
    "rule_id",
    "title",
    "check",
    "severity",
    "rank",
    "message",
    "due",
    "due_sort",
    "days_overdue",
    "looked_for",
    "nearest",
    "since",
    "waiver",
)
CHART = {"width": 860, "label": 300, "bar": 400, "row": 26, "top": 28}
LABEL_CHARS = 42  # longer chart labels are cut, with the whole label as a tooltip
_NOT_ID = re.compile(r"[^A-Za-z0-9-]")
# About 2 KB of page per exception listed (its row, its action, its child's section): these
# keep a page of a 100,000-child export to a few megabytes.
LIST_LIMIT = 1_000  # rows of the exceptions table, and of each list of the weekly sections
ACTION_LIMIT = 2_000  # rows of the action lists, shared fairly between the workers
FULL_LIST = "every one is in the CSV and the Excel workbook (--format csv, --format xlsx)"


class _Environment(jinja2.Environment):
    """Jinja, reading `row.key` of a dict as its item first. The page's rows are dicts, and
    Jinja's own order (the attribute, then the item) raised and caught an AttributeError for
    each of some 70,000 cells: half the time of rendering. So a key named like a dict method
    (items, values, ...) reads the key; the template calls no dict method."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@functools.cache
def _template() -> jinja2.Template:
    env = _Environment(
        loader=jinja2.PackageLoader("casecheck.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template("report.html.j2")


def anchor(person_id: str) -> str:
    """The HTML id of a child's section: one per PERSON_ID, safe in an id and in a #link."""
    return "child-" + _NOT_ID.sub(lambda m: f"_{ord(m.group()):x}_", person_id)


def _dates(values: pd.Series) -> tuple[list[str], list[str]]:
    """A column of dates as shown (dd/mm/yyyy) and as sorted (yyyy-mm-dd), blank when
    missing: formatted per column, not per cell."""
    days = pd.Series(pd.to_datetime(values).to_numpy(dtype="datetime64[ns]"), index=values.index)
    shown: list[str] = fmt_dates(days).tolist()
    return shown, iso_text(days, "").tolist()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _values(frame: pd.DataFrame, column: str) -> list[Any]:
    """A column's values as a row of to_dict("records") holds them (read as one array, not
    element by element: iterating an Arrow-backed column boxes each value on its own)."""
    values: list[Any] = frame[column].to_numpy(dtype=object).tolist()
    return values


def _anchors(ids: list[Any]) -> list[str]:
    """Each PERSON_ID's anchor, worked out once per child."""
    known = {i: anchor(i) for i in dict.fromkeys(ids)}
    return [known[i] for i in ids]


def _pct(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:.0%}"


def _count(children: int) -> str:
    if not children:
        return "no children in scope"
    return f"{children} child" if children == 1 else f"{children} children"


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _bars(items: list[tuple[str, float | None, str, bool]]) -> dict[str, Any]:
    """An SVG bar chart's geometry: one bar per (label, share 0-1 or None, note, rule skipped)."""
    rows = []
    for i, (label, share, note, skipped) in enumerate(items):
        value = None if share is None or pd.isna(share) else float(share)
        rows.append(
            {
                "label": label,
                "short": _cut(label),
                "y": CHART["top"] + i * CHART["row"],
                "width": 0 if value is None else round(value * CHART["bar"], 1),
                "value": "" if value is None else _pct(value),
                "note": note,
                "known": value is not None,
                "skipped": skipped,
            }
        )
    ticks = [
        {"x": round(CHART["label"] + f * CHART["bar"], 1), "text": f"{f:.0%}"}
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    return {
        **CHART,
        "rows": rows,
        "ticks": ticks,
        "height": CHART["top"] + max(len(rows), 1) * CHART["row"] + 8,
    }


def _exceptions(frame: pd.DataFrame, titles: dict[str, str]) -> list[dict[str, Any]]:
    """A row of the exceptions table (and of a child's section) per exception, built column
    by column."""
    ids = _values(frame, "PERSON_ID")
    rule_ids = _values(frame, "rule_id")
    severities = _values(frame, "severity")
    due, due_sort = _dates(frame["due_date"])
    absent = [""] * len(frame)
    columns = zip(
        ids,
        _anchors(ids),
        _values(frame, "team"),
        _values(frame, "worker"),
        rule_ids,
        [titles.get(r, "") for r in rule_ids],
        _values(frame, "check"),
        severities,
        [SEVERITY_RANK.get(s, 3) for s in severities],
        _values(frame, "message"),
        due,
        due_sort,
        [int(d) for d in _values(frame, "days_overdue")],
        _values(frame, "looked_for"),
        [n or "" for n in _values(frame, "nearest")],
        [c or "" for c in _values(frame, "change")] if "change" in frame else absent,
        [w or "" for w in _values(frame, "waiver")] if "waiver" in frame else absent,
        strict=True,
    )
    return [dict(zip(EXCEPTION_KEYS, values, strict=True)) for values in columns]


def most_urgent(findings: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` exceptions, the most urgent (high severity first, then the longest
    overdue, as summary.oldest orders them), kept in the order of `findings`."""
    if len(findings) <= limit:
        return findings
    chosen = summary.oldest_of(findings, limit)
    return findings[findings.index.isin(chosen.index)]


def fair_share(sizes: pd.Series, limit: int) -> int | None:
    """The most rows each group may show so that all together show at most `limit` (at least
    one each); None when every row fits."""
    if int(sizes.sum()) <= limit:
        return None
    ordered = np.sort(sizes.to_numpy())
    best = 1
    for k in range(1, int(ordered[-1]) + 1):  # loops over list lengths, not over rows
        if int(np.minimum(ordered, k).sum()) > limit:
            break
        best = k
    return best


def _left_out(shown: int, total: int, what: str) -> str:
    """'' when everything is shown, else what the list leaves out and where to find it."""
    if shown >= total:
        return ""
    return f"The {shown:,} most urgent of {total:,} {what} are listed here; {FULL_LIST}."


def _weekly(result: RunResult, sections: set[str]) -> dict[str, Any]:
    """What the weekly loop adds: the comparison, the waivers, the trend and the actions."""
    from casecheck.report.trend import _chart

    gone = result.gone
    moved = summary.changes(result)

    def rows(frame: pd.DataFrame | None, limit: int | None = LIST_LIMIT) -> list[dict[str, Any]]:
        if frame is None:
            return []
        part = frame if limit is None else frame.iloc[:limit]
        columns: dict[str, list[Any]] = {}
        for key in part.columns:
            if key in ("due_date", "first_seen", "approved_on", "expires"):
                columns[key] = _dates(part[key])[0]
            else:
                values = _values(part, key)
                columns[key] = ["" if v is None or v is pd.NaT else v for v in values]
        columns["anchor"] = [_link(str(i), sections) for i in _values(part, "PERSON_ID")]
        return [
            dict(zip(columns, values, strict=True))
            for values in zip(*columns.values(), strict=True)
        ]

    def note(frame: pd.DataFrame | None, what: str) -> str:
        total = 0 if frame is None else len(frame)
        if total <= LIST_LIMIT:
            return ""
        return f"The first {LIST_LIMIT:,} of {total:,} {what} are listed here; {FULL_LIST}."

    findings = result.findings
    fresh = (
        findings[findings["change"].isin(["new", "reopened"])]
        if moved is not None
        else findings.iloc[:0]
    )
    fixed = None if gone is None else gone[gone["outcome"] == "fixed"]
    dropped = None if gone is None else gone[gone["outcome"] == "dropped_out"]
    actions = summary.actions(result)
    keys = ["team", "worker"]
    sizes = actions.groupby(keys).size()
    per_worker = fair_share(sizes, ACTION_LIMIT)
    kept = actions
    if per_worker is not None:
        kept = actions[(actions.groupby(keys, sort=False).cumcount() < per_worker).to_numpy()]
    listed: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in rows(kept, limit=None):  # one conversion, then grouped: worker by worker
        listed.setdefault(str(row["team"]), {}).setdefault(str(row["worker"]), []).append(row)
    totals = {
        (str(t), str(w)): int(n)
        for t, w, n in zip(
            sizes.index.get_level_values(0), sizes.index.get_level_values(1), sizes, strict=True
        )
    }
    by_team = [
        {
            "team": team,
            "workers": [
                {
                    "worker": worker or "(no worker)",
                    "actions": items,
                    "more": totals[team, worker] - len(items),
                }
                for worker, items in sorted(workers.items())
            ],
        }
        for team, workers in sorted(listed.items())
    ]
    trend = result.trend
    return {
        "previous_as_of": (
            result.previous_as_of.strftime("%d/%m/%Y") if result.previous_as_of else ""
        ),
        "moved": moved,
        "new": rows(fresh),
        "new_note": note(fresh, "new and reopened exceptions"),
        "fixed": rows(fixed),
        "fixed_note": note(fixed, "fixed exceptions"),
        "dropped_out": rows(dropped),
        "dropped_out_note": note(dropped, "exceptions dropped out"),
        "waived": rows(result.waived),
        "waived_note": note(result.waived, "waived exceptions"),
        "counts": {
            "new": len(fresh),
            "fixed": 0 if fixed is None else len(fixed),
            "dropped_out": 0 if dropped is None else len(dropped),
            "waived": 0 if result.waived is None else len(result.waived),
        },
        "per_worker": per_worker,
        "waivers_used": result.waived is not None,
        "stale": [] if result.stale_waivers is None else _records(result.stale_waivers),
        "trend_chart": "" if trend is None or not len(trend) else _chart(trend, "rule", "By rule"),
        "actions": by_team,
    }


def _link(person_id: str, sections: set[str]) -> str:
    """The anchor of the child's section, or '' when the page has none for the child."""
    return anchor(person_id) if person_id in sections else ""


def _children(
    exceptions: list[dict[str, Any]], result: RunResult, listed: pd.DataFrame | None
) -> list[dict[str, Any]]:
    """One entry per child with an exception or an item due soon, by PERSON_ID; when the page
    lists only the most urgent exceptions (`listed`), only the children listed there."""
    children: dict[str, dict[str, Any]] = {}
    due_soon = result.due_soon
    if listed is not None:
        ids = set(listed["PERSON_ID"].astype(str))
        exceptions = [e for e in exceptions if e["person_id"] in ids]
        due_soon = due_soon[due_soon["PERSON_ID"].astype(str).isin(ids)]

    def child(row: dict[str, Any], person_id: str) -> dict[str, Any]:
        return children.setdefault(
            person_id,
            {
                "person_id": person_id,
                "anchor": anchor(person_id),
                "team": row["team"],
                "worker": row["worker"],
                "exceptions": [],
                "due_soon": [],
            },
        )

    for row in exceptions:
        child(row, row["person_id"])["exceptions"].append(row)
    columns = zip(
        _values(due_soon, "PERSON_ID"),
        _values(due_soon, "team"),
        _values(due_soon, "worker"),
        _values(due_soon, "rule_id"),
        _values(due_soon, "message"),
        _dates(due_soon["due_date"])[0],
        strict=True,
    )
    for person_id, team, worker, rule_id, message, due in columns:
        item = {"rule_id": rule_id, "message": message, "due": due}
        child({"team": team, "worker": worker}, str(person_id))["due_soon"].append(item)
    return [children[k] for k in sorted(children)]


def _rules(result: RunResult) -> list[dict[str, Any]]:
    return [
        {
            "id": o.rule.id,
            "title": o.rule.title,
            "severity": o.rule.severity.value,
            "status": o.status,
            "status_text": {"ran": "ran", "not_run": "not run", "errored": "errored"}[o.status],
            "reason": o.reason,
            "in_scope": o.in_scope,
            "compliant": o.compliant,
            "exceptions": o.exceptions,
            "due_soon": o.due_soon,
            "compliance": _pct(o.compliance),
            "why": o.rule.why,
            "how_to_fix": o.rule.how_to_fix,
            "source": o.rule.source,
        }
        for o in result.outcomes
    ]


def render_html(result: RunResult) -> str:
    """The whole report as one HTML document: no external files, fonts, scripts or requests."""
    head = summary.overall(result)
    teams = summary.by_team(result)
    titles = {o.rule.id: o.rule.title for o in result.outcomes}
    findings = result.findings
    listed = most_urgent(findings, LIST_LIMIT)
    truncated = len(listed) < len(findings)
    # A child's section holds all its exceptions: with a long list, those of the children
    # listed in the table only (the rest would be the full list again, by child).
    shown = findings[findings["PERSON_ID"].isin(listed["PERSON_ID"])] if truncated else findings
    everyone = _exceptions(shown, titles)
    children = _children(everyone, result, listed if truncated else None)
    sections = {c["person_id"] for c in children}
    if truncated:  # the listed rows, in the same order: `listed` is a part of `shown`
        exceptions = [
            e for e, kept in zip(everyone, shown.index.isin(listed.index), strict=True) if kept
        ]
    else:
        exceptions = everyone
    team_chart = _bars(
        [
            (str(team), row["compliance"], _count(int(row["children"])), False)
            for team, row in teams.to_dict("index").items()
        ]
    )
    rule_chart = _bars(
        [
            (
                o.rule.id,
                o.compliance if o.status == "ran" else None,
                _count(o.in_scope)
                if o.status == "ran"
                else ("not run: " if o.status == "not_run" else "ERRORED: ") + o.reason,
                o.status != "ran",
            )
            for o in result.outcomes
        ]
    )
    export = result.export
    return _template().render(
        version=__version__,
        as_of=result.as_of.strftime("%d/%m/%Y"),
        folder=str(export.folder),
        council=export.config.council or "",
        team=result.team or "",
        problems=len(export.problems),
        set_aside=sum(c.set_aside for c in export.counts.values()),
        head=head,
        compliance=_pct(head["compliance"]),
        severity=summary.by_severity(result),
        severities=summary.SEVERITIES,
        teams=[
            {"team": str(team), **row, "compliance": _pct(row["compliance"])}
            for team, row in teams.to_dict("index").items()
        ],
        team_chart=team_chart,
        rule_chart=rule_chart,
        rules=_rules(result),
        skipped=[o for o in result.outcomes if o.status != "ran"],
        exceptions=exceptions,
        exceptions_total=len(findings),
        exceptions_note=_left_out(len(listed), len(findings), "exceptions"),
        team_options=sorted({e["team"] for e in exceptions}),
        rule_options=sorted({e["rule_id"] for e in exceptions}),
        children=children,
        weekly=_weekly(result, sections),
    )
