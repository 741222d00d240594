"""The command line answers at once: `--help` and reading rules import no frame library."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run

from casecheck import listing

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
    # traceback only for --debug after an internal error. (json reads and writes the listing's
    # cache entry.)
    code = (
        _run_cli("rules", "list")
        + "\n"
        + _run_cli("rules", "explain", "cla-visits")
        + "\nimport sys\n"
        + "engine = ('casecheck.report', 'casecheck.export.load', 'casecheck.engine.run')\n"
        + "print(sorted(m for m in sys.modules if m == 'traceback' or m.startswith(engine)))"
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


# The listing's cache (casecheck/listing.py). Every test gives it a folder of its own.

RULES = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CASECHECK_CACHE_DIR", str(folder))
    return folder


def _rules(tmp_path: Path, *ids: str) -> Path:
    """A folder of some of the shipped rules."""
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    for rule_id in ids:
        shutil.copy(RULES / f"{rule_id}.yaml", folder)
    return folder


def _entry(cache: Path) -> Path:
    [entry] = cache.glob("rules-*.json")
    return entry


def _retitle(path: Path, title: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^title: .*$", f"title: {title}", text), encoding="utf-8")


def test_a_kept_listing_is_printed_without_reading_a_rule(cache: Path) -> None:
    # The second run answers from the entry the first kept: no pydantic, no YAML, no engine.
    listed = subprocess.run(
        [sys.executable, "-m", "casecheck", "rules", "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    probe = (
        "import contextlib, io, sys\n"
        "from casecheck.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        "    main(['rules', 'list'])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(('pydantic', 'yaml'))}"
        " | {m for m in sys.modules if m.startswith('casecheck.engine.')}))\n"
        "sys.stdout.write(out.getvalue())"
    )
    again = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert again == "[]\n" + listed
    assert run("rules", "list").out == listed
    assert len(list(cache.glob("rules-*.json"))) == 1


def test_the_entry_is_used_while_every_input_is_as_it_was(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _rules(tmp_path, "cla-visits", "pathway-plans")
    first = run("rules", "list", "--rules", folder)
    assert first.code == 0
    # The kept listing is what is printed (here edited behind casecheck's back) ...
    entry = _entry(cache)
    entry.write_text(entry.read_text().replace("A pathway plan for", "Edited in the cache"))
    assert "Edited in the cache" in run("rules", "list", "--rules", folder).out
    monkeypatch.setenv("CASECHECK_NO_CACHE", "1")
    assert run("rules", "list", "--rules", folder) == first  # ... unless switched off,
    monkeypatch.delenv("CASECHECK_NO_CACHE")
    # ... and only until a rule file changes, or one is added or removed.
    _retitle(folder / "pathway-plans.yaml", "Pathway plans, retitled")
    assert (
        "  pathway-plans  high    Pathway plans, retitled\n"
        in run("rules", "list", "--rules", folder).out
    )
    assert "Edited in the cache" not in entry.read_text()  # kept anew
    _rules(tmp_path, "cp-visits")
    assert "Child protection\n  cp-visits" in run("rules", "list", "--rules", folder).out
    (folder / "cla-visits.yaml").unlink()
    assert "cla-visits" not in run("rules", "list", "--rules", folder).out
    assert len(list(cache.glob("rules-*.json"))) == 1


def test_the_entry_follows_the_config(tmp_path: Path, cache: Path) -> None:
    config = tmp_path / "casecheck.yaml"
    config.write_text("rules:\n  cla-visits:\n    enabled: false\n")
    assert "(turned off)" in run("rules", "list", "--config", config).out
    config.write_text("rules:\n  cla-visits:\n    severity: low\n")
    listed = run("rules", "list", "--config", config).out
    assert "(turned off)" not in listed
    assert "  cla-visits                          low     Statutory visits" in listed
    explained = run("rules", "explain", "cla-visits", "--config", config)
    assert "Severity:\n  low\n" in explained.out


def test_a_broken_rule_file_is_never_listed_from_the_cache(tmp_path: Path, cache: Path) -> None:
    folder = _rules(tmp_path, "cla-visits", "pathway-plans")
    assert run("rules", "list", "--rules", folder).code == 0
    kept = _entry(cache).read_bytes()
    text = (folder / "cla-visits.yaml").read_text()
    (folder / "cla-visits.yaml").write_text(text.replace("severity: high", "severity: urgent"))
    broken = run("rules", "list", "--rules", folder)
    assert (broken.code, broken.out) == (2, "")
    assert broken.err == (
        f"error: {folder / 'cla-visits.yaml'}, line 3: at severity: Input should be 'low', "
        "'medium' or 'high'. Correct the value.\n"
    )
    assert run("rules", "explain", "cla-visits", "--rules", folder) == broken
    assert _entry(cache).read_bytes() == kept  # a failing run writes nothing


def test_a_failing_run_keeps_no_entry(tmp_path: Path, cache: Path) -> None:
    folder = _rules(tmp_path, "cla-visits")
    (folder / "cla-visits.yaml").write_text("id: cla-visits\ntitle: [unclosed\n")
    assert run("rules", "list", "--rules", folder).code == 2
    assert run("rules", "list", "--preset", "nope").code == 2
    assert not cache.exists()


def test_a_damaged_or_unreadable_entry_is_read_past(tmp_path: Path, cache: Path) -> None:
    folder = _rules(tmp_path, "cla-visits", "pathway-plans")
    expected = run("rules", "list", "--rules", folder)
    entry = _entry(cache)
    kept = entry.read_bytes()
    damage: list[bytes] = [
        b"",
        b"\xff\xfe not json",
        kept[: len(kept) // 2],
        b"[1, 2, 3]",
        b"{}",
        kept.replace(b'"areas": [["', b'"areas": [[1, "'),
        kept.replace(b", true, [[", b', "yes", [['),
        b"[" * 100_000,
        json.dumps(json.loads(kept) | {"areas": []}).encode(),
    ]
    for damaged in damage:
        assert damaged != kept
        entry.write_bytes(damaged)
        assert run("rules", "list", "--rules", folder) == expected
        assert entry.read_bytes() == kept  # and replaced by a good one
    entry.unlink()
    os.mkfifo(entry)  # never waited on
    assert run("rules", "list", "--rules", folder) == expected


def test_a_cache_folder_that_cannot_be_written_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("CASECHECK_CACHE_DIR", str(blocked / "cache"))
    folder = _rules(tmp_path, "cla-visits")
    listed = run("rules", "list", "--rules", folder)
    assert (listed.code, listed.err) == (0, "")
    assert listed.out.startswith("Looked after\n  cla-visits  high    Statutory visits")
    assert list(tmp_path.glob(".*.tmp")) == []


def test_where_the_cache_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CASECHECK_CACHE_DIR", "CASECHECK_NO_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert listing.cache_folder() == tmp_path / "home" / ".cache" / "casecheck"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    assert listing.cache_folder() == tmp_path / "home" / ".cache" / "casecheck"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert listing.cache_folder() == tmp_path / "xdg" / "casecheck"
    monkeypatch.setenv("CASECHECK_CACHE_DIR", str(tmp_path / "mine"))
    assert listing.cache_folder() == tmp_path / "mine"
    monkeypatch.setenv("CASECHECK_NO_CACHE", "0")
    assert listing.cache_folder() == tmp_path / "mine"
    monkeypatch.setenv("CASECHECK_NO_CACHE", "1")
    assert listing.cache_folder() is None


def test_the_fingerprint_follows_casecheck_and_the_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "casecheck"
    (package / "__pycache__").mkdir(parents=True)
    (package / "cli.py").write_text("1")
    before = listing.fingerprint(package)
    (package / "__pycache__" / "cli.cpython-311.pyc").write_text("bytecode")
    assert listing.fingerprint(package) == before  # compiled files are not casecheck's code
    (package / "cli.py").write_text("2")  # same size, a later modification time
    os.utime(package / "cli.py", ns=(1, 1))
    changed = listing.fingerprint(package)
    assert changed != before
    monkeypatch.setattr(listing, "__version__", "0.0.0")
    assert listing.fingerprint(package) != changed
    monkeypatch.setattr(listing, "_LIBRARIES", ("click",))
    assert listing.fingerprint(package) != changed


def test_two_copies_of_casecheck_with_the_same_files_share_no_entry(tmp_path: Path) -> None:
    """cp -a, or one archive unpacked twice: the same files, sizes and times, but each copy
    reads its own rules folder by default."""
    first = tmp_path / "one" / "casecheck"
    first.mkdir(parents=True)
    (first / "cli.py").write_text("1")
    os.utime(first / "cli.py", ns=(1, 1))
    second = tmp_path / "two" / "casecheck"
    shutil.copytree(first, second)  # copies the modification time too
    assert listing.fingerprint(first) != listing.fingerprint(second)


def test_a_folder_named_like_a_rule_file_is_refused_as_before(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache's hashing reads past what is not a file: load_rules gives the message."""
    folder = _rules(tmp_path, "cla-visits")
    (folder / "notes.yaml").mkdir()
    for off in ("1", "0"):
        monkeypatch.setenv("CASECHECK_NO_CACHE", off)
        got = run("rules", "list", "--rules", folder)
        assert (got.code, got.out) == (2, "")
        assert got.err == (
            f"error: {folder / 'notes.yaml'}: is a folder, not a file. Give the path of the file.\n"
        )
    assert not cache.exists()


def test_an_entry_made_by_another_casecheck_is_not_used(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _rules(tmp_path, "pathway-plans")
    run("rules", "list", "--rules", folder)
    entry = _entry(cache)
    entry.write_text(entry.read_text().replace("A pathway plan for", "Made by another casecheck"))
    monkeypatch.setattr(listing, "__version__", "0.0.0")
    assert "Made by another casecheck" not in run("rules", "list", "--rules", folder).out
