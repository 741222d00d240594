"""Generator shapes and the presets end to end: the bundled samples, the README's commands."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest
from conftest import run

from casecheck.engine.rulefiles import load_rules
from casecheck.engine.run import RunResult, run_rules
from casecheck.export.config import load_config
from casecheck.export.load import Export, load_export
from casecheck.export.preset import PRESETS
from casecheck.shapes import generate_shape

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_exports"
AS_OF = dt.date(2026, 10, 30)

HEADERS_903 = {
    "header": "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB",
    "episodes": "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,"
    "PL_POST,URN",
    "reviews": "CHILD,DOB,REVIEW,REVIEW_CODE",
    "missing": "CHILD,DOB,MISSING,MIS_START,MIS_END",
    "uasc": "CHILD,SEX,DOB,DUC",
}
SSD_FILES = [
    "ssd_cin_assessments",
    "ssd_cin_episodes",
    "ssd_cin_plans",
    "ssd_cin_visits",
    "ssd_cla_episodes",
    "ssd_cla_placement",
    "ssd_cla_reviews",
    "ssd_cla_visits",
    "ssd_contacts",
    "ssd_cp_plans",
    "ssd_cp_visits",
    "ssd_department",
    "ssd_involvements",
    "ssd_missing",
    "ssd_person",
    "ssd_professionals",
]


def _generate(folder: Path, shape: str, seed: int = 3) -> dict[str, int]:
    return generate_shape(folder, shape, children=80, seed=seed, end_date=AS_OF)


@pytest.mark.parametrize("shape", ["ssda903", "ssd"])
def test_the_same_arguments_give_the_same_files(shape: str, tmp_path: Path) -> None:
    _generate(tmp_path / "a", shape)
    _generate(tmp_path / "b", shape)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_the_903_shape(tmp_path: Path) -> None:
    written = _generate(tmp_path, "ssda903")
    assert list(written) == list(HEADERS_903)
    for name, header in HEADERS_903.items():
        lines = (tmp_path / f"{name}.csv").read_text("utf-8").splitlines()
        assert lines[0] == header
        assert len(lines) - 1 == written[name]
    episodes = pd.read_csv(tmp_path / "episodes.csv", dtype=str, keep_default_na=False)
    dates = pd.concat([episodes["DECOM"], episodes["DEC"][episodes["DEC"] != ""]])
    assert dates.str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert set(episodes["RNE"]) <= {"S", "P", "L", "T"}
    assert set(episodes["LS"]) <= {"C1", "C2", "V2", "V3", "V4"}
    # every child of the episodes is in the header, and only those children are
    header = pd.read_csv(tmp_path / "header.csv", dtype=str, keep_default_na=False)
    assert set(episodes["CHILD"]) == set(header["CHILD"])


def test_the_ssd_shape(tmp_path: Path) -> None:
    written = _generate(tmp_path, "ssd")
    assert sorted(written) == SSD_FILES
    person = (tmp_path / "ssd_person.csv").read_text("utf-8").splitlines()
    assert person[0] == (
        "pers_person_id,pers_legacy_id,pers_forename,pers_surname,pers_sex,pers_gender,"
        "pers_ethnicity,pers_dob,pers_upn,pers_expected_dob,pers_death_date,pers_nationality"
    )
    assert re.fullmatch(
        r"P\d{6},NULL,NULL,NULL,[MFU],NULL,[A-Z]{4},\d{4}-\d\d-\d\d 00:00:00\.000,"
        r"NULL,NULL,NULL,NULL",
        person[1],
    )
    involvements = pd.read_csv(tmp_path / "ssd_involvements.csv", dtype=str)
    assert set(involvements["invo_professional_role_id"]) == {
        "Allocated Social Worker",
        "Independent Reviewing Officer",
    }


def test_the_ssd_plans_are_the_generated_plans_and_visits_name_theirs(tmp_path: Path) -> None:
    generate_shape(tmp_path / "default", "default", children=120, seed=4, end_date=AS_OF)
    generate_shape(tmp_path / "ssd", "ssd", children=120, seed=4, end_date=AS_OF)
    default = {
        kind: pd.read_csv(tmp_path / "default" / f"{kind}_plans.csv", dtype=str).fillna("")
        for kind in ("cp", "cin")
    }
    ssd_cp = pd.read_csv(tmp_path / "ssd" / "ssd_cp_plans.csv", dtype=str, keep_default_na=False)
    assert ssd_cp.columns.tolist() == [
        "cppl_cp_plan_id",
        "cppl_referral_id",
        "cppl_icpc_id",
        "cppl_person_id",
        "cppl_cp_plan_start_date",
        "cppl_cp_plan_end_date",
        "cppl_cp_plan_initial_category",
        "cppl_cp_plan_latest_category",
    ]
    assert ssd_cp["cppl_cp_plan_id"].tolist() == default["cp"]["CP_PLAN_ID"].tolist()
    assert ssd_cp["cppl_cp_plan_initial_category"].tolist() == default["cp"]["CATEGORY"].tolist()
    assert (ssd_cp["cppl_cp_plan_end_date"] == "NULL").sum() == (
        default["cp"]["END_DATE"] == ""
    ).sum()
    # Read through the preset, each CP and CIN visit falls within the plan it names.
    config = load_config(tmp_path / "ssd", None, "ssd")
    export = load_export(tmp_path / "ssd", config)
    assert export.problems.empty
    for kind, prefix, key in (
        ("cp", "cppv_cp", "cppl_cp_plan_id"),
        ("cin", "cinv_cin", "cin_plan_id"),
    ):
        visits = pd.read_csv(tmp_path / "ssd" / f"ssd_{kind}_visits.csv", dtype=str)
        plans = pd.read_csv(tmp_path / "ssd" / f"ssd_{kind}_plans.csv", dtype=str)
        plans = plans.set_index(key)
        start_column = "cppl_cp_plan_start_date" if kind == "cp" else "cinp_cin_plan_start_date"
        end_column = "cppl_cp_plan_end_date" if kind == "cp" else "cinp_cin_plan_end_date"
        plan = visits[f"{prefix}_plan_id"]
        day = pd.to_datetime(visits[f"{prefix}_visit_date"])
        start = pd.to_datetime(plans[start_column].reindex(plan)).to_numpy()
        end = pd.to_datetime(plans[end_column].replace("NULL", None).reindex(plan)).to_numpy()
        assert len(visits) > 0
        assert (start <= day.to_numpy()).all()
        assert ((day.to_numpy() < end) | pd.isna(end)).all()
    assert len(export.tables["cp_plans"]) == len(ssd_cp)


# --- end to end ---------------------------------------------------------------------------------
def _sample(name: str) -> tuple[Export, RunResult]:
    folder = SAMPLES / name
    config = load_config(folder)
    assert config.preset == name
    export = load_export(folder, config)
    result = run_rules(export, load_rules(PRESETS[name].rules, config), AS_OF)
    return export, result


@pytest.fixture(scope="module")
def sample_903() -> tuple[Export, RunResult]:
    return _sample("ssda903")


@pytest.fixture(scope="module")
def sample_ssd() -> tuple[Export, RunResult]:
    return _sample("ssd")


def _rows_in(folder: Path, file: str) -> int:
    return len((folder / file).read_text("utf-8").splitlines()) - 1


@pytest.mark.parametrize("name", ["ssda903", "ssd"])
def test_a_bundled_sample_accounts_for_every_row(
    name: str, sample_903: tuple[Export, RunResult], sample_ssd: tuple[Export, RunResult]
) -> None:
    export, result = sample_903 if name == "ssda903" else sample_ssd
    assert export.problems.empty, export.problems.head().to_string()
    for table, count in export.counts.items():
        assert count.read == count.used + count.set_aside + count.filtered, table
    assert not result.errored
    assert all(o.status == "ran" for o in result.outcomes), [
        (o.rule.id, o.reason) for o in result.outcomes if o.status != "ran"
    ]


def test_the_903_sample_reads_every_file(sample_903: tuple[Export, RunResult]) -> None:
    export, _ = sample_903
    folder = SAMPLES / "ssda903"
    assert export.counts["persons"].read == _rows_in(folder, "header.csv")
    assert export.counts["placements"].read == _rows_in(folder, "episodes.csv")
    assert export.counts["workflow_steps"].read == _rows_in(folder, "reviews.csv")
    assert export.counts["missing_episodes"].read == _rows_in(folder, "missing.csv")
    uasc = set(pd.read_csv(folder / "uasc.csv", dtype=str)["CHILD"])
    flagged = export.tables["persons"]
    assert set(flagged.loc[flagged["UASC"].fillna(False).astype(bool), "PERSON_ID"]) == uasc
    # back-to-back episodes with the same placement were joined into one placement
    assert export.joined["placements"] > 0


def _found(result: RunResult) -> set[tuple[str, str, str, str, str]]:
    return {
        (r["rule_id"], r["check"], r["PERSON_ID"], r["due_date"].date().isoformat(), r["message"])
        for r in result.findings.to_dict("records")
    }


def test_known_903_exceptions(sample_903: tuple[Export, RunResult]) -> None:
    _, result = sample_903
    assert {
        (
            "temporary-placement-duration",
            "other-reason",
            "P000202",
            "2026-03-11",
            "Temporary placement (T4) from 04/03/2026: ended 27/03/2026, after the limit of "
            "11/03/2026 (7 days)",
        ),
        (
            "missing-episodes-repeated",
            "repeated",
            "P000083",
            "2025-12-16",
            "5 missing episodes in the 12 months to 30/10/2026 (3 or more calls for review)",
        ),
        (
            "cla-reviews-timely",
            "reviews",
            "P000012",
            "2026-07-15",
            "Last CLA review 15/01/2026; next was due 15/07/2026 (6 months)",
        ),
    } <= _found(result)
    ran = {o.rule.id: o for o in result.outcomes}
    assert all(ran[r].exceptions and ran[r].compliant for r in ran), "each rule passes and fails"


def test_known_ssd_exceptions(sample_ssd: tuple[Export, RunResult]) -> None:
    export, result = sample_ssd
    assert {
        (
            "cla-visits",
            "after-move",
            "P000031",
            "2025-12-20",
            "Placement started 13/12/2025; no CLA visit by 20/12/2025 (7 days)",
        ),
        (
            "return-home-interview-offered",
            "offered",
            "P000083",
            "2025-11-28",
            "Returned from missing 28/11/2025: RHI_OFFERED not Y",
        ),
    } <= _found(result)
    ran = {o.rule.id: o for o in result.outcomes}
    assert all(ran[r].exceptions and ran[r].compliant for r in ran), "each rule passes and fails"
    # the worker and the team came through the lookups; the IRO rows were filtered out
    rows = result.findings[result.findings["PERSON_ID"] == "P000031"]
    assert set(rows["team"]) == {"Children in Care 1"}
    assert set(rows["worker"]) == {"W0026"}
    assert export.counts["allocations"].filtered == 112


def _readme_commands() -> list[list[str]]:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("Both presets run end to end", 1)[1].split("```sh\n", 1)[1]
    return [shlex.split(line) for line in block.split("```", 1)[0].splitlines() if line]


def test_the_readmes_preset_commands_run_end_to_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands = _readme_commands()
    assert [c[:2] for c in commands] == [["casecheck", "generate"], ["casecheck", "check"]] * 2
    monkeypatch.chdir(tmp_path)
    for command in commands:
        args = command[1:]
        if args[0] == "generate":
            args[args.index("--children") + 1] = "120"  # smaller than the README's, same shape
        done = run(*args, *(["--format", "json"] if args[0] == "check" else []))
        assert done.code == 0, (command, done.err)
        if args[0] == "check":
            assert '"status": "errored"' not in done.out
            assert '"exceptions": [' in done.out


@pytest.mark.parametrize("shape", ["ssda903", "ssd"])
def test_generated_exports_round_trip_through_their_preset(shape: str, tmp_path: Path) -> None:
    """What the generator writes in a preset's shape, the preset reads without a problem."""
    written = _generate(tmp_path, shape, seed=11)
    config = load_config(tmp_path, None, shape)
    export = load_export(tmp_path, config)
    assert export.problems.empty, export.problems.head().to_string()
    for table, count in export.counts.items():
        assert count.read == count.used + count.set_aside + count.filtered, table
    read = sum(c.read for c in export.counts.values())
    # A file that is a table of its own and a lookup for another (ssd_cp_plans: the CP plans,
    # and how a CP visit reaches its child) was written once.
    tables = {source.file for sources in export.sources.values() for source in sources}
    looked_up = sum(r.read for f, r in export.lookup_files.items() if f not in tables)
    assert read + looked_up == sum(written.values())
    result = run_rules(export, load_rules(PRESETS[shape].rules, config), AS_OF)
    assert not result.errored
