"""The HTML page stays small at any size: it lists the most urgent and says where the rest is."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from casecheck.engine.rulefiles import DEFAULT_RULES, load_rules
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.config import load_config
from casecheck.export.load import load_export
from casecheck.report import html, summary

SAMPLE = Path(__file__).resolve().parents[1] / "sample_exports"
# A run that fits on one page: the sample without issue 10's rules (804 exceptions).
LATER_RULES = {
    "assessment-delay-reason",
    "care-plan-timely",
    "cin-plan-reviews",
    "cin-visits",
    "cp-initial-conference",
    "cp-review-conferences",
    "cp-visits",
    "documents-consistent-location",
    "initial-health-assessment",
    "management-oversight",
    "pep-timely",
    "review-health-assessments",
}


@pytest.fixture(scope="module")
def result() -> RunResult:
    """A run of 804 exceptions, fewer than the page lists: the sample without LATER_RULES."""
    config = load_config(SAMPLE)
    export = load_export(SAMPLE, config)
    rules = [r for r in load_rules(DEFAULT_RULES, config) if r.id not in LATER_RULES]
    return run_rules(export, rules, dt.date(2026, 10, 30))


def _rows(page: str, table_id: str) -> list[str]:
    body = page.split(f'<table id="{table_id}">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr data-team.*?</tr>", body, flags=re.S)


def _links_resolve(page: str) -> None:
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    links = set(re.findall(r'href="#([^"]+)"', page))
    assert links <= ids, sorted(links - ids)[:5]


def test_fair_share_gives_every_group_the_same_most() -> None:
    assert html.fair_share(pd.Series([1, 5, 10]), 10) == 4  # 1 + 4 + 4 rows
    assert html.fair_share(pd.Series([1, 5, 4]), 10) is None  # everything fits
    assert html.fair_share(pd.Series([7, 7, 7]), 2) == 1  # at least one each


def test_a_small_run_lists_everything(result: RunResult) -> None:
    page = html.render_html(result)
    assert len(_rows(page, "exceptions")) == len(result.findings) == 804
    assert 'id="listed-note"' not in page and 'id="actions-note"' not in page
    assert "more for" not in page


def test_a_long_list_keeps_the_most_urgent_and_says_where_the_rest_is(
    result: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html, "LIST_LIMIT", 100)
    monkeypatch.setattr(html, "ACTION_LIMIT", 200)
    page = html.render_html(result)

    rows = _rows(page, "exceptions")
    urgent = summary.oldest_of(result.findings, 100)
    assert len(rows) == 100
    listed = [re.search(r'<a href="#child-[^"]+">([^<]+)</a>', r).group(1) for r in rows]  # type: ignore[union-attr]
    in_order = result.findings[result.findings.index.isin(urgent.index)]
    assert listed == list(in_order["PERSON_ID"])
    assert (
        '<p class="callout" id="listed-note">The 100 most urgent of 804 exceptions are listed '
        "here; every one is in the CSV and the Excel workbook (--format csv, --format xlsx). "
        "Run with <code>--team NAME</code> for one team's page.</p>"
    ) in page
    assert '<a href="#exceptions-section">Exceptions (804)</a>' in page

    # The action lists: the same number of items for every worker, 200 at most in all.
    per_worker = html.fair_share(summary.actions(result).groupby(["team", "worker"]).size(), 200)
    assert per_worker is not None
    actions = page.split('<section id="actions">', 1)[1].split('<section id="children">', 1)[0]
    assert actions.count("<tr><td") <= 200
    assert (
        f'<p class="callout" id="actions-note">The {per_worker} most urgent items of each '
        "worker are listed here; each team's full list is its sheet of the Excel workbook "
        "and the action list CSV (--format xlsx, --format actions).</p>"
    ) in actions
    assert re.search(r"and \d+ more for [^:<]+: see the team's full list\.", actions)

    # A section for each child in the table, holding all that child's exceptions.
    children = set(re.findall(r'<section class="child" id="child-([^"]+)">', page))
    assert children == set(in_order["PERSON_ID"])
    _links_resolve(page)


def test_a_page_of_a_large_run_stays_small(result: RunResult) -> None:
    """80,000 exceptions (the sample's, for 100 times as many children): a few megabytes."""
    copies = []
    for i in range(100):
        copy = result.findings.copy()
        copy["PERSON_ID"] = copy["PERSON_ID"].astype(str) + f"-{i}"
        copies.append(copy)
    big = dataclasses.replace(result, findings=pd.concat(copies, ignore_index=True))
    page = html.render_html(big)
    assert len(page.encode()) < 6_000_000
    assert len(_rows(page, "exceptions")) == html.LIST_LIMIT
    assert "The 1,000 most urgent of 80,400 exceptions are listed here" in page
    _links_resolve(page)


@pytest.mark.parametrize("n", [1, 10, 100, 803])
def test_the_most_urgent_agree_with_sorting_every_exception(result: RunResult, n: int) -> None:
    """oldest_of sorts on the text keys only the rows that can be among the first n."""
    findings = result.findings
    everything = (
        findings.assign(_low=findings["severity"] != "high")
        .sort_values(
            ["_low", "days_overdue", "rule_id", "PERSON_ID", "check", "message", "fingerprint"],
            ascending=[True, False, True, True, True, True, True],
            kind="stable",
        )
        .drop(columns="_low")
    )
    assert summary.oldest_of(findings, n).equals(everything.head(n))
