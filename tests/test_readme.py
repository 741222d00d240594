"""The README's commands and layout tree match the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _layout() -> list[str]:
    block = README.split("## Layout", 1)[1].split("```", 2)[1]
    paths, stack = [], []
    for line in block.splitlines():
        if not line.strip():
            continue
        indent = (len(line) - len(line.lstrip())) // 2
        name = line.split()[0]
        stack = [*stack[:indent], name]
        paths.append("".join(stack))
    return paths


def test_layout_paths_exist() -> None:
    for path in _layout():
        assert (ROOT / path).exists(), f"README layout lists {path}, which does not exist"


def test_every_module_is_in_the_layout() -> None:
    listed = set(_layout())
    for module in sorted((ROOT / "casecheck").rglob("*.py")):
        rel = module.relative_to(ROOT).as_posix()
        if module.name in ("__init__.py", "__main__.py"):
            continue
        assert rel in listed, f"{rel} is missing from the README layout"


def test_setup_commands() -> None:
    commands = re.findall(r"```sh\n(python3 -m venv .*)\n```", README)
    assert len(commands) == 2, commands
    run, test = commands
    assert "casecheck check sample_exports/" in run
    assert test in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_shipped_rule_is_named() -> None:
    for rule in sorted((ROOT / "rules").glob("*.yaml")):
        assert f"`{rule.stem}`" in README, f"README does not name the rule {rule.stem}"
