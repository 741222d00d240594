"""The command line answers at once: `casecheck --help` imports no frame library."""

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
