"""The results as an Excel workbook: a summary, every exception, and one sheet per team."""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.filters import AutoFilter  # type: ignore[import-untyped]
from openpyxl.worksheet.table import (  # type: ignore[import-untyped]
    Table,
    TableColumn,
    TableStyleInfo,
)
from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped]

from casecheck.engine.run import RunResult
from casecheck.report import summary, xlsx_rows
from casecheck.report.cells import is_formula, one_line
from casecheck.report.xlsx_rows import excel_text, utf16_cut

DATE_FORMAT = "dd/mm/yyyy"
PERCENT_FORMAT = "0%"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the first date a zip file can hold
# zlib's fastest level: a 5,000-child workbook compresses in 0.05 s instead of 0.17 s (the
# default, 6) and is 28% larger (1.67 MB instead of 1.30 MB); the members are the same.
ZIP_LEVEL = 1
MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included
EXCEPTION_COLUMNS = {  # header -> column of the exception frame
    "PERSON_ID": "PERSON_ID",
    "Team": "team",
    "Worker": "worker",
    "Rule id": "rule_id",
    "Rule title": "title",
    "Check": "check",
    "Severity": "severity",
    "Message": "message",
    "Due date": "due_date",
    "Days overdue": "days_overdue",
    "Looked for": "looked_for",
    "Nearest found": "nearest",
    "Since previous run": "change",
    "First seen": "first_seen",
    "Waiver": "waiver",
    "Fingerprint": "fingerprint",
}
ACTION_COLUMNS = {  # header -> column of summary.actions: a team sheet, worker by worker
    "Worker": "worker",
    "PERSON_ID": "PERSON_ID",
    "Rule id": "rule_id",
    "Severity": "severity",
    "Action": "action",
    "Days overdue": "days_overdue",
    "Due date": "due_date",
    "Message": "message",
    "Since previous run": "since_previous",
}
GONE_COLUMNS = {  # header -> column of RunResult.gone
    "Outcome": "outcome",
    "Why": "why",
    "PERSON_ID": "PERSON_ID",
    "Team": "team",
    "Worker": "worker",
    "Rule id": "rule_id",
    "Check": "check",
    "Message": "message",
    "First seen": "first_seen",
    "Fingerprint": "fingerprint",
}
WAIVED_COLUMNS = {  # header -> column of RunResult.waived
    "PERSON_ID": "PERSON_ID",
    "Team": "team",
    "Worker": "worker",
    "Rule id": "rule_id",
    "Severity": "severity",
    "Message": "message",
    "Reason": "reason",
    "Approved by": "approved_by",
    "Approved on": "approved_on",
    "Expires": "expires",
    "Fingerprint": "fingerprint",
}
TEAM_HEADERS = {  # header -> column of summary.by_team
    "Team": "team",
    "Children in scope": "children",
    "Children with exceptions": "with_exceptions",
    "High": "high",
    "Medium": "medium",
    "Low": "low",
    "Exceptions": "exceptions",
    "Compliance": "compliance",
}
RULE_HEADERS = (
    "Rule id",
    "Title",
    "Severity",
    "Status",
    "Reason",
    "Children in scope",
    "Compliant",
    "Exceptions",
    "Due soon",
    "Compliance",
)
COMPLIANCE_NOTE = "Compliance: the share of children in scope with no exception."
# History is reserved by Excel; the others are casecheck's own sheets.
FIXED_SHEETS = ("Summary", "All exceptions", "Fixed or dropped out", "Waived", "Trend", "History")
_BAD_IN_TITLE = re.compile(r"[\[\]:*?/\\]")  # after one_line, which removes the rest
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
_TITLE_FONT = Font(bold=True, size=14)


@dataclass(frozen=True)
class _LongSheet:
    """A sheet openpyxl writes with its header and settings only; its rows, written by
    xlsx_rows, go in when the package is rewritten (workbook_bytes)."""

    sheet: Any  # the openpyxl write-only worksheet
    cells: xlsx_rows.Cells
    take: np.ndarray  # the positions of its rows in `cells`


def sheet_names(teams: Iterable[str], taken: Sequence[str] = FIXED_SHEETS) -> dict[str, str]:
    """A safe, unique sheet name for each team: at most 31 characters, none of []:*?/\\."""
    used = {t.casefold() for t in taken}
    names: dict[str, str] = {}
    for team in teams:
        base = _BAD_IN_TITLE.sub("_", one_line(team)).strip().strip("'").strip() or "Team"
        name, n = utf16_cut(base, 31), 1
        while name.casefold() in used:
            n += 1
            suffix = f" ({n})"
            name = utf16_cut(base, 31 - len(suffix)).rstrip().rstrip("'") + suffix
        used.add(name.casefold())
        names[team] = name
    return names


def exception_frame(result: RunResult) -> pd.DataFrame:
    """The exceptions with their rule titles, in the columns of the exception sheets."""
    titles = {o.rule.id: o.rule.title for o in result.outcomes}
    frame = result.findings.assign(title=result.findings["rule_id"].map(titles).fillna(""))
    for column in ("change", "waiver"):
        if column not in frame:
            frame[column] = ""
    if "first_seen" not in frame:
        frame["first_seen"] = pd.NaT
    return frame[list(EXCEPTION_COLUMNS.values())]


def _text(ws: Any, value: str, **style: Any) -> Any:
    """A string cell of one line of XML-safe text (cut to the length Excel allows); one that
    Excel would run as a formula is stored as quoted text."""
    clean = excel_text(one_line(value))
    formula = is_formula(clean)
    if not style and not formula:
        return clean
    cell = WriteOnlyCell(ws, value=clean)
    if formula:
        cell.data_type = "s"
        cell.quotePrefix = True
    for key, setting in style.items():
        setattr(cell, key, setting)
    return cell


def _value(ws: Any, value: Any, number_format: str | None = None) -> Any:
    """A cell for any value: text made safe, dates as real dates, blanks for missing values."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return _text(ws, value)
    if number_format is None and isinstance(value, int | float):
        return value
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date):
        number_format = number_format or DATE_FORMAT
    cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


def _header(ws: Any, headers: Sequence[str]) -> list[Any]:
    return [_text(ws, h, font=_HEADER_FONT, fill=_HEADER_FILL) for h in headers]


def _widths(ws: Any, widths: Sequence[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


@dataclass(frozen=True)
class _Widths:
    """A frame's column widths for any of its rows, from each distinct value's length as
    text (measured once, with its cells), so a sheet of some of the rows (a team's) takes the
    longest of those."""

    caps: tuple[int, ...]  # 0 for a date column (always 12 wide)
    headers: tuple[int, ...]
    cells: xlsx_rows.Cells

    def of(self, take: np.ndarray) -> list[int]:
        widths = []
        columns = zip(self.caps, self.headers, self.cells.codes, self.cells.lengths, strict=True)
        for cap, header, codes, lengths in columns:
            if not cap:
                widths.append(12)
                continue
            longest = int(lengths[codes[take]].max(initial=0))
            widths.append(max(8, min(cap, max(longest, header) + 2)))
        return widths


def _cap(values: pd.Series, column: str) -> int:
    """The most characters a column's width allows: 0 for dates (always 12 wide)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return 0
    return 80 if column == "message" else 40


def _widths_of(frame: pd.DataFrame, columns: dict[str, str], cells: xlsx_rows.Cells) -> _Widths:
    caps = tuple(_cap(frame[column], column) for column in columns.values())
    return _Widths(caps, tuple(map(len, columns)), cells)


def _write_sheet(wb: Any, title: str, rows: int, widths: list[int], headers: list[str]) -> Any:
    """A sheet of `rows` rows under `headers`: filters, a frozen header, and set up to print
    landscape, fitted to the page width, the header row repeated on every page. Its header
    only: the rows (at most MAX_ROWS - 1) are filled in by _fixed_zip."""
    ws = wb.create_sheet(title)
    _widths(ws, widths)
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{rows + 1}"
    ws.append(_header(ws, headers))
    return ws


def _styles(ws: Any) -> xlsx_rows.Styles:
    """The workbook's style ids for a date and for text shown as typed (openpyxl adds a style
    to the workbook when a cell asks for its id)."""
    date = WriteOnlyCell(ws, value=dt.date(2000, 1, 1))
    date.number_format = DATE_FORMAT
    quoted = WriteOnlyCell(ws, value="=")
    quoted.quotePrefix = True
    return xlsx_rows.Styles(date=date.style_id, quoted=quoted.style_id)


def _cells(
    frame: pd.DataFrame, columns: dict[str, str], styles: xlsx_rows.Styles
) -> xlsx_rows.Cells:
    letters = tuple(get_column_letter(i) for i in range(1, len(columns) + 1))
    return xlsx_rows.cells(frame[list(columns.values())], letters, styles)


def _write_trend(wb: Any, trend: pd.DataFrame) -> None:
    """Compliance per rule and per team over the runs kept in the history, a run a column."""
    from casecheck.weekly.trend import wide

    table = wide(trend).reset_index()
    dates = [c for c in table.columns if c not in ("level", "name")]
    headers = ["Level", "Name", *(f"{pd.Timestamp(d):%d/%m/%Y}" for d in dates)]
    frame = table.rename(columns={"level": "Level", "name": "Name"})
    frame.columns = pd.Index(headers)
    ws = wb.create_sheet("Trend")
    _widths(ws, [10, 40, *([12] * len(dates))])
    ws.freeze_panes = "C2"
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "1:1"
    ws.append(_header(ws, headers))
    for record in frame.itertuples(index=False, name=None):
        level, name, *values = record
        ws.append(
            [_text(ws, level), _text(ws, str(name))]
            + [_value(ws, v, PERCENT_FORMAT) for v in values]
        )


def _table(ws: Any, name: str, headers: Sequence[str], first: int, rows: int) -> None:
    """Make the block at row `first` an Excel table, which gives it its own filter buttons."""
    ref = f"A{first}:{get_column_letter(len(headers))}{first + max(rows, 1)}"
    table = Table(displayName=name, ref=ref, autoFilter=AutoFilter(ref=ref))
    table.tableColumns = [TableColumn(id=i, name=h) for i, h in enumerate(headers, start=1)]
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    with warnings.catch_warnings():  # it warns in write-only mode even when, as here, the
        warnings.simplefilter("ignore", UserWarning)  # table's columns are given
        ws.add_table(table)


def _write_summary(wb: Any, result: RunResult, truncated: bool) -> None:
    ws = wb.create_sheet("Summary")
    head = summary.overall(result)
    teams = summary.by_team(result).rename_axis("team").reset_index()
    export = result.export
    labels = [30, *(len(str(t)) for t in teams["team"]), *(len(o.rule.id) for o in result.outcomes)]
    titles = [24, *(len(o.rule.title) for o in result.outcomes)]
    _widths(
        ws, [min(max(labels) + 2, 45), min(max(titles) + 2, 60), 12, 10, 40, 12, 12, 12, 12, 12]
    )
    ws.freeze_panes = "A2"
    aside = sum(c.set_aside for c in export.counts.values())
    rules = f"{head['rules_run']} ran, {head['rules_not_run']} not run"
    lines: list[tuple[str, Any, str | None]] = [
        ("As of", result.as_of, DATE_FORMAT),
        ("Export", str(export.folder), None),
        ("Council", export.config.council or "", None),
        ("Team", result.team or "(all teams)", None),
        ("Children in scope", head["children_in_scope"], None),
        ("Children with exceptions", head["children_with_exceptions"], None),
        ("Compliance", head["compliance"], PERCENT_FORMAT),
        ("Exceptions", head["exceptions"], None),
        *((f"  {s} severity", n, None) for s, n in summary.by_severity(result).items()),
        ("Due soon", head["due_soon"], None),
        ("Rules", f"{rules}, {head['rules_errored']} errored", None),
        ("Input", f"{len(export.problems)} problems, {aside} rows set aside", None),
    ]
    moved = summary.changes(result)
    if moved is not None and result.previous_as_of is not None:
        lines.append(("Compared with the run as of", result.previous_as_of, DATE_FORMAT))
        lines += [(f"  {k.replace('_', ' ')}", n, None) for k, n in moved.items()]
    if result.stale_waivers is not None:
        lines.append(("Stale waivers (matching nothing)", len(result.stale_waivers), None))
    rows: list[list[Any]] = [
        [_text(ws, f"casecheck results as of {result.as_of:%d/%m/%Y}", font=_TITLE_FONT)],
        [],
    ]
    for label, value, number_format in lines:
        rows.append([_text(ws, label, font=_HEADER_FONT), _value(ws, value, number_format)])
    rows.append([_text(ws, COMPLIANCE_NOTE)])
    if truncated:
        rows.append([_text(ws, f"Only the first {MAX_ROWS - 1} exceptions fit on a sheet.")])

    rows += [[], [_text(ws, "By team", font=_TITLE_FONT)], _header(ws, list(TEAM_HEADERS))]
    _table(ws, "ByTeam", list(TEAM_HEADERS), len(rows), len(teams))
    for record in teams[list(TEAM_HEADERS.values())].itertuples(index=False, name=None):
        *counts, compliance = record
        rows.append([_value(ws, v) for v in counts] + [_value(ws, compliance, PERCENT_FORMAT)])
    if not len(teams):
        rows.append([_text(ws, "(no children in scope)")])

    rows += [[], [_text(ws, "By rule", font=_TITLE_FONT)], _header(ws, RULE_HEADERS)]
    _table(ws, "ByRule", RULE_HEADERS, len(rows), len(result.outcomes))
    for o in result.outcomes:
        counts = [o.in_scope, o.compliant, o.exceptions, o.due_soon]
        rows.append(
            [
                _text(ws, o.rule.id),
                _text(ws, o.rule.title),
                _text(ws, o.rule.severity.value),
                _text(ws, o.status.replace("_", " ")),
                _text(ws, o.reason),
                *(counts if o.status == "ran" else [None] * 4),
                _value(ws, o.compliance, PERCENT_FORMAT),
            ]
        )
    if not result.outcomes:
        rows.append([_text(ws, "(no rules)")])
    for row in rows:
        ws.append(row)


def _fixed_zip(data: bytes, long_sheets: Sequence[_LongSheet] = ()) -> bytes:
    """Rewrite the package with every member dated ZIP_DATE, so equal results give equal bytes,
    and each long sheet's rows put in after its header, a chunk at a time.

    Not the as-of date: a zip file can only hold dates from 1980 to 2107.
    """
    rows = {s.sheet.path.lstrip("/"): s for s in long_sheets}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            member.compress_type = zipfile.ZIP_DEFLATED
            # ZipInfo.compress_level from Python 3.13, which keeps this name as an alias
            member._compresslevel = ZIP_LEVEL  # type: ignore[attr-defined]
            member.external_attr = 0o644 << 16
            body = source.read(info.filename)
            long = rows.get(info.filename)
            if long is None:
                target.writestr(member, body)
                continue
            head, end, tail = body.partition(b"</sheetData>")
            if not end:
                raise ValueError(f"{info.filename} has no sheetData to fill")
            size = len(body) + long.cells.bytes_at_most(len(long.take))
            with target.open(member, "w", force_zip64=size > zipfile.ZIP64_LIMIT) as sheet:
                sheet.write(head)
                for chunk in xlsx_rows.rows(long.cells, long.take):
                    sheet.write(chunk)
                sheet.write(end + tail)
    return out.getvalue()


def render_xlsx(result: RunResult) -> bytes:
    """The workbook as .xlsx bytes: Summary, All exceptions, then (when there are) Fixed or
    dropped out, Waived and Trend, then one sheet per team: its action list, worker by worker
    (high severity first, then by days overdue, then what falls due soon)."""
    wb = Workbook(write_only=True)
    stamp = dt.datetime.combine(result.as_of, dt.time())
    wb.properties.creator = "casecheck"
    wb.properties.title = f"casecheck results as of {result.as_of:%d/%m/%Y}"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    frame = exception_frame(result)
    _write_summary(wb, result, truncated=len(frame) >= MAX_ROWS)
    styles = _styles(wb.worksheets[0])
    long_sheets = []
    for title, table, columns in (
        ("All exceptions", frame, EXCEPTION_COLUMNS),
        ("Fixed or dropped out", result.gone, GONE_COLUMNS),
        ("Waived", result.waived, WAIVED_COLUMNS),
    ):
        if table is not None:
            rows = table.iloc[: MAX_ROWS - 1]
            every = np.arange(len(rows))
            cells = _cells(rows, columns, styles)
            widths = _widths_of(rows, columns, cells).of(every)
            sheet = _write_sheet(wb, title, len(rows), widths, list(columns))
            long_sheets.append(_LongSheet(sheet, cells, every))
    if result.trend is not None and len(result.trend):
        _write_trend(wb, result.trend)
    actions = summary.actions(result)
    cells = _cells(actions, ACTION_COLUMNS, styles)
    sizes = _widths_of(actions, ACTION_COLUMNS, cells)
    by_team = actions.groupby("team", sort=False).indices
    for team, name in sheet_names(summary.teams(result)).items():
        take = np.asarray(by_team.get(team, []), dtype=np.intp)[: MAX_ROWS - 1]
        sheet = _write_sheet(wb, name, len(take), sizes.of(take), list(ACTION_COLUMNS))
        long_sheets.append(_LongSheet(sheet, cells, take))
    return workbook_bytes(wb, long_sheets)


def workbook_bytes(wb: Any, long_sheets: Sequence[_LongSheet] = ()) -> bytes:
    """A workbook as .xlsx bytes that depend on its content alone, its long sheets filled."""
    buffer = io.BytesIO()
    # ExcelWriter, not wb.save(): save() stamps the file with the current time. Stored, not
    # compressed: _fixed_zip compresses every member once.
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True)).save()
    return _fixed_zip(buffer.getvalue(), long_sheets)
