"""The command line answers at once: `--help` and reading rules import no frame library."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "pyarrow", "openpyxl", "jinja2", "rich", "holidays")


def _imported_after(code: str) -> list[str]:
    """The heavy libraries in sys.modules after running `code` in a fresh interpreter."""
    probe = f"{code}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return [m for m in out.strip().split(",") if m]


def test_importing_the_cli_imports_no_frame_library() -> None:
    assert _imported_after("import casecheck.cli") == []


def test_help_imports_no_frame_library() -> None:
    code = (
        "import contextlib, io\n"
        "from casecheck.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "    main(['check', '--help'])"
    )
    assert _imported_after(code) == []


def _run_cli(*args: str) -> str:
    """Code that runs `casecheck ARGS` in-process, its output swallowed."""
    return (
        "import contextlib, io\n"
        "from casecheck.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({list(args)!r})"
    )


def test_rules_list_imports_no_frame_library() -> None:
    # Reading, validating and listing the rules needs pydantic and YAML, not pandas: the rule
    # model's modules import the frame libraries through casecheck.lazy.
    assert _imported_after(_run_cli("rules", "list")) == []


def test_the_rules_commands_import_no_report_machinery() -> None:
    # json is for the reports and `validate`; traceback only for --debug after an internal error.
    code = (
        _run_cli("rules", "list")
        + "\n"
        + _run_cli("rules", "explain", "cla-visits")
        + "\nimport sys\n"
        + "engine = ('casecheck.report', 'casecheck.export.load', 'casecheck.engine.run')\n"
        + "print(sorted(m for m in sys.modules if m in ('json', 'traceback')"
        + " or m.startswith(engine)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_program_leaves_what_is_left_at_exit_to_the_os() -> None:
    # Run as the program (no argv given), everything left is frozen before exit, so the
    # interpreter's last collection does not walk it; called with argv (as tests and other
    # programs call it), the caller's process is left as it was.
    code = (
        "import contextlib, gc, io, sys\n"
        "from casecheck.cli import main\n"
        "for argv in (['--help'], None):\n"
        "    sys.argv = ['casecheck', '--help']\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        main(argv)\n"
        "    print(gc.get_freeze_count() > 0)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False", "True"]


def test_rules_explain_imports_no_frame_library() -> None:
    assert _imported_after(_run_cli("rules", "explain", "placement-plan-per-move")) == []


def test_the_rule_model_imports_no_frame_library() -> None:
    code = (
        "import casecheck.engine.rulefiles, casecheck.engine.explain, casecheck.export.config\n"
        "import casecheck.calendar"
    )
    assert _imported_after(code) == []


def test_a_lazy_module_loads_on_first_use() -> None:
    code = (
        "from casecheck.lazy import pd\n"
        "import sys\n"
        "assert 'pandas' not in sys.modules\n"
        "assert pd.Series([1, 2]).sum() == 3\n"
        "assert pd.Series is sys.modules['pandas'].Series"
    )
    assert "pandas" in _imported_after(code)
