"""A rule's logic and parameters in plain words, built from the same YAML the engine runs."""

from __future__ import annotations

from casecheck.engine.checks import CHECK_KINDS
from casecheck.engine.model import Check, Rule
from casecheck.engine.scope import scope_words

__all__ = ["check_words", "explain", "scope_words"]


def check_words(check: Check) -> str:
    """One check in words, with its parameters (each kind words itself)."""
    return CHECK_KINDS[check.kind].words(check)


def explain(rule: Rule) -> list[tuple[str, str]]:
    """(heading, text) pairs describing the rule, in reading order."""
    out = [
        ("Rule", f"{rule.id}: {rule.title}"),
        ("Severity", rule.severity.value),
        ("Area", rule.area.words),
        ("Applies to", scope_words(rule.scope)),
    ]
    for name, check in rule.checks.items():
        out.append((f"Check '{name}'", check_words(check)))
    out.extend(
        [
            ("Why", " ".join(rule.why.split())),
            ("How to fix", " ".join(rule.how_to_fix.split())),
            ("Source", " ".join(rule.source.split())),
        ]
    )
    if not rule.enabled:
        out.append(("Status", "turned off in casecheck.yaml"))
    return out
