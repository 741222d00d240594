"""The synthetic export generator: reproducible, true to the schema, with the shapes checks need."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from casecheck.calendar import WorkingCalendar
from casecheck.engine.rulefiles import DEFAULT_RULES
from casecheck.errors import RuleFileError
from casecheck.export.schema import PERIODS, TABLES
from casecheck.generate import generate_export

END = dt.date(2026, 10, 30)
CHILDREN = 200
# Columns written with a time of day; every other date column is a plain date.
WITH_TIME = {
    ("case_notes", "CREATED_ON"),
    ("documents", "UPLOADED_ON"),
    ("missing_episodes", "START_DATE"),
    ("missing_episodes", "END_DATE"),
    ("missing_episodes", "RHI_DATE"),
}


def _read(folder: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(folder / table.file, dtype=str, keep_default_na=False)
        for name, table in TABLES.items()
    }


def _dates(values: pd.Series) -> pd.Series:
    """Blank, YYYY-MM-DD, YYYY-MM-DD HH:MM or DD/MM/YYYY text as timestamps (blank = NaT)."""
    dmy = values.str.match(r"^\d{2}/\d{2}/\d{4}$")
    out = pd.to_datetime(values.where(~dmy & (values != "")), format="ISO8601")
    out[dmy] = pd.to_datetime(values[dmy], format="%d/%m/%Y")
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, int]]]:
    """Two runs with the same seed and one with another seed."""
    out = {}
    for label, seed in (("first", 11), ("again", 11), ("other", 12)):
        folder = tmp_path_factory.mktemp(label)
        out[label] = (folder, generate_export(folder, children=CHILDREN, seed=seed, end_date=END))
    return out


@pytest.fixture(scope="module")
def tables(runs: dict[str, tuple[Path, dict[str, int]]]) -> dict[str, pd.DataFrame]:
    return _read(runs["first"][0])


def test_same_seed_gives_identical_bytes(runs: dict[str, tuple[Path, dict[str, int]]]) -> None:
    first, again = runs["first"][0], runs["again"][0]
    for table in TABLES.values():
        assert (first / table.file).read_bytes() == (again / table.file).read_bytes(), table.file


def test_another_seed_gives_another_export(runs: dict[str, tuple[Path, dict[str, int]]]) -> None:
    first, other = runs["first"][0], runs["other"][0]
    differing = [
        t.file
        for t in TABLES.values()
        if (first / t.file).read_bytes() != (other / t.file).read_bytes()
    ]
    assert differing == [t.file for t in TABLES.values()]


def test_returns_rows_written_per_table(
    runs: dict[str, tuple[Path, dict[str, int]]], tables: dict[str, pd.DataFrame]
) -> None:
    counts = runs["first"][1]
    assert list(counts) == list(TABLES)
    assert counts == {name: len(frame) for name, frame in tables.items()}
    assert counts["persons"] == CHILDREN
    assert all(count > 0 for count in counts.values())


def test_files_are_utf8_with_the_schema_header_and_newlines(
    runs: dict[str, tuple[Path, dict[str, int]]],
) -> None:
    for table in TABLES.values():
        raw = (runs["first"][0] / table.file).read_bytes()
        text = raw.decode("utf-8")
        assert "\r" not in text
        assert text.endswith("\n")
        assert text.split("\n", 1)[0] == ",".join(c.name for c in table.columns)


def test_ids_are_zero_padded_text_and_unique(tables: dict[str, pd.DataFrame]) -> None:
    for name, table in TABLES.items():
        frame = tables[name]
        assert table.key is not None
        assert frame[table.key].is_unique, name
        assert (frame[table.key] != "").all(), name
    assert tables["persons"]["PERSON_ID"].iloc[:2].tolist() == ["P000001", "P000002"]
    workers = pd.concat([tables["allocations"]["WORKER_ID"], tables["visits"]["WORKER_ID"]])
    assert workers.str.fullmatch(r"W\d{4}").all()


def test_every_child_referred_to_exists(tables: dict[str, pd.DataFrame]) -> None:
    people = set(tables["persons"]["PERSON_ID"])
    for name, frame in tables.items():
        assert set(frame["PERSON_ID"]) <= people, name
    # Every child has a contact and an allocation: the case began with one.
    assert set(tables["contacts"]["PERSON_ID"]) == people
    assert set(tables["allocations"]["PERSON_ID"]) == people


def test_required_columns_are_filled(tables: dict[str, pd.DataFrame]) -> None:
    for name, table in TABLES.items():
        for column in table.required:
            assert (tables[name][column] != "").all(), f"{name}.{column}"


def test_dates_are_written_in_the_contract_formats(tables: dict[str, pd.DataFrame]) -> None:
    assert tables["persons"]["DATE_OF_BIRTH"].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    for name, table in TABLES.items():
        for column in table.date_columns:
            if (name, column) == ("persons", "DATE_OF_BIRTH"):
                continue
            values = tables[name][column]
            pattern = (
                r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
                if (name, column) in WITH_TIME
                else r"\d{4}-\d{2}-\d{2}"
            )
            filled = values[values != ""]
            assert filled.str.fullmatch(pattern).all(), f"{name}.{column}"


def test_nothing_is_dated_after_the_end_date(tables: dict[str, pd.DataFrame]) -> None:
    last = pd.Timestamp(END) + pd.Timedelta(days=1)
    for name, table in TABLES.items():
        for column in table.date_columns:
            dates = _dates(tables[name][column])
            assert (dates.dropna() < last).all(), f"{name}.{column}"


def test_periods_never_end_before_they_start(tables: dict[str, pd.DataFrame]) -> None:
    for name, (start, end) in PERIODS.items():
        starts, ends = _dates(tables[name][start]), _dates(tables[name][end])
        assert not (ends < starts).any(), name
    steps = tables["workflow_steps"]
    assert not (_dates(steps["COMPLETED_ON"]) < _dates(steps["STARTED_ON"])).any()
    contacts = tables["contacts"]
    assert not (_dates(contacts["DECISION_ON"]) < _dates(contacts["RECEIVED_ON"])).any()
    notes = tables["case_notes"]
    assert not (_dates(notes["CREATED_ON"]).dt.normalize() < _dates(notes["CONTACT_DATE"])).any()


def test_choices_and_flags_use_the_contract_values(tables: dict[str, pd.DataFrame]) -> None:
    for name, table in TABLES.items():
        for column in table.columns:
            values = set(tables[name][column.name]) - {""}
            if column.choices:
                assert {v.upper() for v in values} <= set(column.choices), f"{name}.{column.name}"
            if column.kind == "flag":
                assert values <= {"Y", "N"}, f"{name}.{column.name}"
    steps = tables["workflow_steps"]
    assert steps["STEP_STATUS"].value_counts().idxmax() == "COMPLETED"
    assert set(steps["STEP_STATUS"]) == {"INCOMING", "STARTED", "COMPLETED", "CANCELLED"}
    assert set(tables["visits"]["VISIT_METHOD"]) >= {"Face to face", "Video", "Telephone"}


def test_ages_run_from_babies_to_seventeen(tables: dict[str, pd.DataFrame]) -> None:
    born = _dates(tables["persons"]["DATE_OF_BIRTH"])
    age = (pd.Timestamp(END) - born).dt.days / 365.25
    assert age.min() >= 0
    assert age.max() < 18
    assert age.min() < 1 and age.max() > 17


def test_uasc_children_are_mostly_age_estimated_and_looked_after(
    tables: dict[str, pd.DataFrame],
) -> None:
    persons = tables["persons"]
    uasc = persons[persons["UASC"] == "Y"]
    assert 0.02 * CHILDREN <= len(uasc) <= 0.08 * CHILDREN
    assert (uasc["AGE_ESTIMATED"] == "Y").mean() > 0.5
    open_placements = tables["placements"][tables["placements"]["END_DATE"] == ""]
    assert uasc["PERSON_ID"].isin(open_placements["PERSON_ID"]).mean() > 0.5


def test_about_a_third_are_looked_after_some_with_many_moves(
    tables: dict[str, pd.DataFrame],
) -> None:
    placements = tables["placements"]
    current = placements[placements["END_DATE"] == ""]
    assert current["PERSON_ID"].is_unique
    assert 0.25 <= len(current) / CHILDREN <= 0.45
    year_ago = pd.Timestamp(END) - pd.DateOffset(months=12)
    recent = placements[_dates(placements["START_DATE"]) >= year_ago]
    assert (recent.groupby("PERSON_ID").size() >= 3).sum() >= 2


def test_most_are_allocated_some_are_closed_and_some_change_worker(
    tables: dict[str, pd.DataFrame],
) -> None:
    allocations = tables["allocations"]
    allocated = set(allocations.loc[allocations["END_DATE"] == "", "PERSON_ID"])
    assert 0.7 * CHILDREN <= len(allocated) < CHILDREN
    assert allocations.groupby("PERSON_ID")["WORKER_ID"].nunique().max() >= 3
    assert 6 <= allocations["TEAM_NAME"].nunique() <= 10


def test_some_go_missing_with_interviews_on_time_and_not(tables: dict[str, pd.DataFrame]) -> None:
    episodes = tables["missing_episodes"]
    assert 0.03 * CHILDREN <= episodes["PERSON_ID"].nunique() <= 0.15 * CHILDREN
    delay = _dates(episodes["RHI_DATE"]) - _dates(episodes["END_DATE"])
    on_time = delay <= pd.Timedelta(hours=72)
    assert on_time.mean() > 0.5
    assert (~on_time).any()
    assert (episodes["RHI_OFFERED"] == "N").any()


def test_supervision_is_current_for_most_allocated_children_but_not_all(
    tables: dict[str, pd.DataFrame],
) -> None:
    notes = tables["case_notes"]
    supervision = notes[notes["NOTE_TYPE"].isin(["Case Supervision", "Management Supervision"])]
    last = _dates(supervision.groupby("PERSON_ID")["CONTACT_DATE"].max())
    allocations = tables["allocations"]
    allocated = allocations.loc[allocations["END_DATE"] == "", "PERSON_ID"]
    recent = last.reindex(allocated) >= pd.Timestamp(END) - pd.Timedelta(days=30)
    assert 0.6 <= recent.mean() <= 0.9


def test_contact_decisions_are_mostly_within_a_working_day(
    tables: dict[str, pd.DataFrame],
) -> None:
    contacts = tables["contacts"]
    waited = _dates(contacts["DECISION_ON"]) - _dates(contacts["RECEIVED_ON"])
    assert 0.6 <= (waited <= pd.Timedelta(days=3)).mean() < 1


def test_evidence_is_filed_under_the_default_names(tables: dict[str, pd.DataFrame]) -> None:
    steps = set(tables["workflow_steps"]["STEP_TYPE"])
    assert {"Placement Plan", "CLA Review", "Risk Assessment", "Pathway Plan"} <= steps
    assert {"Child and Family Assessment", "Care Plan"} <= steps
    assert {
        "Strategy Discussion",
        "Section 47 Enquiry",
        "Initial Child Protection Conference",
        "Review Child Protection Conference",
        "CIN Plan Review",
        "Initial Health Assessment",
        "Review Health Assessment",
        "Personal Education Plan",
        "Needs Assessment",
    } <= steps
    assert steps & {"Missing Plan", "Philomena Protocol"}
    categories = set(tables["documents"]["CATEGORY"])
    assert {
        "Chronology",
        "Genogram",
        "Information Sharing Agreement",
        "Age Assessment",
    } <= categories
    notes = set(tables["case_notes"]["NOTE_TYPE"])
    assert {"Case Supervision", "Management Oversight"} <= notes
    rated = tables["workflow_steps"]["RAG_RATING"]
    assert set(rated) == {"", "RED", "AMBER", "GREEN"}


def test_end_date_sets_when_everything_happened(tmp_path: Path) -> None:
    end = dt.date(2023, 3, 31)
    generate_export(tmp_path, children=40, seed=3, end_date=end)
    found = _read(tmp_path)
    latest = max(
        _dates(found[name][column]).max()
        for name, table in TABLES.items()
        for column in table.date_columns
    )
    assert pd.Timestamp(end) <= latest < pd.Timestamp(end) + pd.Timedelta(days=1)


def test_a_single_child_is_enough(tmp_path: Path) -> None:
    counts = generate_export(tmp_path, children=1, seed=0)
    assert counts["persons"] == 1
    assert (tmp_path / "contacts.csv").read_text(encoding="utf-8").count("\n") == 1 + counts[
        "contacts"
    ]


def test_no_children_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=re.escape("children must be at least 1, not 0")):
        generate_export(tmp_path, children=0, seed=0)


# --- Child protection, children in need, health, education and care leavers ------------------

CALENDAR = WorkingCalendar()


def _steps(tables: dict[str, pd.DataFrame], *types: str) -> pd.DataFrame:
    steps = tables["workflow_steps"]
    return steps[steps["STEP_TYPE"].isin(types) & (steps["STEP_STATUS"] == "COMPLETED")]


def _working_days(start: pd.Series, end: pd.Series) -> pd.Series:
    return CALENDAR.working_days_after(start.reset_index(drop=True), end.reset_index(drop=True))


def test_cp_plans_have_categories_and_most_are_held_by_the_cp_team(
    tables: dict[str, pd.DataFrame],
) -> None:
    plans = tables["cp_plans"]
    assert set(plans["CATEGORY"]) <= {
        "Neglect",
        "Emotional abuse",
        "Physical abuse",
        "Sexual abuse",
        "Multiple",
    }
    assert plans["CATEGORY"].value_counts().idxmax() == "Neglect"
    current = plans[plans["END_DATE"] == ""]
    assert current["PERSON_ID"].is_unique
    assert 0.05 * CHILDREN <= len(current) <= 0.2 * CHILDREN
    assert (plans["END_DATE"] != "").any()  # some ended: into care, down to CIN, or closed
    allocations = tables["allocations"]
    team = allocations[allocations["END_DATE"] == ""].set_index("PERSON_ID")["TEAM_NAME"]
    assert (team.reindex(current["PERSON_ID"]) == "Child Protection").mean() > 0.6


def test_initial_conferences_mostly_within_15_working_days_of_the_strategy_discussion(
    tables: dict[str, pd.DataFrame],
) -> None:
    plans = tables["cp_plans"]
    strategy = _steps(tables, "Strategy Discussion", "Strategy Meeting")
    icpc = _steps(tables, "Initial Child Protection Conference", "ICPC")
    # Each plan's strategy discussion is the child's latest one on or before the plan's start.
    found = pd.merge_asof(
        pd.DataFrame({"PERSON_ID": plans["PERSON_ID"], "day": _dates(plans["START_DATE"])})
        .sort_values("day")
        .reset_index(drop=True),
        pd.DataFrame({"PERSON_ID": strategy["PERSON_ID"], "day": _dates(strategy["COMPLETED_ON"])})
        .sort_values("day")
        .assign(strategy=lambda f: f["day"]),
        on="day",
        by="PERSON_ID",
    )
    assert found["strategy"].notna().all()
    waited = _working_days(found["strategy"], found["day"])
    assert 0.55 <= (waited <= 15).mean() < 0.95
    assert (waited > 15).any()
    assert len(icpc) < len(plans)  # some conferences were never recorded
    # The bank-holiday case: 15 working days exactly, across a bank holiday (16+ calendar days
    # more than 15 working days would span without one).
    exact = found[(waited == 15).to_numpy()]
    spans = (exact["day"] - exact["strategy"]).dt.days
    years = range(exact["strategy"].min().year, exact["day"].max().year + 1)
    holidays = pd.to_datetime(pd.Series(CALENDAR.holidays_in(years)))
    crossed = [
        ((holidays > s) & (holidays < e)).any()
        for s, e in zip(exact["strategy"], exact["day"], strict=True)
    ]
    assert any(crossed) and (spans >= 22).any()


def test_review_conferences_and_cp_visits_follow_the_plans(
    tables: dict[str, pd.DataFrame],
) -> None:
    rcpc = _steps(tables, "Review Child Protection Conference", "RCPC")
    plans = tables["cp_plans"]
    assert set(rcpc["PERSON_ID"]) <= set(plans["PERSON_ID"])
    visits = tables["visits"]
    cp = visits[visits["VISIT_TYPE"] == "CP"]
    assert set(cp["PERSON_ID"]) <= set(plans["PERSON_ID"])
    assert CALENDAR.is_working_day(_dates(cp["ACTUAL_DATE"])).all()  # drawn on working days
    gaps = _dates(cp["ACTUAL_DATE"]).groupby(cp["PERSON_ID"]).diff().dt.days.dropna()
    assert (gaps <= 14).mean() > 0.6 and (gaps > 14).any()
    seen = cp[cp["CHILD_SEEN"] == "Y"]
    assert set(seen["SEEN_ALONE"]) == {"Y", "N"}
    assert (cp["CHILD_SEEN"] != "Y").any()


def test_children_in_need_have_plans_reviews_and_visits_but_not_with_a_cp_plan(
    tables: dict[str, pd.DataFrame],
) -> None:
    cin, cp = tables["cin_plans"], tables["cp_plans"]
    current = cin[cin["END_DATE"] == ""]
    assert current["PERSON_ID"].is_unique
    assert not set(current["PERSON_ID"]) & set(cp.loc[cp["END_DATE"] == "", "PERSON_ID"])
    assert (cin["END_DATE"] != "").any()
    reviews = _steps(tables, "CIN Plan Review", "Child in Need Review")
    assert set(reviews["PERSON_ID"]) <= set(cin["PERSON_ID"])
    assert 0.5 <= current["PERSON_ID"].isin(reviews["PERSON_ID"]).mean() < 1
    visits = tables["visits"]
    assert set(visits.loc[visits["VISIT_TYPE"] == "CIN", "PERSON_ID"]) <= set(cin["PERSON_ID"])


def test_late_assessments_give_a_reason_most_of_the_time(
    tables: dict[str, pd.DataFrame],
) -> None:
    steps = tables["workflow_steps"]
    explained = steps[steps["DELAY_REASON"] != ""]
    assert set(explained["STEP_TYPE"]) <= {"Child and Family Assessment", "C&F Assessment"}
    done = _steps(tables, "Child and Family Assessment", "C&F Assessment")
    contacts = tables["contacts"]
    received = contacts.set_index("PERSON_ID")["RECEIVED_ON"]
    assert len(explained) >= 3
    # No assessment finished within a week of its start has a reason.
    quick = _dates(done["COMPLETED_ON"]) - _dates(done["STARTED_ON"]) <= pd.Timedelta(days=7)
    assert (done.loc[quick, "DELAY_REASON"] == "").all()
    assert len(received) > 0


def test_looked_after_children_have_care_plans_health_assessments_and_peps(
    tables: dict[str, pd.DataFrame],
) -> None:
    placements = tables["placements"]
    in_care = set(placements.loc[placements["END_DATE"] == "", "PERSON_ID"])
    for types, share in (
        (("Care Plan",), 0.6),
        (("Initial Health Assessment",), 0.5),
        (("Review Health Assessment",), 0.4),
    ):
        have = set(_steps(tables, *types)["PERSON_ID"])
        assert share <= len(have & in_care) / len(in_care) < 1, types
    peps = set(_steps(tables, "Personal Education Plan")["PERSON_ID"])
    born = _dates(tables["persons"].set_index("PERSON_ID")["DATE_OF_BIRTH"])
    assert (born.reindex(sorted(peps)) <= pd.Timestamp(END) - pd.DateOffset(years=4)).all()
    assert peps <= in_care


def test_care_leavers_have_needs_assessments_and_pathway_plans(
    tables: dict[str, pd.DataFrame],
) -> None:
    born = _dates(tables["persons"].set_index("PERSON_ID")["DATE_OF_BIRTH"])
    for types in (("Needs Assessment",), ("Pathway Plan",)):
        people = sorted(set(_steps(tables, *types)["PERSON_ID"]))
        assert people, types
        assert (born.reindex(people) <= pd.Timestamp(END) - pd.DateOffset(years=16)).all()


def test_case_summaries_mostly_in_documents_some_elsewhere(
    tables: dict[str, pd.DataFrame],
) -> None:
    documents = tables["documents"]
    in_documents = set(documents.loc[documents["CATEGORY"] == "Case Summary", "PERSON_ID"])
    notes = tables["case_notes"]
    elsewhere = set(notes.loc[notes["NOTE_TYPE"] == "Case Summary", "PERSON_ID"]) | set(
        _steps(tables, "Case Summary")["PERSON_ID"]
    )
    assert len(in_documents) > 3 * len(elsewhere) > 0


# --- Timescales come from the rules ------------------------------------------------------------


def _rules_with(tmp_path: Path, rule: str, old: str, new: str) -> Path:
    """A copy of the default rules with one rule's text changed."""
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, folder, ignore=shutil.ignore_patterns("*.md"))
    path = folder / f"{rule}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


def _visit_gaps(folder: Path) -> pd.Series:
    visits = pd.read_csv(folder / "visits.csv", dtype=str, keep_default_na=False)
    cla = visits[visits["VISIT_TYPE"] == "CLA"]
    day = _dates(cla["ACTUAL_DATE"])
    return day.groupby(cla["PERSON_ID"]).diff().dt.days.dropna()


def test_a_longer_interval_in_a_rule_spaces_the_evidence_further_apart(tmp_path: Path) -> None:
    rules = _rules_with(tmp_path, "cla-visits", "every: 6 weeks", "every: 10 weeks")
    generate_export(tmp_path / "default", children=150, seed=5, end_date=END)
    generate_export(tmp_path / "longer", children=150, seed=5, end_date=END, rules=rules)
    before, after = _visit_gaps(tmp_path / "default"), _visit_gaps(tmp_path / "longer")
    # Compliant gaps are drawn from half the interval up to a day short of it.
    assert before.median() < 42 <= after.median() < 70
    same = ("persons.csv", "placements.csv")
    for name in same:
        assert (tmp_path / "default" / name).read_bytes() == (
            tmp_path / "longer" / name
        ).read_bytes()


def test_a_rule_without_the_timescale_stops_the_generator(tmp_path: Path) -> None:
    rules = _rules_with(tmp_path, "cla-visits", "  every-6-weeks:", "  every-2-months:")
    with pytest.raises(RuleFileError) as caught:
        generate_export(tmp_path / "out", children=5, seed=0, rules=rules)
    assert str(caught.value) == (
        f"{rules / 'cla-visits.yaml'}: the generator draws its sample around checks > "
        "every-6-weeks > every, which this rule no longer has. Point "
        "casecheck/generate/timescales.py at where the rule now says it."
    )
    assert not (tmp_path / "out").exists()


def test_a_timescale_in_another_unit_stops_the_generator(tmp_path: Path) -> None:
    rules = _rules_with(
        tmp_path, "placement-plan-per-move", "after: 5 working days", "after: 7 days"
    )
    with pytest.raises(RuleFileError) as caught:
        generate_export(tmp_path / "out", children=5, seed=0, rules=rules)
    assert str(caught.value) == (
        f"{rules / 'placement-plan-per-move.yaml'}: at checks > plan > window > after: the "
        "generator draws this timescale in working days, not 7 days. Teach "
        "casecheck/generate/timescales.py and the generator the new unit."
    )


def test_a_missing_rule_stops_the_generator(tmp_path: Path) -> None:
    rules = _rules_with(tmp_path, "cla-visits", "id: cla-visits", "id: cla-visits")
    (rules / "return-home-interview.yaml").unlink()
    with pytest.raises(RuleFileError) as caught:
        generate_export(tmp_path / "out", children=5, seed=0, rules=rules)
    assert str(caught.value) == (
        f"{rules / 'return-home-interview.yaml'}: the generator draws its sample around this "
        "rule's checks > offered > within, and there is no such rule. Point "
        "casecheck/generate/timescales.py at the rule that now checks it."
    )
