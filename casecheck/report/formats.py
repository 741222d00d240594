"""The output formats of `casecheck check`: a literal registry, read top to bottom."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from casecheck.engine.run import RunResult

# What a format renders: text, bytes, or UTF-8 chunks to write one after another (a document
# too large to hold whole).
Rendered = str | bytes | Iterator[bytes]


@dataclass(frozen=True)
class Reporter:
    """One output format: its file extension and the function that renders a result."""

    extension: str
    render: Callable[[RunResult], Rendered]
    binary: bool = False


def _text(result: RunResult) -> str:
    from casecheck.report.terminal import summary_text

    return summary_text(result)


def _json(result: RunResult) -> str | bytes:
    from casecheck.report.results import results_json

    return results_json(result)


def _csv(result: RunResult) -> bytes:
    from casecheck.report.results import results_csv

    return results_csv(result)


def _actions(result: RunResult) -> bytes:
    from casecheck.report.results import actions_csv

    return actions_csv(result)


def _xlsx(result: RunResult) -> bytes:
    from casecheck.report.xlsx import render_xlsx

    return render_xlsx(result)


def _html(result: RunResult) -> str:
    from casecheck.report.html import render_html

    return render_html(result)


def _junit(result: RunResult) -> Iterator[bytes]:
    from casecheck.report.junit import junit_chunks

    return junit_chunks(result)


REPORTERS: dict[str, Reporter] = {
    "text": Reporter("txt", _text),
    "json": Reporter("json", _json),
    "csv": Reporter("csv", _csv),
    "xlsx": Reporter("xlsx", _xlsx, binary=True),
    "html": Reporter("html", _html),
    "junit": Reporter("xml", _junit),
    "actions": Reporter("actions.csv", _actions),
}
