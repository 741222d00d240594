"""The command line: parse options, call the library, render, exit with the documented code."""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from casecheck import __version__
from casecheck.errors import CasecheckError, ExitCode

# Each command imports what it uses, inside it: `casecheck --help` must not pay for pandas,
# numpy and pyarrow (about a second). tests/test_cli_startup.py keeps it so.
if TYPE_CHECKING:
    from casecheck.engine.model import Rule
    from casecheck.engine.run import RunResult
    from casecheck.export.config import CouncilConfig
    from casecheck.export.load import Export
    from casecheck.report.formats import Rendered
    from casecheck.weekly.history import History

EXPORT_DIR = click.Path(exists=False, file_okay=False, path_type=Path)
CONFIG_FILE = click.Path(dir_okay=False, path_type=Path)
RULES_DIR = click.Path(file_okay=False, path_type=Path)
config_option = click.option(
    "--config",
    "config_file",
    type=CONFIG_FILE,
    help="Council config (default: EXPORT_DIR/casecheck.yaml).",
)
rules_option = click.option(
    "--rules",
    "rules_dir",
    type=RULES_DIR,
    help="Folder of rule files (default: the preset's rule pack, else the shipped rules/).",
)
preset_option = click.option(
    "--preset",
    "preset_name",
    metavar="NAME",
    help="Start from a preset shipped with casecheck: ssda903 or ssd (see the README).",
)


def _write(text: Rendered, output: Path | None) -> None:
    """Write to stdout, or to the --output file; a path that cannot be written is exit 2.

    Chunks (a document written a part at a time) go out as they come; if making one fails,
    the part-written file is removed, so no half document is left to be read as a result.
    """
    if output is None:  # only text formats reach stdout (orjson's JSON comes as UTF-8 bytes)
        for part in [text] if isinstance(text, str | bytes) else text:
            click.echo(part.decode("utf-8") if isinstance(part, bytes) else part, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            output.write_bytes(text)
        elif isinstance(text, str):
            # A folder name that is not UTF-8 reaches the text as lone surrogates: "?" instead.
            output.write_text(text, encoding="utf-8", errors="replace", newline="\n")
        else:
            with output.open("wb") as out:
                try:
                    for chunk in text:
                        out.write(chunk)
                except BaseException:
                    out.close()
                    output.unlink(missing_ok=True)
                    raise
    except OSError as exc:
        raise CasecheckError(
            f"--output {output}",
            f"cannot be written ({exc.strerror or type(exc).__name__})",
            "Give a path in a folder you can write to.",
        ) from None


def _rich_terminal() -> bool:
    """Rich tables on a terminal; plain text when piped or when NO_COLOR is set."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _load(
    export_dir: Path, config_file: Path | None, preset_name: str | None
) -> tuple[CouncilConfig, Export]:
    from casecheck.export.config import load_config
    from casecheck.export.load import load_export
    from casecheck.export.reading import large_blocks_from_the_system

    large_blocks_from_the_system()  # the process's memory is the program's to set
    config = load_config(export_dir, config_file, preset_name)
    return config, load_export(export_dir, config)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="casecheck")
@click.option("--debug", is_flag=True, help="Show a traceback on internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Check children's social care case records against practice standards and timescales."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.command()
@click.argument("export_dir", type=EXPORT_DIR)
@config_option
@preset_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "text", "json"]),
    default="auto",
    show_default=True,
    help="auto: a table on a terminal, plain text when piped.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here instead of stdout.",
)
def validate(
    export_dir: Path,
    config_file: Path | None,
    preset_name: str | None,
    fmt: str,
    output: Path | None,
) -> int:
    """Check an export and its config only, and list every input problem.

    Exit code 0: no problems; 1: problems (rows set aside or cells ignored); 2: unusable.
    """
    import json

    from casecheck.report.validation import validation_document, validation_text

    _, export = _load(export_dir, config_file, preset_name)
    if fmt == "json":
        _write(json.dumps(validation_document(export), indent=2) + "\n", output)
    elif fmt == "auto" and output is None and _rich_terminal():
        from casecheck.report.terminal import print_validation

        print_validation(export)
    else:
        _write(validation_text(export), output)
    return ExitCode.EXCEPTIONS if len(export.problems) else ExitCode.CLEAN


def _prepare(
    export_dir: Path,
    config_file: Path | None,
    preset_name: str | None,
    rules_dir: Path | None,
    as_of: str | None,
    all_evidence: bool = False,
) -> RunResult:
    """Load the config, the export and the rules, and run them: the one path to a result."""
    from casecheck.engine.run import run_rules
    from casecheck.report.terminal import progress

    with progress(f"Reading the export in {export_dir}"):
        config, export = _load(export_dir, config_file, preset_name)
    date = parse_as_of(as_of, config)
    rules = _rules(config, rules_dir)
    with progress(f"Checking {len(rules)} rules as of {date:%d/%m/%Y}"):
        return run_rules(export, rules, date, all_evidence=all_evidence)


def _rules(config: CouncilConfig, rules_dir: Path | None) -> list[Rule]:
    from casecheck.engine.rulefiles import load_rules, rules_folder

    return load_rules(rules_folder(config, rules_dir), config)


def default_name(result: RunResult, extension: str) -> str:
    """casecheck-<council>-<as-of>[-<team>].<ext>: weekly and per-team runs never collide."""
    from casecheck.weekly.history import slug

    council = result.export.config.council or result.export.folder.resolve().name
    team = f"-{slug(result.team)}" if result.team else ""
    return f"casecheck-{slug(council)}-{result.as_of.isoformat()}{team}.{extension}"


def _emit(
    result: RunResult, formats: list[str], output: Path | None, protected: list[Path]
) -> None:
    from casecheck.report.formats import REPORTERS

    several = len(formats) > 1
    if several and output is None:
        raise click.UsageError("several --format values need --output FOLDER")
    if output is not None and (several or output.is_dir()):
        if output.exists() and not output.is_dir():
            raise click.UsageError(
                f"--output {output} is a file; with several --format values give a folder"
            )
        if not output.exists() and output.suffix:
            raise click.UsageError(
                f"--output {output} looks like a file name; with several --format values "
                "give a folder (it is created if absent)"
            )
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CasecheckError(
                f"--output {output}",
                f"cannot be used as a folder ({exc.strerror or type(exc).__name__})",
                "With several --format values, give --output a folder.",
            ) from None
        targets: dict[str, Path | None] = {
            f: output / default_name(result, REPORTERS[f].extension) for f in formats
        }
    else:
        targets = {formats[0]: output}
    for fmt, target in targets.items():
        if REPORTERS[fmt].binary and target is None:
            raise click.UsageError(f"--format {fmt} writes a file: give --output PATH")
        if target is not None and any(_same_file(target, p) for p in protected):
            raise click.UsageError(
                f"--output {target} would overwrite the previous run it is compared with; "
                "give another --output"
            )
    for fmt, target in targets.items():
        if fmt == "text" and target is None:
            from casecheck.report.terminal import summary_text

            _write(summary_text(result, _plain_width()), None)  # piped: the width it is given
            continue
        _write(REPORTERS[fmt].render(result), target)
        if target is not None:
            click.echo(f"Wrote {target}", err=True)


def _plain_width() -> int:
    """The width plain text is given on stdout: $COLUMNS (40 to 400), else the file width.

    Files always get the same width, so that a run's files depend on its input alone.
    """
    from casecheck.report.terminal import PLAIN_WIDTH

    given = os.environ.get("COLUMNS", "")
    return min(max(int(given), 40), 400) if given.isdigit() else PLAIN_WIDTH


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or b.resolve() in a.resolve().parents
    except OSError:
        return False


@cli.command()
@click.argument("export_dir", type=EXPORT_DIR)
@config_option
@preset_option
@rules_option
@click.option(
    "--as-of",
    "as_of",
    metavar="YYYY-MM-DD",
    help="Check as of this date (default: the config's export_date, else today).",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["auto", "text", "json", "csv", "xlsx", "html", "junit", "actions"]),
    multiple=True,
    help="Output format; repeat for several (then --output is a folder). Default: auto.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="File (or folder, for several formats) to write.",
)
@click.option("--team", help="Narrow every view to one team (and add a table per worker).")
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, path_type=Path),
    help="An earlier run's JSON: mark each exception new, still open or reopened, and list "
    "those fixed or dropped out since.",
)
@click.option(
    "--fail-on",
    type=click.Choice(["never", "low", "medium", "high"]),
    default="low",
    show_default=True,
    help="Exit 1 when there is an exception of this severity or above.",
)
@click.option(
    "--history",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep this run in FOLDER and compare it with the latest earlier run kept there.",
)
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Waivers file (default: the config's waivers:, else EXPORT_DIR/waivers.yaml).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Also exit 1 when a rule could not run; refuse a doubtful --as-of.",
)
def check(
    export_dir: Path,
    config_file: Path | None,
    preset_name: str | None,
    rules_dir: Path | None,
    as_of: str | None,
    formats: tuple[str, ...],
    output: Path | None,
    team: str | None,
    previous: Path | None,
    history: Path | None,
    waivers_file: Path | None,
    fail_on: str,
    strict: bool,
) -> int:
    """Run the rules against an export and list every exception, per child.

    Exit code 0: no exception at or above --fail-on; 1: some (or a rule errored, or with
    --strict a rule could not run); 2: export, config or rules unusable; 3: internal error.
    """
    from casecheck.engine.model import Severity
    from casecheck.report.summary import narrow, teams

    result = _prepare(export_dir, config_file, preset_name, rules_dir, as_of)
    config = result.export.config
    warnings = _as_of_warnings(result, strict)
    if team is not None and team not in teams(result):
        known = ", ".join(teams(result)) or "none"
        raise click.BadParameter(
            f'no team "{team}" in this export (teams: {known})', param_hint="--team"
        )
    result = _with_waivers(result, export_dir, waivers_file)
    kept = _history(result, history or config.history)
    protected = [p for p in (previous,) if p is not None]
    from casecheck.report.compare import read_previous, with_previous

    last = read_previous(previous) if previous is not None else None
    if kept is not None:
        from casecheck.weekly.history import keep_and_compare

        protected.append(kept.folder)
        result, saved = keep_and_compare(result, kept, last)
        click.echo(f"Kept this run in {saved}", err=True)
    elif last is not None:
        result = with_previous(result, last)
    view = narrow(result, team)
    chosen = list(dict.fromkeys(formats or ("auto",)))
    if chosen == ["auto"] and output is None and _rich_terminal():
        from casecheck.report.terminal import print_summary

        print_summary(view)
    else:
        _emit(view, ["text" if f == "auto" else f for f in chosen], output, protected)
    for warning in warnings:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    ran = sum(o.status == "ran" for o in result.outcomes)
    if not ran:
        click.secho(
            "warning: no rule could run on this export, so nothing was checked "
            "(each rule's reason is in the report); exit 1",
            fg="yellow",
            err=True,
        )
    threshold = None if fail_on == "never" else Severity(fail_on)
    failed = (
        view.failing(threshold)
        or bool(result.errored)
        or (strict and bool(result.not_run))
        or not ran
    )
    return ExitCode.EXCEPTIONS if failed else ExitCode.CLEAN


def _as_of_warnings(result: RunResult, strict: bool) -> list[str]:
    """Doubts about the as-of date: warnings, or with --strict a refusal (exit 2)."""
    from casecheck.weekly.sanity import as_of_warnings

    found = as_of_warnings(result.export, result.as_of)
    if found and strict:
        raise CasecheckError(
            "--as-of", found[0], "Give the date the export was taken (or drop --strict)."
        )
    return found


def _with_waivers(result: RunResult, export_dir: Path, given: Path | None) -> RunResult:
    from casecheck.weekly.waivers import apply_waivers, read_waivers, waivers_path

    config = result.export.config
    path = waivers_path(export_dir, given, config.waivers)
    if path is None:
        return result
    return apply_waivers(result, read_waivers(path, config.waiver_max_months))


def _history(result: RunResult, folder: Path | None) -> History | None:
    """The history this run is kept in (None without --history or `history:`)."""
    if folder is None:
        return None
    from casecheck.weekly.history import History, slug

    config = result.export.config
    # Keyed by the council: each week's export usually lands in a new folder.
    key = slug(config.council or "export")
    return History(folder=folder, key=key)


@cli.command()
@click.argument("person_id")
@click.argument("export_dir", type=EXPORT_DIR)
@config_option
@preset_option
@rules_option
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Check as of this date.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "text", "json"]),
    default="auto",
    show_default=True,
)
def case(
    person_id: str,
    export_dir: Path,
    config_file: Path | None,
    preset_name: str | None,
    rules_dir: Path | None,
    as_of: str | None,
    fmt: str,
) -> int:
    """Show one child's file as an auditor checks it: every rule, the evidence, what is missing.

    Exit code 0: no exceptions for this child; 1: some; 2: unusable input or unknown child.
    """
    import json

    from casecheck.report.case import case_text, case_view

    result = _prepare(export_dir, config_file, preset_name, rules_dir, as_of, all_evidence=True)
    view = case_view(result, person_id)
    if fmt == "json":
        _write(json.dumps(view, indent=2, ensure_ascii=False) + "\n", None)
    elif fmt == "auto" and _rich_terminal():
        from casecheck.report.terminal import print_case

        print_case(view)
    else:
        _write(case_text(view), None)
    return ExitCode.EXCEPTIONS if view["exceptions"] else ExitCode.CLEAN


@cli.group()
def rules() -> None:
    """List the rules and explain what each one checks."""


@rules.command("list")
@click.option(
    "--config", "config_file", type=CONFIG_FILE, help="Council config whose overrides apply."
)
@preset_option
@rules_option
def rules_list(config_file: Path | None, preset_name: str | None, rules_dir: Path | None) -> int:
    """The rules grouped by area (looked after, child protection, children in need, care
    leavers, all open cases): one line per rule, id, severity and title."""
    from casecheck.listing import listing

    areas = listing(config_file, preset_name, rules_dir)
    width = max(len(r.id) for area in areas for r in area.rules)
    for n, area in enumerate(areas):
        if n:
            click.echo("")
        click.echo(area.heading)
        for rule in area.rules:
            off = "" if rule.enabled else "  (turned off)"
            click.echo(f"  {rule.id:<{width}}  {rule.severity:<6}  {rule.title}{off}")
    return ExitCode.CLEAN


@rules.command("explain")
@click.argument("rule_id")
@click.option(
    "--config", "config_file", type=CONFIG_FILE, help="Council config whose overrides apply."
)
@preset_option
@rules_option
def rules_explain(
    rule_id: str, config_file: Path | None, preset_name: str | None, rules_dir: Path | None
) -> int:
    """The rule's why, source, logic and parameters, in words."""
    from casecheck.listing import listing

    loaded = {r.id: r for area in listing(config_file, preset_name, rules_dir) for r in area.rules}
    if rule_id not in loaded:
        raise click.BadParameter(
            f'no rule "{rule_id}" (run `casecheck rules list` to see them)', param_hint="RULE_ID"
        )
    for heading, text in loaded[rule_id].explained:
        click.echo(f"{heading}:")
        click.echo(
            textwrap.fill(
                text,
                width=88,
                initial_indent="  ",
                subsequent_indent="  ",
                break_on_hyphens=False,  # "child-protection" stays one word
            )
        )
    return ExitCode.CLEAN


@rules.command("test")
@click.argument("cases_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@preset_option
@rules_option
def rules_test(cases_dir: Path, preset_name: str | None, rules_dir: Path | None) -> int:
    """Run a folder of rule cases (the tests/rule_cases format) against the rules.

    With --preset, against that preset's rule pack (the cases' tables stay in casecheck's own
    shape). Exit 0: every case passed; 1: some case failed; 2: a case or rule file is invalid.
    """
    from casecheck.engine.cases import run_case_file
    from casecheck.engine.rulefiles import DEFAULT_RULES
    from casecheck.export.preset import preset

    if rules_dir is None and preset_name is not None:
        rules_dir = preset(preset_name, "--preset").rules
    files = sorted([*cases_dir.glob("*.yaml"), *cases_dir.glob("*.yml")])
    if not files:
        raise CasecheckError(
            str(cases_dir), "holds no case files (*.yaml)", "Give the folder of rule cases."
        )
    failed = passed = 0
    for path in files:
        for outcome in run_case_file(path, rules_dir or DEFAULT_RULES):
            if outcome.passed:
                passed += 1
                click.echo(f"PASS  {outcome.rule_id}: {outcome.name}")
                continue
            failed += 1
            click.echo(f"FAIL  {outcome.rule_id}: {outcome.name}")
            for line in outcome.differences:
                click.echo(f"      {line}")
    click.echo(f"{passed} passed, {failed} failed")
    return ExitCode.EXCEPTIONS if failed else ExitCode.CLEAN


MAX_TREND_DATES = 120


@cli.command("trend")
@click.argument("export_dir", type=EXPORT_DIR)
@config_option
@preset_option
@rules_option
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First date.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last date.")
@click.option(
    "--every",
    type=click.Choice(["week", "month", "quarter"]),
    default="month",
    show_default=True,
    help="Check as of each week's Friday, month end or quarter end between the dates.",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["text", "csv", "json", "html", "xlsx"]),
    multiple=True,
    help="Output format; repeat for several (then --output is a folder). Default: text.",
)
@click.option("--output", type=click.Path(path_type=Path), help="File (or folder) to write.")
def trend_command(
    export_dir: Path,
    config_file: Path | None,
    preset_name: str | None,
    rules_dir: Path | None,
    start: str,
    end: str,
    every: str,
    formats: tuple[str, ...],
    output: Path | None,
) -> int:
    """Compliance per rule and per team as of each date: the figures for an annual QA report.

    The export is read once and the rules run as of each date, exactly as
    `casecheck check --as-of DATE` would.
    """
    from casecheck.report.terminal import progress
    from casecheck.report.trend import TREND_REPORTERS
    from casecheck.weekly.history import slug
    from casecheck.weekly.trend import run_trend, trend_dates

    first, last = _date_option(start, "--from"), _date_option(end, "--to")
    dates = trend_dates(first, last, every)
    if not dates:
        raise click.BadParameter(
            f"no {every} end between {first.isoformat()} and {last.isoformat()}",
            param_hint="--from/--to",
        )
    if len(dates) > MAX_TREND_DATES:
        raise click.BadParameter(
            f"{len(dates)} dates; at most {MAX_TREND_DATES} (use a longer --every)",
            param_hint="--from/--to",
        )
    with progress(f"Reading the export in {export_dir}"):
        config, export = _load(export_dir, config_file, preset_name)
    rules = _rules(config, rules_dir)
    with progress(f"Checking {len(rules)} rules as of {len(dates)} dates"):
        frame = run_trend(export, rules, dates)
    council = config.council or export.folder.resolve().name
    title = f"Compliance trend, {council}: {dates[0]:%d/%m/%Y} to {dates[-1]:%d/%m/%Y}"
    meta = {"title": title, "council": config.council, "every": every}
    chosen = list(dict.fromkeys(formats or ("text",)))
    stem = f"casecheck-trend-{slug(council)}-{dates[0].isoformat()}-{dates[-1].isoformat()}"
    if len(chosen) > 1 or (output is not None and output.is_dir()):
        if output is None or (not output.exists() and output.suffix):
            raise click.UsageError("several --format values need --output FOLDER")
        targets: dict[str, Path | None] = {
            f: output / f"{stem}.{TREND_REPORTERS[f][0]}" for f in chosen
        }
    else:
        targets = {chosen[0]: output}
    for fmt, target in targets.items():
        if fmt == "xlsx" and target is None:
            raise click.UsageError("--format xlsx writes a file: give --output PATH")
        _write(TREND_REPORTERS[fmt][1](frame, meta), target)
        if target is not None:
            click.echo(f"Wrote {target}", err=True)
    return ExitCode.CLEAN


@cli.command()
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why the exception is accepted.")
@click.option("--by", "approved_by", required=True, help="Who approved it.")
@click.option("--until", "until", required=True, metavar="YYYY-MM-DD", help="When it expires.")
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("waivers.yaml"),
    show_default=True,
    help="The waivers file to add to (created if absent).",
)
@click.option("--rule", help="The exception's rule (recorded with it, for people reading it).")
@click.option("--child", help="The child's ID (recorded with it, for people reading the file).")
@config_option
def waive(
    fingerprint: str,
    reason: str,
    approved_by: str,
    until: str,
    waivers_file: Path,
    rule: str | None,
    child: str | None,
    config_file: Path | None,
) -> int:
    """Record that the exception FINGERPRINT is known and accepted, until a date.

    The fingerprint is in every report (JSON, CSV, Excel). The waiver is approved today and
    expires at most waiver_max_months (casecheck.yaml, default 6) later.
    """
    from casecheck.export.config import CouncilConfig, load_config
    from casecheck.weekly.waivers import Waiver, add_waiver

    config = load_config(Path("."), config_file) if config_file else CouncilConfig()
    expires = _date_option(until, "--until")
    today = dt.date.today()  # the CLI reads the clock; the library is given the date
    if expires < today:
        raise click.BadParameter(f"{until} is in the past", param_hint="--until")
    waiver = Waiver(
        fingerprint=fingerprint,
        rule=rule,
        child=child,
        reason=reason,
        approved_by=approved_by,
        approved_on=today,
        expires=expires,
    )
    add_waiver(waivers_file, waiver, config.waiver_max_months)
    click.echo(f"Added a waiver for {fingerprint} until {expires:%d/%m/%Y} to {waivers_file}")
    return ExitCode.CLEAN


def _date_option(value: str, hint: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f'"{value}" is not a date; write it as YYYY-MM-DD', param_hint=hint
        ) from None


@cli.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the export into.",
)
@click.option(
    "--shape",
    type=click.Choice(["default", "ssda903", "ssd"]),
    default="default",
    show_default=True,
    help="The files and columns to write: the default contract, an SSDA903 return, or the SSD.",
)
@click.option("--children", default=300, show_default=True, type=click.IntRange(1, 2_000_000))
@click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--end-date",
    default="2026-10-30",
    show_default=True,
    metavar="YYYY-MM-DD",
    help="The day the synthetic export was taken.",
)
def generate(out_dir: Path, shape: str, children: int, seed: int, end_date: str) -> int:
    """Write a synthetic export (never real people) in the default contract or a preset's shape."""
    from casecheck.calendar import YEARS
    from casecheck.shapes import generate_shape

    try:
        end = dt.date.fromisoformat(end_date)
    except ValueError:
        raise click.BadParameter(
            f'"{end_date}" is not a date; write it as YYYY-MM-DD', param_hint="--end-date"
        ) from None
    first, last = dt.date(YEARS[0] + 8, 1, 1), dt.date(YEARS[-1] - 1, 12, 31)
    if not first <= end <= last:
        raise click.BadParameter(
            f"{end_date} is outside {first.isoformat()} to {last.isoformat()}: the export "
            "holds records from up to 8 years before it and births up to a year after, and "
            f"casecheck checks dates from {YEARS[0]} to {YEARS[-1]}",
            param_hint="--end-date",
        )
    written = generate_shape(out_dir, shape, children=children, seed=seed, end_date=end)
    click.echo(
        f"Wrote a synthetic export of {children} children to {out_dir}: "
        + ", ".join(f"{k} {v}" for k, v in written.items()),
        err=True,
    )
    return ExitCode.CLEAN


@cli.command()
@click.argument("export_dir", type=EXPORT_DIR)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it (default: EXPORT_DIR/casecheck.yaml). An existing file is kept.",
)
def init(export_dir: Path, output: Path | None) -> int:
    """Write a starter casecheck.yaml from the export's CSV headers and label values.

    Exit code 0: written; 2: the file already exists (it is never overwritten) or no CSV files.
    """
    from casecheck.export.config import CONFIG_FILE
    from casecheck.export.starter import starter_config

    target = output if output is not None else export_dir / CONFIG_FILE
    if target.exists():
        raise CasecheckError(
            str(target),
            "already exists, and casecheck init never overwrites a file",
            "Move it aside, or give --output another path.",
        )
    text = starter_config(export_dir)
    _write(text, target)
    click.echo(f"Wrote {target}: check it, then run casecheck validate {export_dir}", err=True)
    return ExitCode.CLEAN


def parse_as_of(value: str | None, config: CouncilConfig) -> dt.date:
    """--as-of, else the config's export_date, else today: the one place that reads the clock."""
    from casecheck.export.config import as_of_problem

    if value is None:
        today = config.export_date or dt.date.today()  # export_date is checked with the config
        if as_of_problem(today):
            raise click.UsageError(f"today's date {as_of_problem(today)}: give --as-of")
        return today
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f'"{value}" is not a date; write it as YYYY-MM-DD', param_hint="--as-of"
        ) from None
    problem = as_of_problem(day)
    if problem:
        raise click.BadParameter(f"{problem}; give a date in that range", param_hint="--as-of")
    return day


def main(argv: list[str] | None = None) -> None:
    """Entry point: turn every outcome into the documented exit code."""
    code = _run(list(argv if argv is not None else sys.argv[1:]))
    if argv is None:
        # Run as the program, not called by a process that goes on (as the tests do): what is
        # left is the OS's to free. Frozen, it is not walked once more by the interpreter's last
        # collection, 4% of `casecheck rules list`. Every file casecheck writes is closed by now.
        gc.freeze()
    sys.exit(code)


def _run(args: list[str]) -> int:
    """The exit code of `casecheck ARGS`: every outcome turned into the documented code."""
    debug = "--debug" in args
    # --debug is accepted anywhere on the line, as the internal-error message asks for it.
    args = [a for a in args if a != "--debug"]
    if debug:
        args.insert(0, "--debug")
    try:
        code: Any = cli.main(args=args, prog_name="casecheck", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        return ExitCode.UNUSABLE
    except CasecheckError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return ExitCode.INTERRUPTED
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        click.secho(
            f"casecheck {__version__} hit an internal error ({type(exc).__name__}). "
            "This is a bug: please report it with the command you ran"
            + ("" if debug else " and the output of the same command with --debug")
            + ".",
            fg="red",
            err=True,
        )
        return ExitCode.INTERNAL
    return int(code) if isinstance(code, int) else ExitCode.CLEAN
