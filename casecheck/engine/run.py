"""Run rules against a loaded export: each rule ran, not run (and why) or errored (and why)."""

from __future__ import annotations

import datetime as dt
import hashlib
import traceback
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from casecheck.calendar import WorkingCalendar
from casecheck.engine import scope as scopes
from casecheck.engine.checks import CHECK_KINDS
from casecheck.engine.context import Context
from casecheck.engine.kinds.common import DUE_BASE, FINDING_BASE, CheckResult, EvidenceUse
from casecheck.engine.model import Rule, Severity
from casecheck.export.load import Export

FINDING_COLUMNS = [
    "rule_id",
    "check",
    "severity",
    "PERSON_ID",
    "team",
    "worker",
    "message",
    "event_date",
    "due_date",
    "days_overdue",
    "looked_for",
    "nearest",
    "fingerprint",
]
DUE_SOON_COLUMNS = ["rule_id", "check", "PERSON_ID", "team", "worker", "due_date", "message"]


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule did: its status and its counts of children."""

    rule: Rule
    status: str  # "ran", "not_run" or "errored"
    reason: str  # why it did not run, or the error; "" when it ran
    in_scope: int
    compliant: int
    exceptions: int
    due_soon: int

    @property
    def compliance(self) -> float | None:
        return self.compliant / self.in_scope if self.in_scope else None


@dataclass(frozen=True)
class RunResult:
    """Everything a run found; every report is a view of this and recomputes nothing."""

    as_of: dt.date
    export: Export
    outcomes: list[RuleOutcome]
    findings: pd.DataFrame  # FINDING_COLUMNS, one row per exception
    due_soon: pd.DataFrame  # DUE_SOON_COLUMNS
    in_scope: pd.DataFrame  # rule_id, PERSON_ID, team, worker: every child each rule applied to
    evidence: pd.DataFrame  # every dated piece of evidence: PERSON_ID, kind, source, date, ref
    team: str | None = None  # set when the result has been narrowed to one team
    # Set by report.compare.with_previous: findings then carry `change` (new / open /
    # reopened) and `first_seen`; `gone` holds last run's exceptions no longer found, each
    # `fixed` or `dropped_out` (column `outcome`) with `why`.
    gone: pd.DataFrame | None = None
    previous_as_of: dt.date | None = None
    # Set by weekly.waivers.apply_waivers: the exceptions an active waiver covers (taken out of
    # `findings`), and the waivers in force that matched nothing.
    waived: pd.DataFrame | None = None
    stale_waivers: pd.DataFrame | None = None
    # Set from a history folder: compliance per run (weekly.trend.TREND_COLUMNS), this run last.
    trend: pd.DataFrame | None = None

    def failing(self, threshold: Severity | None) -> bool:
        if threshold is None:
            return False
        ranks = self.findings["severity"].map({s.value: s.rank for s in Severity})
        return bool((ranks >= threshold.rank).any())

    @property
    def errored(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.status == "errored"]

    @property
    def not_run(self) -> list[RuleOutcome]:
        return [o for o in self.outcomes if o.status == "not_run"]


def _file(ctx: Context, table: str) -> str:
    """The file a table is (or would be) read from: the council's name for it, if it gave one."""
    return ctx.export.file_of(table)


def _missing(rule: Rule, ctx: Context) -> str:
    """Why `rule` cannot run on this export ('' when it can)."""
    needed: list[str] = sorted(scopes.needs(rule.scope))
    uses: list[EvidenceUse] = []
    for check in rule.checks.values():
        kind = CHECK_KINDS[check.kind]
        needed.extend(kind.tables(check))
        uses.extend(kind.evidence(check))
    for item in needed:
        table, _, column = item.partition(".")
        if not ctx.has(table):
            return f"no {_file(ctx, table)} in this export"
        if column and not ctx.has_column(table, column):
            return f"{_file(ctx, table)} has no {column} column"
    for use in uses:
        tables = ctx.evidence_tables(use.kind, use.in_documents)
        present = [t for t in tables if ctx.has(t)]
        if not present:
            names = " or ".join(_file(ctx, t) for t in tables) or "table"
            return f"no {names} in this export (needed for {use.kind.replace('_', ' ')} evidence)"
        for field in use.require:
            if not any(ctx.has_column(t, field) for t in present):
                return f"no {field} column in {' or '.join(_file(ctx, t) for t in present)}"
    return ""


# The frames every rule shares, derived once by Context: a failure in one of them is named.
SHARED = frozenset(name for name, v in vars(Context).items() if isinstance(v, cached_property))


def _what_broke(exc: Exception, preparing: str = "") -> str:
    """The error's type and where in casecheck it happened, and which shared frame was being
    prepared if one was; not the error's text, which can quote data."""
    package = Path(__file__).resolve().parents[1]
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if package in Path(f.filename).parents
    ]
    shared = [f.name for f in frames if Path(f.filename).name == "context.py" and f.name in SHARED]
    preparing = shared[-1] if shared else preparing
    during = f" while preparing {preparing} (shared by the rules)" if preparing else ""
    where = f" in {Path(frames[-1].filename).name} line {frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{during}{where}: a bug in casecheck, please report it"


FINGERPRINT_FIELDS = ["rule_id", "check", "PERSON_ID", "event_ref"]
FINGERPRINT_PERSON = b"casecheck-fp-v2"  # blake2b personalisation: the fingerprint's version


_BLAKE = hashlib.blake2b(digest_size=8, person=FINGERPRINT_PERSON)  # copied: 3x faster than new


def _blake(key: bytes) -> str:
    digest = _BLAKE.copy()
    digest.update(key)
    return digest.hexdigest()


def fingerprint(rule_id: str, check: str, person_id: str, event_ref: str) -> str:
    """The persisted id of one exception, compared week to week (README, "What an exception
    says"): BLAKE2b with an 8-byte digest and the personalisation `casecheck-fp-v2`, over the
    four fields as netstrings (length in UTF-8 bytes, ":", the field, ","), as 16 hex digits."""
    fields = [f.encode("utf-8") for f in (rule_id, check, person_id, event_ref)]
    return _blake(b"".join(b"%d:%s," % (len(f), f) for f in fields))


def _fingerprints(frame: pd.DataFrame) -> pd.Series:
    """`fingerprint` of every row: the netstrings are built by pyarrow, and each distinct key
    is hashed once."""
    parts: list[pa.Array | str] = []
    for column in FINGERPRINT_FIELDS:
        text = pa.array(frame[column].astype(str), type=pa.string())
        parts += [pc.cast(pc.binary_length(text), pa.string()), ":", text, ","]
    joined = pc.binary_join_element_wise(*parts, "")
    if isinstance(joined, pa.ChunkedArray):  # what pyarrow makes of Arrow-backed columns
        joined = joined.combine_chunks()
    keys = joined.dictionary_encode()
    hashed = [_blake(key.encode("utf-8")) for key in keys.dictionary.to_pylist()]
    out = np.array(hashed, dtype=object)[keys.indices.to_numpy()]
    return pd.Series(out, index=frame.index, dtype=object)


def _kinds_used(rules: list[Rule]) -> frozenset[str]:
    """The evidence kinds the rules that will run look for: the rest is never read."""
    return frozenset(
        use.kind
        for rule in rules
        if rule.enabled
        for check in rule.checks.values()
        for use in CHECK_KINDS[check.kind].evidence(check)
    )


def _evaluate(rule: Rule, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, pd.CategoricalIndex]:
    scope = scopes.evaluate(rule.scope, ctx)
    findings, due, in_scope = [], [], []
    for name, check in rule.checks.items():
        result: CheckResult = CHECK_KINDS[check.kind].evaluate(check, ctx, scope)
        findings.append(result.findings.assign(check=name))
        due.append(result.due_soon.assign(check=name))
        in_scope.append(ctx.child_codes(pd.Series(result.in_scope)))
    codes = np.unique(np.concatenate(in_scope)) if in_scope else np.zeros(0, dtype=np.int64)
    ids = pd.CategoricalIndex(pd.Categorical.from_codes(codes, dtype=ctx.id_dtype))
    return pd.concat(findings, ignore_index=True), pd.concat(due, ignore_index=True), ids


def run_rules(
    export: Export,
    rules: list[Rule],
    as_of: dt.date,
    calendar: WorkingCalendar | None = None,
    due_soon_days: int = 14,
    all_evidence: bool = False,
) -> RunResult:
    """Evaluate every rule; one rule failing never stops the others.

    The result's `evidence` holds the kinds the rules look for, or with `all_evidence` every
    kind on file (what `casecheck case` lists).
    """
    calendar = calendar or WorkingCalendar(closure_days=export.config.closure_days)
    ctx = Context(
        export=export,
        as_of=as_of,
        calendar=calendar,
        due_soon_days=due_soon_days,
        evidence_kinds=None if all_evidence else _kinds_used(rules),
    )
    outcomes: list[RuleOutcome] = []
    all_findings: list[pd.DataFrame] = []
    all_due: list[pd.DataFrame] = []
    all_scope: list[pd.DataFrame] = []
    for rule in rules:
        if not rule.enabled:
            outcomes.append(
                RuleOutcome(rule, "not_run", "turned off in casecheck.yaml", 0, 0, 0, 0)
            )
            continue
        try:
            reason = _missing(rule, ctx)
            if reason:
                outcomes.append(RuleOutcome(rule, "not_run", reason, 0, 0, 0, 0))
                continue
            findings, due, ids = _evaluate(rule, ctx)
        except Exception as exc:
            outcomes.append(RuleOutcome(rule, "errored", _what_broke(exc), 0, 0, 0, 0))
            continue
        findings = findings.assign(rule_id=rule.id, severity=rule.severity.value)
        due = due.assign(rule_id=rule.id)
        outcomes.append(
            RuleOutcome(
                rule,
                "ran",
                "",
                in_scope=len(ids),
                compliant=len(np.setdiff1d(ids.codes, ctx.child_codes(findings["PERSON_ID"]))),
                exceptions=len(findings),
                due_soon=len(due),
            )
        )
        all_findings.append(findings)
        all_due.append(due)
        all_scope.append(pd.DataFrame({"rule_id": rule.id, "PERSON_ID": ids}))
    try:
        holder = ctx.holder
    except Exception as exc:  # every finding is named by its holder: no rule's result stands
        reason = _what_broke(exc, "holder")
        outcomes = [
            o if o.status != "ran" else RuleOutcome(o.rule, "errored", reason, 0, 0, 0, 0)
            for o in outcomes
        ]
        all_findings, all_due, all_scope = [], [], []
        holder = pd.DataFrame(
            {"team": [], "worker": []}, index=pd.Index([], dtype=str, name="PERSON_ID"), dtype=str
        )
    findings = _finish(all_findings, [*FINDING_BASE, "check", "rule_id", "severity"], holder, ctx)
    findings["fingerprint"] = _fingerprints(findings) if len(findings) else pd.Series(dtype=object)
    severity_rank = findings["severity"].map({"high": 0, "medium": 1, "low": 2})
    findings = (
        findings.assign(_s=severity_rank)
        .sort_values(
            ["_s", "rule_id", "check", "PERSON_ID", "due_date", "fingerprint"], kind="stable"
        )
        .drop(columns="_s")
        .reset_index(drop=True)[FINDING_COLUMNS]
        .astype(
            {"event_date": "datetime64[ns]", "due_date": "datetime64[ns]", "days_overdue": "int64"}
        )
    )
    due = _finish(all_due, [*DUE_BASE, "check", "rule_id"], holder, ctx)
    # The event and message settle ties (a child's two contacts due the same day), so that the
    # order never depends on the order of the rows in the export.
    due = (
        due.assign(_ref=due["event_ref"].astype(str))
        .sort_values(
            ["due_date", "rule_id", "check", "PERSON_ID", "_ref", "message"], kind="stable"
        )
        .reset_index(drop=True)[DUE_SOON_COLUMNS]
        .astype({"due_date": "datetime64[ns]"})
    )
    in_scope = _finish(all_scope, ["rule_id", "PERSON_ID"], holder, ctx)
    in_scope = in_scope.sort_values(["rule_id", "PERSON_ID"], kind="stable").reset_index(drop=True)
    return RunResult(
        as_of=as_of,
        export=export,
        outcomes=outcomes,
        findings=findings,
        due_soon=due,
        in_scope=in_scope,
        evidence=_evidence(ctx),
    )


def _evidence(ctx: Context) -> pd.DataFrame:
    """The evidence on file, for the case view; empty if it could not be prepared (every rule
    that needed it has then errored, saying so)."""
    columns = ["PERSON_ID", "kind", "source", "date", "ref"]
    try:
        return ctx.evidence[columns]
    except Exception:
        return pd.DataFrame(
            {c: pd.Series(dtype="datetime64[ns]" if c == "date" else object) for c in columns}
        )


def _finish(
    parts: list[pd.DataFrame], columns: list[str], holder: pd.DataFrame, ctx: Context
) -> pd.DataFrame:
    """The rules' rows in one frame: PERSON_ID back to text, with the team and worker holding
    each child's case (looked up by the child's code)."""
    # Each part's children as codes (a rule with no rows may hold them as empty text); the
    # parts are joined without them (no text made of codes, nor codes of text, to join).
    codes = np.concatenate(
        [np.zeros(0, dtype=np.int64), *(ctx.child_codes(p["PERSON_ID"]) for p in parts)]
    )
    if parts:
        order = list(parts[0].columns)
        frame = pd.concat([p.drop(columns="PERSON_ID") for p in parts], ignore_index=True)
    else:
        order = columns
        frame = pd.DataFrame({c: [] for c in columns if c != "PERSON_ID"})
    frame.insert(order.index("PERSON_ID"), "PERSON_ID", ctx.id_text(codes, frame.index))
    categories = ctx.id_dtype.categories
    slot = np.where(codes < 0, len(categories), codes)  # code -1: a child not among them
    for column, none in (("team", "(not allocated)"), ("worker", "")):
        # One slot per child, and a last one for a child not among them: taken as text.
        by_child = holder[column].reindex(categories).to_numpy(dtype=object, na_value=none)
        text = pd.array(np.append(by_child, none), dtype=str)
        frame[column] = pd.Series(text.take(slot), index=frame.index)
    return frame
