"""Waivers: exceptions a manager has accepted, each with a reason, an approver and an expiry.

A waiver in force takes its exceptions out of the run's exceptions (they no longer fail it) and
lists them apart; a lapsed waiver leaves its exceptions in, saying so; a waiver that matches no
exception is reported as stale. A waiver never hides anything silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from casecheck.engine.run import RunResult
from casecheck.errors import ConfigError
from casecheck.yamlfile import read_yaml, validate

WAIVERS_FILE = "waivers.yaml"
DEFAULT_MAX_MONTHS = 6
WAIVER_COLUMNS = ["reason", "approved_by", "approved_on", "expires"]
STALE_COLUMNS = ["line", "rule", "child", "event", "fingerprint", "expires", "status"]


class Waiver(BaseModel):
    """One accepted exception: by fingerprint, or by rule and child (and optionally event)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str | None = None
    child: str | None = None
    event: dt.date | None = None  # the exception's event date, to waive one event only
    fingerprint: str | None = None
    reason: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    approved_on: dt.date
    expires: dt.date

    @model_validator(mode="after")
    def _target(self) -> Waiver:
        if self.fingerprint is None and (self.rule is None or self.child is None):
            raise ValueError("a waiver names a fingerprint, or a rule and a child")
        if self.expires < self.approved_on:
            raise ValueError("expires is before approved_on")
        return self


class WaiverFile(BaseModel):
    """A waivers.yaml file."""

    model_config = ConfigDict(extra="forbid")

    waivers: list[Waiver] = Field(default_factory=list)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus calendar months, the last day of a shorter month when the day is missing."""
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def read_waivers(path: Path, max_months: int = DEFAULT_MAX_MONTHS) -> list[Waiver]:
    """Read a waivers file; every mistake names the line (exit 2)."""
    doc = read_yaml(path, ConfigError)
    if doc.data is None:
        return []
    parsed: WaiverFile = validate(doc, WaiverFile, ConfigError)
    for i, waiver in enumerate(parsed.waivers):
        limit = add_months(waiver.approved_on, max_months)
        if waiver.expires > limit:
            raise ConfigError(
                f"{path}, line {doc.line_of(['waivers', i, 'expires'])}",
                f"at waivers > item {i + 1} > expires: {waiver.expires.isoformat()} is more than "
                f"{max_months} months after approved_on ({waiver.approved_on.isoformat()})",
                f"Set expires on or before {limit.isoformat()} and review the waiver then "
                "(the limit is waiver_max_months in casecheck.yaml).",
            )
    return parsed.waivers


def _frame(waivers: list[Waiver]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [w.model_dump() for w in waivers], columns=[*Waiver.model_fields], dtype=object
    )
    frame["line"] = range(len(frame))
    for column in ("event", "approved_on", "expires"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _matches(findings: pd.DataFrame, waivers: pd.DataFrame) -> pd.DataFrame:
    """(finding row, waiver line) pairs: by fingerprint, or by rule and child and event."""
    rows = findings[["rule_id", "PERSON_ID", "event_date", "fingerprint"]].assign(
        _row=range(len(findings))
    )
    by_print = rows.merge(
        waivers[waivers["fingerprint"].notna()][["fingerprint", "line"]], on="fingerprint"
    )
    by_child = rows.merge(
        waivers[waivers["fingerprint"].isna()][["rule", "child", "event", "line"]],
        left_on=["rule_id", "PERSON_ID"],
        right_on=["rule", "child"],
    )
    same_event = by_child["event"].isna() | (
        by_child["event_date"].dt.normalize() == by_child["event"]
    )
    pairs: pd.DataFrame = pd.concat(
        [by_print[["_row", "line"]], by_child.loc[same_event, ["_row", "line"]]],
        ignore_index=True,
    )
    return pairs


def apply_waivers(result: RunResult, waivers: list[Waiver]) -> RunResult:
    """The result with waived exceptions listed apart, lapsed waivers noted, stale ones listed."""
    from casecheck.report.summary import recount

    table = _frame(waivers)
    today = pd.Timestamp(result.as_of)
    # In force until it expires: a waiver approved after the as-of date (today, for last
    # week's export) still covers the export it was written about.
    in_force = table["expires"] >= today
    pairs = _matches(result.findings, table).merge(
        table.assign(_in_force=in_force)[["line", "_in_force", *WAIVER_COLUMNS]], on="line"
    )
    # A finding's waiver: one in force if any (the latest expiry), else the last to lapse.
    pairs = pairs.sort_values(["_row", "_in_force", "expires", "line"], kind="stable")
    chosen = pairs.drop_duplicates("_row", keep="last").set_index("_row")
    findings = result.findings.reset_index(drop=True)
    waived_rows = chosen.index[chosen["_in_force"].to_numpy(dtype=bool)]
    lapsed = chosen[~chosen["_in_force"].to_numpy(dtype=bool)]
    note = pd.Series("", index=findings.index, dtype=object)
    note.loc[lapsed.index] = (
        "waiver approved by "
        + lapsed["approved_by"].astype(str)
        + " lapsed on "
        + lapsed["expires"].dt.strftime("%d/%m/%Y")
    )
    findings = findings.assign(waiver=note)
    keep = ~findings.index.isin(waived_rows)
    waived = findings[~keep].join(chosen[WAIVER_COLUMNS]).drop(columns="waiver")
    # Each unused waiver's status from its own row (a Series assigned to a frame with no
    # rows would give it the Series' rows: every waiver used made rows of blanks).
    unused = ~table["line"].isin(pairs["line"])
    stale = table[unused].assign(
        status=in_force[unused].map({True: "in force", False: "expired"}).to_numpy()
    )
    stale = stale.assign(line=stale["line"] + 1)[STALE_COLUMNS].reset_index(drop=True)
    kept = findings[keep].reset_index(drop=True)
    return replace(
        result,
        findings=kept,
        outcomes=recount(result.outcomes, kept, result.due_soon, result.in_scope),
        waived=waived.reset_index(drop=True),
        stale_waivers=stale,
    )


def waivers_path(export_dir: Path, given: Path | None, configured: Path | None) -> Path | None:
    """--waivers, else the config's `waivers:`, else EXPORT_DIR/waivers.yaml when it exists."""
    if given is not None:
        return given
    if configured is not None:
        return configured
    default = export_dir / WAIVERS_FILE
    return default if default.exists() else None


def add_waiver(path: Path, waiver: Waiver, max_months: int = DEFAULT_MAX_MONTHS) -> None:
    """Append `waiver` to the waivers file (created if absent), keeping what is there."""
    existing = read_waivers(path, max_months) if path.exists() else []
    limit = add_months(waiver.approved_on, max_months)
    if waiver.expires > limit:
        raise ConfigError(
            "--until",
            f"{waiver.expires.isoformat()} is more than {max_months} months after today "
            f"({waiver.approved_on.isoformat()})",
            f"Give a date on or before {limit.isoformat()}, and review the waiver then.",
        )
    entry = {k: v for k, v in waiver.model_dump().items() if v is not None}
    item = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, default_flow_style=False)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not existing and "waivers:" not in text:
        text = text + ("" if not text or text.endswith("\n") else "\n") + "waivers:\n"
    body = "".join(f"  {line}\n" for line in item.splitlines())
    before = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(text + ("" if text.endswith("\n") else "\n") + body, encoding="utf-8")
    try:
        read_waivers(path, max_months)  # what was written reads back
    except ConfigError:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise ConfigError(
            str(path),
            "cannot take a new waiver as it is laid out",
            'List the waivers in block style under "waivers:" (one "- rule: ..." item each), '
            "then run the command again.",
        ) from None
