"""Views of a compliance trend (weekly.trend figures): text, CSV, JSON, HTML with line charts,
and an Excel workbook with a chart; the figures for an annual QA report."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from casecheck import __version__
from casecheck.report.cells import is_formula, one_line
from casecheck.weekly.trend import TREND_COLUMNS, wide

LEVEL_TITLES = {"overall": "All rules", "rule": "By rule", "team": "By team"}
PALETTE = (
    "#1b6ca8",
    "#d1495b",
    "#2e933c",
    "#edae49",
    "#6a4c93",
    "#00798c",
    "#8d6a9f",
    "#c05746",
    "#3d5a80",
    "#7a9e7e",
)


def _pct(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.0%}"


def _name(key: Any) -> str:
    """The name from a (level, name) row key of the wide table."""
    return str(key[1])


def _dates(frame: pd.DataFrame) -> list[dt.date]:
    return [pd.Timestamp(d).date() for d in sorted(frame["as_of"].unique())]


def trend_text(frame: pd.DataFrame, title: str) -> str:
    """Compliance per level and name, a column per date, as plain text."""
    table = wide(frame)
    dates = [pd.Timestamp(d) for d in table.columns]
    heads = [f"{d:%m/%Y}" if d.is_month_end else f"{d:%d/%m/%y}" for d in dates]
    width = max([len(str(name)) for _, name in table.index] + [9])
    lines = [title, ""]
    for level, heading in LEVEL_TITLES.items():
        rows = table[table.index.get_level_values(0) == level]
        if not len(rows):
            continue
        lines.append(f"{heading:<{width}}  " + "  ".join(f"{h:>8}" for h in heads))
        for key, values in rows.iterrows():
            name = _name(key)
            cells = "  ".join(f"{_pct(v):>8}" for v in values)
            lines.append(f"{name!s:<{width}}  {cells}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def trend_csv(frame: pd.DataFrame) -> str:
    """One row per date, level and name (the long form, for a spreadsheet or BI tool)."""
    out = frame.assign(as_of=pd.to_datetime(frame["as_of"]).dt.strftime("%Y-%m-%d"))
    # Team names come from the export: a formula-like one is written as text.
    from casecheck.report.cells import defuse

    out["name"] = defuse(out["name"])
    buffer = io.StringIO()
    out[TREND_COLUMNS].to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def trend_document(frame: pd.DataFrame, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "casecheck_version": __version__,
        **meta,
        "dates": [d.isoformat() for d in _dates(frame)],
        "figures": [
            {
                **{k: (None if pd.isna(v) else v) for k, v in row.items() if k != "as_of"},
                "as_of": pd.Timestamp(row["as_of"]).date().isoformat(),
            }
            for row in frame.to_dict("records")
        ],
    }


def trend_json(frame: pd.DataFrame, meta: dict[str, Any]) -> str:
    return json.dumps(trend_document(frame, meta), indent=2, ensure_ascii=False) + "\n"


def _chart(frame: pd.DataFrame, level: str, title: str) -> str:
    """An SVG line chart of compliance (0-100%) over the dates, a line per name."""
    rows = frame[frame["level"] == level]
    dates = _dates(frame)
    if not len(rows) or not dates:
        return ""
    width, height, left, top, right, bottom = 860, 300, 48, 24, 250, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(dates) - 1, 1)
    parts = [
        f'<svg role="img" aria-label="{html.escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-size="11" font-family="sans-serif">'
    ]
    monthly = all(pd.Timestamp(d).is_month_end for d in dates)
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{pct}%</text>'
        )
    for i, day in enumerate(dates):
        x = left + i * step
        label = f"{day:%m/%y}" if monthly else f"{day:%d/%m}"
        parts.append(
            f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle">{label}</text>'
        )
    position = {d: i for i, d in enumerate(dates)}
    for n, (name, group) in enumerate(rows.groupby("name", sort=True)):
        colour = PALETTE[n % len(PALETTE)]
        points = [
            (left + position[pd.Timestamp(a).date()] * step, top + plot_h * (1 - float(c)))
            for a, c in zip(group["as_of"], group["compliance"], strict=True)
            if c is not None and not pd.isna(c)
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2">'
                f"<title>{html.escape(str(name))}</title></polyline>"
            )
        y = top + 14 * n
        label = html.escape(str(name)[:34])
        parts.append(
            f'<rect x="{left + plot_w + 12}" y="{y - 8}" width="10" height="10" '
            f'fill="{colour}"/><text x="{left + plot_w + 26}" y="{y + 1}">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def trend_html(frame: pd.DataFrame, title: str) -> str:
    """One self-contained page: a chart and a table per level. No scripts, no network."""
    table = wide(frame)
    dates = _dates(frame)
    sections = []
    for level, heading in LEVEL_TITLES.items():
        rows = table[table.index.get_level_values(0) == level]
        if not len(rows):
            continue
        head = "".join(f"<th>{d:%d/%m/%Y}</th>" for d in dates)
        body = "".join(
            f"<tr><th>{html.escape(_name(key))}</th>"
            + "".join(f"<td>{_pct(v)}</td>" for v in values)
            + "</tr>"
            for key, values in rows.iterrows()
        )
        sections.append(
            f"<section><h2>{heading}</h2>{_chart(frame, level, heading)}"
            f'<div class="wide"><table><thead><tr><th scope="col">{heading}</th>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table></div></section>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        "table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;"
        "padding:.25rem .5rem;text-align:right}th{text-align:left;background:#f4f4f4;"
        "white-space:nowrap}.wide{overflow-x:auto}"
        "svg text{font-size:11px;fill:#333}.grid{stroke:#ddd}"
        "@media print{body{margin:0}section{break-inside:avoid}}"
        f"</style></head><body><h1>{html.escape(title)}</h1>"
        "<p>Compliance: the share of children in scope with no exception, as of each date.</p>"
        + "".join(sections)
        + f"<footer><p>casecheck {__version__}</p></footer></body></html>\n"
    )


def trend_xlsx(frame: pd.DataFrame, title: str) -> bytes:
    """A workbook: a sheet per level (a row per name, a column per date) with a line chart,
    and the long figures."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.chart import LineChart, Reference  # type: ignore[import-untyped]

    from casecheck.report.xlsx import workbook_bytes

    table = wide(frame)
    dates = _dates(frame)
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    stamp = dt.datetime.combine(dates[-1] if dates else dt.date(2000, 1, 1), dt.time())
    wb.properties.creator = "casecheck"
    wb.properties.title = title
    wb.properties.created = stamp
    wb.properties.modified = stamp
    for level, heading in LEVEL_TITLES.items():
        rows = table[table.index.get_level_values(0) == level]
        if not len(rows):
            continue
        ws = wb.create_sheet(heading)
        ws.append([heading, *dates])
        for key, values in rows.iterrows():
            cells = [None if pd.isna(v) else float(v) for v in values]
            ws.append([_safe(ws, _name(key)), *cells])
        for row in ws.iter_rows(min_row=2, min_col=2):
            for cell in row:
                cell.number_format = "0%"
        for cell in ws[1][1:]:
            cell.number_format = "dd/mm/yyyy"
        ws.column_dimensions["A"].width = 40
        ws.freeze_panes = "B2"
        chart = LineChart()
        chart.title = f"Compliance, {heading.lower()}"
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        data = Reference(ws, min_col=1, max_col=len(dates) + 1, min_row=2, max_row=len(rows) + 1)
        chart.add_data(data, from_rows=True, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=2, max_col=len(dates) + 1, min_row=1))
        chart.width, chart.height = 24, 12
        ws.add_chart(chart, f"A{len(rows) + 4}")
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws = wb.create_sheet("Figures")
    ws.append(TREND_COLUMNS)
    for row in frame[TREND_COLUMNS].itertuples(index=False):
        ws.append([pd.Timestamp(row[0]).date(), row[1], _safe(ws, str(row[2])), *row[3:]])
    return workbook_bytes(wb)


def _safe(ws: Any, text: str) -> Any:
    """A label from the export as an Excel cell: one line of XML-safe text, never a formula."""
    from openpyxl.cell import Cell  # type: ignore[import-untyped]

    clean = one_line(text)
    cell = Cell(ws, value=clean)
    if is_formula(clean):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


# Each format of `casecheck trend`: its file extension and its renderer.
TREND_REPORTERS: dict[str, tuple[str, Callable[[pd.DataFrame, dict[str, Any]], str | bytes]]] = {
    "text": ("txt", lambda frame, meta: trend_text(frame, str(meta["title"]))),
    "csv": ("csv", lambda frame, meta: trend_csv(frame)),
    "json": ("json", trend_json),
    "html": ("html", lambda frame, meta: trend_html(frame, str(meta["title"]))),
    "xlsx": ("xlsx", lambda frame, meta: trend_xlsx(frame, str(meta["title"]))),
}
