"""The synthetic export in the public file shapes of the presets: SSDA903 and the SSD.

The generator (casecheck.generate) writes one caseload in the default contract; this module
reshapes those same tables, vectorised, into the files and columns a council's SSDA903 return or
Standard Safeguarding Dataset extract has, so each preset can be run end to end on data that
looks like its input. Everything is made up: no real person appears. What the public shape adds
that the default caseload lacks (903 legal statuses, episodes split at a change of legal status,
temporary placements, short breaks; SSD referrals, plans and professionals) is drawn from a
generator seeded with the same seed, so the same arguments give byte-identical files.
"""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from casecheck.generate import TEAMS, generate_export

SHAPES = ("default", "ssda903", "ssd")
NULL = "NULL"

PLACE_CODES = {  # the generator's placement types as SSDA903 PLACE codes
    "Foster placement with relative or friend": "U1",
    "Foster placement with other foster carer": "U4",
    "Children's home": "K2",
    "Supported accommodation": "H5",
    "Placed with parents": "P1",
    "Residential school": "S1",
}
ETHNIC_CODES = {
    "White British": "WBRI",
    "White Other": "WOTH",
    "Mixed": "MOTH",
    "Asian or Asian British": "AOTH",
    "Black or Black British": "BOTH",
    "Other ethnic group": "OOTH",
    "Not stated": "NOBT",
}
CHANGE_REASONS = ("CARPL", "CLOSE", "ALLEG", "STAND", "APPRR", "CREQB", "CHILD", "LAREQ", "OTHER")
CEASED = ("E13", "E41", "E45", "E8")
TEMPORARY = ("T0", "T1", "T2", "T3", "T4")
CLA_REVIEW_TYPES = ("CLA Review", "Looked After Child Review")
ASSESSMENT_TYPES = ("Child and Family Assessment", "C&F Assessment")
ALLOCATED_ROLE = "Allocated Social Worker"
IRO_ROLE = "Independent Reviewing Officer"
IRO_TEAM = "Independent Reviewing Service"


def _read(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def _dates(values: pd.Series) -> pd.Series:
    """The generator's dates (YYYY-MM-DD, YYYY-MM-DD HH:MM or DD/MM/YYYY) as timestamps."""
    slash = values.str.contains("/", regex=False)
    out = pd.to_datetime(values.where(~slash), format="ISO8601")
    dmy = pd.to_datetime(values.where(slash), format="%d/%m/%Y")
    dates: pd.Series = out.where(~slash, dmy)
    return dates


def _dmy(values: pd.Series) -> pd.Series:
    """DD/MM/YYYY, blank for none: the 903 return's dates."""
    text: pd.Series = _dates(values).dt.strftime("%d/%m/%Y").fillna("")
    return text


def _sql(values: pd.Series) -> pd.Series:
    """SQL Server's datetime text (2010-03-31 00:00:00.000), NULL for none: the SSD's dates."""
    text: pd.Series = _dates(values).dt.strftime("%Y-%m-%d %H:%M:%S.000").fillna(NULL)
    return text


def _null(values: pd.Series) -> pd.Series:
    return values.where(values != "", NULL)


def _write(out_dir: Path, name: str, frame: pd.DataFrame) -> int:
    frame.to_csv(out_dir / f"{name}.csv", index=False, lineterminator="\n")
    return len(frame)


def _digits(ids: pd.Series) -> pd.Series:
    return ids.str.replace(r"^\D+", "", regex=True)


# --- SSDA903 ----------------------------------------------------------------------------------
def _episodes(
    placements: pd.DataFrame, rng: np.random.Generator, end_date: pd.Timestamp
) -> pd.DataFrame:
    """Placements as 903 episodes: some split at a change of legal status, some opened by a
    temporary placement, some children's care a series of short breaks (V3/V4)."""
    p = placements.assign(
        start=_dates(placements["START_DATE"]), end=_dates(placements["END_DATE"])
    ).reset_index(drop=True)
    rows = len(p)
    p["PLACE"] = p["PLACEMENT_TYPE"].map(PLACE_CODES).fillna("Z1")
    p["URN"] = np.where(
        p["PLACE"] == "P1", "XXXXXXX", [f"SC{n:06d}" for n in rng.permutation(rows) + 100000]
    )
    children = p["PERSON_ID"].unique()
    status = pd.Series(
        rng.choice(
            np.array(["V2", "C2", "C1", "V3", "V4"]), len(children), p=(0.4, 0.42, 0.1, 0.04, 0.04)
        ),
        index=children,
    )
    p["LS"] = p["PERSON_ID"].map(status)
    p["CIN"] = p["PERSON_ID"].map(
        pd.Series(rng.choice([f"N{i}" for i in range(1, 9)], len(children)), index=children)
    )
    last = p["end"].fillna(end_date)
    span = (last - p["start"]).dt.days.to_numpy()
    draw = rng.random(rows)
    # A temporary placement (T0-T4) of 2 to 60 days before the placement proper.
    temp = (draw < 0.08) & (span >= 70)
    temp_days = rng.integers(2, 61, rows)
    # A change of legal status (interim to full care order) part-way through the placement.
    split = (draw >= 0.08) & (draw < 0.23) & (span >= 30) & p["LS"].isin(["C1", "C2"]).to_numpy()
    split_days = (rng.random(rows) * np.maximum(span - 2, 1)).astype(int) + 1
    first = p.copy()
    second = p.copy()
    at = p["start"] + pd.to_timedelta(np.where(temp, temp_days, split_days), unit="D")
    first.loc[temp, "PLACE"] = rng.choice(np.array(TEMPORARY), int(temp.sum()))
    first.loc[temp, "URN"] = "XXXXXXX"
    first.loc[split, "LS"] = "C1"
    second.loc[split, "LS"] = "C2"
    first.loc[temp | split, "end"] = at[temp | split]
    second.loc[temp | split, "start"] = at[temp | split]
    second = second[temp | split]
    ep = pd.concat([first, second], ignore_index=True)
    ep = ep.sort_values(["PERSON_ID", "start"], kind="stable").reset_index(drop=True)
    same_child = ep["PERSON_ID"].eq(ep["PERSON_ID"].shift())
    follows = same_child & ep["start"].eq(ep["end"].shift())
    moved = ep["PLACE"].ne(ep["PLACE"].shift()) | ep["URN"].ne(ep["URN"].shift())
    legal = ep["LS"].ne(ep["LS"].shift())
    rne = np.select([~follows, moved & legal, moved], ["S", "T", "P"], "L")
    continues = ep["PERSON_ID"].eq(ep["PERSON_ID"].shift(-1)) & ep["end"].eq(ep["start"].shift(-1))
    rec = np.where(
        ep["end"].isna(), "", np.where(continues, "X1", rng.choice(np.array(CEASED), len(ep)))
    )
    reason = np.where(np.isin(rne, ["P", "T"]), rng.choice(np.array(CHANGE_REASONS), len(ep)), "")
    provider = np.where(
        ep["PLACE"] == "P1", "PR0", rng.choice(np.array(["PR1", "PR4", "PR5"]), len(ep))
    )
    district = pd.Series(rng.integers(1, 99, len(ep)).astype(str))
    return pd.DataFrame(
        {
            "CHILD": ep["PERSON_ID"],
            "DECOM": ep["start"].dt.strftime("%d/%m/%Y"),
            "RNE": rne,
            "LS": ep["LS"],
            "CIN": ep["CIN"],
            "PLACE": ep["PLACE"],
            "PLACE_PROVIDER": provider,
            "DEC": ep["end"].dt.strftime("%d/%m/%Y").fillna(""),
            "REC": rec,
            "REASON_PLACE_CHANGE": reason,
            "HOME_POST": "ZZ" + district + " 1",
            "PL_POST": "ZZ" + district.iloc[::-1].reset_index(drop=True) + " 2",
            "URN": ep["URN"],
        }
    )


def write_ssda903(
    default: Path, out_dir: Path, seed: int, end_date: datetime.date
) -> dict[str, int]:
    """The 903 return's header, episodes, reviews, missing and uasc files."""
    rng = np.random.default_rng([seed, 903])
    end = pd.Timestamp(end_date)
    persons = _read(default, "persons")
    placements = _read(default, "placements")
    looked_after = persons[persons["PERSON_ID"].isin(placements["PERSON_ID"])]
    sex = looked_after["GENDER"].map({"Male": "1", "Female": "2"})
    sex = sex.fillna(pd.Series(rng.choice(["1", "2"], len(sex)), index=sex.index))
    dob = _dmy(looked_after["DATE_OF_BIRTH"])
    header = pd.DataFrame(
        {
            "CHILD": looked_after["PERSON_ID"],
            "SEX": sex,
            "DOB": dob,
            "ETHNIC": looked_after["ETHNICITY"].map(ETHNIC_CODES).fillna("NOBT"),
            "UPN": "UN1",
            "MOTHER": "",
            "MC_DOB": "",
        }
    )
    dob_of = header.set_index("CHILD")["DOB"]
    steps = _read(default, "workflow_steps")
    steps = steps[
        steps["STEP_TYPE"].isin(CLA_REVIEW_TYPES)
        & (steps["STEP_STATUS"] == "COMPLETED")
        & (steps["COMPLETED_ON"] != "")
        & steps["PERSON_ID"].isin(header["CHILD"])
    ]
    reviews = pd.DataFrame(
        {
            "CHILD": steps["PERSON_ID"],
            "DOB": steps["PERSON_ID"].map(dob_of),
            "REVIEW": _dmy(steps["COMPLETED_ON"]),
            "REVIEW_CODE": rng.choice([f"PN{i}" for i in range(8)], len(steps)),
        }
    )
    missing = _read(default, "missing_episodes")
    missing = missing[missing["PERSON_ID"].isin(header["CHILD"])]
    missing_out = pd.DataFrame(
        {
            "CHILD": missing["PERSON_ID"],
            "DOB": missing["PERSON_ID"].map(dob_of),
            "MISSING": rng.choice(["M", "A"], len(missing), p=(0.8, 0.2)),
            "MIS_START": _dmy(missing["START_DATE"]),
            "MIS_END": _dmy(missing["END_DATE"]),
        }
    )
    uasc = looked_after[looked_after["UASC"] == "Y"]
    eighteen = _dates(uasc["DATE_OF_BIRTH"]) + pd.DateOffset(years=18)
    uasc_out = pd.DataFrame(
        {
            "CHILD": uasc["PERSON_ID"],
            "SEX": header.set_index("CHILD")["SEX"].reindex(uasc["PERSON_ID"]).to_numpy(),
            "DOB": _dmy(uasc["DATE_OF_BIRTH"]),
            "DUC": eighteen.where(eighteen <= end).dt.strftime("%d/%m/%Y").fillna(""),
        }
    )
    return {
        "header": _write(out_dir, "header", header),
        "episodes": _write(out_dir, "episodes", _episodes(placements, rng, end)),
        "reviews": _write(out_dir, "reviews", reviews),
        "missing": _write(out_dir, "missing", missing_out),
        "uasc": _write(out_dir, "uasc", uasc_out),
    }


# --- Standard Safeguarding Dataset -------------------------------------------------------------
def _ssd_people(default: Path, out_dir: Path, rng: np.random.Generator) -> dict[str, int]:
    """ssd_person, ssd_cin_episodes (one referral a child), ssd_contacts."""
    persons = _read(default, "persons")
    contacts = _read(default, "contacts")
    referral = "R" + _digits(persons["PERSON_ID"])
    first_contact = contacts.drop_duplicates("PERSON_ID").set_index("PERSON_ID")["RECEIVED_ON"]
    blank = pd.Series(NULL, index=persons.index)
    return {
        "ssd_person": _write(
            out_dir,
            "ssd_person",
            pd.DataFrame(
                {
                    "pers_person_id": persons["PERSON_ID"],
                    "pers_legacy_id": blank,
                    "pers_forename": blank,
                    "pers_surname": blank,
                    "pers_sex": persons["GENDER"].str[0],
                    "pers_gender": blank,
                    "pers_ethnicity": persons["ETHNICITY"].map(ETHNIC_CODES).fillna(NULL),
                    "pers_dob": _sql(persons["DATE_OF_BIRTH"]),
                    "pers_upn": blank,
                    "pers_expected_dob": blank,
                    "pers_death_date": blank,
                    "pers_nationality": blank,
                }
            ),
        ),
        "ssd_cin_episodes": _write(
            out_dir,
            "ssd_cin_episodes",
            pd.DataFrame(
                {
                    "cine_referral_id": referral,
                    "cine_person_id": persons["PERSON_ID"],
                    "cine_referral_date": _sql(persons["PERSON_ID"].map(first_contact).fillna("")),
                    "cine_cin_primary_need_code": rng.choice(
                        [f"N{i}" for i in range(1, 9)], len(persons)
                    ),
                    "cine_close_date": blank,
                }
            ),
        ),
        "ssd_contacts": _write(
            out_dir,
            "ssd_contacts",
            pd.DataFrame(
                {
                    "cont_contact_id": contacts["CONTACT_ID"],
                    "cont_person_id": contacts["PERSON_ID"],
                    "cont_contact_date": _sql(contacts["RECEIVED_ON"]),
                    "cont_contact_source_desc": NULL,
                    "cont_contact_outcome_json": NULL,
                }
            ),
        ),
    }


def _ssd_workers(default: Path, out_dir: Path) -> dict[str, int]:
    """ssd_involvements (allocated workers, and each looked-after child's IRO),
    ssd_professionals and ssd_department."""
    allocations = _read(default, "allocations")
    placements = _read(default, "placements")
    team_ids = {name: f"T{i:02d}" for i, name in enumerate([*TEAMS, IRO_TEAM], start=1)}
    workers = allocations.drop_duplicates("WORKER_ID").sort_values("WORKER_ID")
    iro = placements.drop_duplicates("PERSON_ID")
    iro_prof = "PR9" + (pd.Series(np.arange(len(iro)) % 4 + 1, index=iro.index)).astype(
        str
    ).str.zfill(3)
    involvements = pd.concat(
        [
            pd.DataFrame(
                {
                    "invo_involvements_id": allocations["ALLOCATION_ID"],
                    "invo_professional_id": "PR" + _digits(allocations["WORKER_ID"]),
                    "invo_professional_role_id": ALLOCATED_ROLE,
                    "invo_professional_team": allocations["TEAM_NAME"].map(team_ids),
                    "invo_referral_id": "R" + _digits(allocations["PERSON_ID"]),
                    "invo_involvement_start_date": _sql(allocations["START_DATE"]),
                    "invo_involvement_end_date": _sql(allocations["END_DATE"]),
                    "invo_worker_change_reason": NULL,
                }
            ),
            pd.DataFrame(
                {
                    "invo_involvements_id": "IRO" + _digits(iro["PERSON_ID"]),
                    "invo_professional_id": iro_prof,
                    "invo_professional_role_id": IRO_ROLE,
                    "invo_professional_team": team_ids[IRO_TEAM],
                    "invo_referral_id": "R" + _digits(iro["PERSON_ID"]),
                    "invo_involvement_start_date": _sql(iro["START_DATE"]),
                    "invo_involvement_end_date": NULL,
                    "invo_worker_change_reason": NULL,
                }
            ),
        ],
        ignore_index=True,
    )
    iro_ids = sorted(set(iro_prof))
    professionals = pd.DataFrame(
        {
            "prof_professional_id": ["PR" + d for d in _digits(workers["WORKER_ID"])] + iro_ids,
            "prof_staff_id": [*workers["WORKER_ID"], *(f"IRO{p[-1]}" for p in iro_ids)],
            "prof_social_worker_registration_no": NULL,
            "prof_agency_worker_flag": "N",
            "prof_professional_job_title": ["Social Worker"] * len(workers)
            + ["IRO"] * len(iro_ids),
            "prof_professional_department": [*workers["TEAM_NAME"], *([IRO_TEAM] * len(iro_ids))],
            "prof_full_time_equivalency": "1.00",
        }
    )
    department = pd.DataFrame(
        {
            "dept_team_id": list(team_ids.values()),
            "dept_team_name": list(team_ids),
            "dept_team_parent_id": NULL,
            "dept_team_parent_name": NULL,
        }
    )
    return {
        "ssd_involvements": _write(out_dir, "ssd_involvements", involvements),
        "ssd_professionals": _write(out_dir, "ssd_professionals", professionals),
        "ssd_department": _write(out_dir, "ssd_department", department),
    }


def _ssd_care(default: Path, out_dir: Path, rng: np.random.Generator) -> dict[str, int]:
    """ssd_cla_episodes and ssd_cla_placement (one episode a placement), ssd_cla_reviews."""
    p = _read(default, "placements").reset_index(drop=True)
    number = pd.Series(np.arange(1, len(p) + 1)).astype(str).str.zfill(7)
    cla_id = "LA" + _digits(p["PERSON_ID"])
    entered = p.groupby("PERSON_ID")["START_DATE"].transform("min")
    first = p["PERSON_ID"].ne(p["PERSON_ID"].shift())
    code = p["PLACEMENT_TYPE"].map(PLACE_CODES).fillna("Z1")
    episodes = pd.DataFrame(
        {
            "clae_cla_episode_id": "EP" + number,
            "clae_person_id": p["PERSON_ID"],
            "clae_cla_episode_start_date": _sql(p["START_DATE"]),
            "clae_cla_episode_start_reason": np.where(first, "S", "P"),
            "clae_cla_primary_need_code": rng.choice([f"N{i}" for i in range(1, 9)], len(p)),
            "clae_cla_id": cla_id,
            "clae_referral_id": "R" + _digits(p["PERSON_ID"]),
            "clae_cla_last_iro_contact_date": NULL,
            "clae_cla_episode_ceased_date": _sql(p["END_DATE"]),
            "clae_cla_placement_id": "CP" + number,
            "clae_entered_care_date": _sql(entered),
            "clae_cla_episode_ceased_reason": NULL,
        }
    )
    placement = pd.DataFrame(
        {
            "clap_cla_placement_id": "CP" + number,
            "clap_cla_placement_start_date": _sql(p["START_DATE"]),
            "clap_cla_placement_type": code,
            "clap_cla_placement_urn": np.where(code == "P1", "XXXXXXX", "SC" + number.str[1:]),
            "clap_cla_placement_distance": (rng.random(len(p)) * 30).round(2).astype(str),
            "clap_cla_id": cla_id,
            "clap_cla_placement_provider": np.where(code == "P1", "PR0", "PR1"),
            "clap_cla_placement_postcode": NULL,
            "clap_cla_placement_end_date": _sql(p["END_DATE"]),
            "clap_cla_placement_change_reason": np.where(
                p["END_DATE"] == "", NULL, rng.choice(np.array(CHANGE_REASONS), len(p))
            ),
        }
    )
    steps = _read(default, "workflow_steps")
    reviews = steps[
        steps["STEP_TYPE"].isin(CLA_REVIEW_TYPES)
        & (steps["STEP_STATUS"] == "COMPLETED")
        & (steps["COMPLETED_ON"] != "")
    ]
    return {
        "ssd_cla_episodes": _write(out_dir, "ssd_cla_episodes", episodes),
        "ssd_cla_placement": _write(out_dir, "ssd_cla_placement", placement),
        "ssd_cla_reviews": _write(
            out_dir,
            "ssd_cla_reviews",
            pd.DataFrame(
                {
                    "clar_cla_review_id": reviews["WORKFLOW_STEP_ID"],
                    "clar_cla_review_due_date": NULL,
                    "clar_cla_review_date": _sql(reviews["COMPLETED_ON"]),
                    "clar_cla_review_participation": rng.choice(
                        [f"PN{i}" for i in range(8)], len(reviews)
                    ),
                    "clar_cla_id": "LA" + _digits(reviews["PERSON_ID"]),
                    "clar_cla_review_cancelled": "N",
                    "clar_cla_person_id": reviews["PERSON_ID"],
                }
            ),
        ),
    }


def _ssd_visits(default: Path, out_dir: Path) -> dict[str, int]:
    """The three visit files (CLA by person, CIN and CP by plan) and the two plan files."""
    visits = _read(default, "visits")
    written: dict[str, int] = {}
    cla = visits[visits["VISIT_TYPE"] == "CLA"]
    written["ssd_cla_visits"] = _write(
        out_dir,
        "ssd_cla_visits",
        pd.DataFrame(
            {
                "clav_cla_id": "LA" + _digits(cla["PERSON_ID"]),
                "clav_cla_visit_id": cla["VISIT_ID"],
                "clav_cla_visit_date": _sql(cla["ACTUAL_DATE"]),
                "clav_cla_visit_seen": _null(cla["CHILD_SEEN"]),
                "clav_cla_visit_seen_alone": _null(cla["SEEN_ALONE"]),
                "clav_person_id": cla["PERSON_ID"],
            }
        ),
    )
    # The plans, as the SSD has them; each CIN or CP visit names the plan it was made under (the
    # child's latest plan of that kind started by the visit).
    plans = {"CIN": _read(default, "cin_plans"), "CP": _read(default, "cp_plans")}
    cin, cp = plans["CIN"], plans["CP"]
    written["ssd_cin_plans"] = _write(
        out_dir,
        "ssd_cin_plans",
        pd.DataFrame(
            {
                "cin_plan_id": cin["CIN_PLAN_ID"],
                "cinp_referral_id": "R" + _digits(cin["PERSON_ID"]),
                "cinp_person_id": cin["PERSON_ID"],
                "cinp_cin_plan_start_date": _sql(cin["START_DATE"]),
                "cinp_cin_plan_end_date": _sql(cin["END_DATE"]),
                "cinp_cin_plan_team": NULL,
                "cinp_cin_plan_worker_id": NULL,
            }
        ),
    )
    written["ssd_cp_plans"] = _write(
        out_dir,
        "ssd_cp_plans",
        pd.DataFrame(
            {
                "cppl_cp_plan_id": cp["CP_PLAN_ID"],
                "cppl_referral_id": "R" + _digits(cp["PERSON_ID"]),
                "cppl_icpc_id": NULL,
                "cppl_person_id": cp["PERSON_ID"],
                "cppl_cp_plan_start_date": _sql(cp["START_DATE"]),
                "cppl_cp_plan_end_date": _sql(cp["END_DATE"]),
                "cppl_cp_plan_initial_category": _null(cp["CATEGORY"]),
                "cppl_cp_plan_latest_category": _null(cp["CATEGORY"]),
            }
        ),
    )
    plan_keys = {"CIN": "CIN_PLAN_ID", "CP": "CP_PLAN_ID"}
    for kind, prefix in (("CIN", "cinv_cin"), ("CP", "cppv_cp")):
        rows = visits[visits["VISIT_TYPE"] == kind]
        plan_id = _plan_of(rows, plans[kind], plan_keys[kind])
        written[f"ssd_{kind.lower()}_visits"] = _write(
            out_dir,
            f"ssd_{kind.lower()}_visits",
            pd.DataFrame(
                {
                    f"{prefix}_visit_id": rows["VISIT_ID"],
                    f"{prefix}_plan_id": plan_id,
                    f"{prefix}_visit_date": _sql(rows["ACTUAL_DATE"]),
                    f"{prefix}_visit_seen": _null(rows["CHILD_SEEN"]),
                    f"{prefix}_visit_seen_alone": _null(rows["SEEN_ALONE"]),
                    f"{prefix}_visit_bedroom": NULL,
                }
            ),
        )
    return written


def _plan_of(visits: pd.DataFrame, plans: pd.DataFrame, key: str) -> pd.Series:
    """Each visit's plan: the child's latest plan started on or before the visit (NULL if none)."""
    left = pd.DataFrame(
        {"PERSON_ID": visits["PERSON_ID"], "day": _dates(visits["ACTUAL_DATE"])}, index=visits.index
    ).sort_values("day", kind="stable")
    right = pd.DataFrame(
        {"PERSON_ID": plans["PERSON_ID"], "day": _dates(plans["START_DATE"]), "plan": plans[key]}
    ).sort_values("day", kind="stable")
    matched = pd.merge_asof(left.reset_index(), right, on="day", by="PERSON_ID")
    plan: pd.Series = matched.set_index("index")["plan"].reindex(visits.index).fillna(NULL)
    return plan


def _ssd_steps(default: Path, out_dir: Path) -> dict[str, int]:
    """ssd_cin_assessments (authorised when completed) and ssd_missing."""
    steps = _read(default, "workflow_steps")
    a = steps[steps["STEP_TYPE"].isin(ASSESSMENT_TYPES) & (steps["STEP_STATUS"] != "CANCELLED")]
    done = a["STEP_STATUS"] == "COMPLETED"
    missing = _read(default, "missing_episodes")
    return {
        "ssd_cin_assessments": _write(
            out_dir,
            "ssd_cin_assessments",
            pd.DataFrame(
                {
                    "cina_assessment_id": a["WORKFLOW_STEP_ID"],
                    "cina_person_id": a["PERSON_ID"],
                    "cina_referral_id": "R" + _digits(a["PERSON_ID"]),
                    "cina_assessment_start_date": _sql(a["STARTED_ON"]),
                    "cina_assessment_child_seen": "Y",
                    "cina_assessment_auth_date": _sql(a["COMPLETED_ON"].where(done, "")),
                    "cina_assessment_outcome_json": NULL,
                    "cina_assessment_outcome_nfa": "N",
                    "cina_assessment_team": _null(a["RESPONSIBLE_TEAM"]),
                    "cina_assessment_worker_id": _null(a["ASSIGNEE_ID"]),
                }
            ),
        ),
        "ssd_missing": _write(
            out_dir,
            "ssd_missing",
            pd.DataFrame(
                {
                    "miss_table_id": missing["MISSING_EPISODE_ID"],
                    "miss_person_id": missing["PERSON_ID"],
                    "miss_missing_episode_start_date": _sql(missing["START_DATE"]),
                    "miss_missing_episode_type": "Missing",
                    "miss_missing_episode_end_date": _sql(missing["END_DATE"]),
                    "miss_missing_rhi_offered": _null(missing["RHI_OFFERED"]),
                    "miss_missing_rhi_accepted": NULL,
                }
            ),
        ),
    }


def write_ssd(default: Path, out_dir: Path, seed: int, end_date: datetime.date) -> dict[str, int]:
    """The SSD tables a preset reads, in their column shape, NULL for blank."""
    rng = np.random.default_rng([seed, 5])
    return {
        **_ssd_people(default, out_dir, rng),
        **_ssd_workers(default, out_dir),
        **_ssd_care(default, out_dir, rng),
        **_ssd_visits(default, out_dir),
        **_ssd_steps(default, out_dir),
    }


WRITERS: dict[str, Callable[[Path, Path, int, datetime.date], dict[str, int]]] = {
    "ssda903": write_ssda903,
    "ssd": write_ssd,
}


def generate_shape(
    out_dir: Path, shape: str, *, children: int, seed: int, end_date: datetime.date
) -> dict[str, int]:
    """Write the synthetic caseload into out_dir in `shape`; return the rows written per file."""
    if shape == "default":
        return generate_export(out_dir, children=children, seed=seed, end_date=end_date)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="casecheck-") as tmp:
        default = Path(tmp)
        generate_export(default, children=children, seed=seed, end_date=end_date)
        return WRITERS[shape](default, out_dir, seed, end_date)
