"""Impossible orders of dates on one row are input problems naming file, row and column."""

from __future__ import annotations

import pandas as pd
from conftest import PERSONS, WriteExport, lines, load


def test_impossible_orders_are_reported_and_the_later_date_read_as_blank(
    write_export: WriteExport,
) -> None:
    folder = write_export(
        {
            "persons.csv": PERSONS,
            "missing_episodes.csv": """\
                MISSING_EPISODE_ID,PERSON_ID,START_DATE,END_DATE,RHI_DATE
                M1,000123,01/03/2024 10:00,03/03/2024 18:00,2024-03-02
                M2,000123,01/04/2024,03/04/2024 18:00,2024-04-03
            """,
            "contacts.csv": """\
                CONTACT_ID,PERSON_ID,RECEIVED_ON,DECISION_ON
                K1,000123,05/03/2024,04/03/2024
                K2,000123,05/03/2024 16:00,05/03/2024 09:00
            """,
            "workflow_steps.csv": """\
                WORKFLOW_STEP_ID,PERSON_ID,STEP_TYPE,STEP_STATUS,STARTED_ON,COMPLETED_ON
                S1,000123,Placement Plan,COMPLETED,10/03/2024,09/03/2024
            """,
        }
    )
    export = load(folder)
    assert lines(export) == [
        'workflow_steps.csv, row 2, COMPLETED_ON: "09/03/2024" is before STARTED_ON "10/03/2024" '
        "(a completion before the start). Correct COMPLETED_ON or STARTED_ON in Mosaic or in the "
        "export; until then COMPLETED_ON is read as blank.",
        'missing_episodes.csv, row 2, RHI_DATE: "2024-03-02" is before END_DATE "03/03/2024 18:00" '
        "(a return home interview before the return). Correct RHI_DATE or END_DATE in Mosaic or "
        "in the export; until then RHI_DATE is read as blank.",
        'contacts.csv, row 2, DECISION_ON: "04/03/2024" is before RECEIVED_ON "05/03/2024" '
        "(a decision before the contact was received). Correct DECISION_ON or RECEIVED_ON in "
        "Mosaic or in the export; until then DECISION_ON is read as blank.",
    ]
    # Every row is kept (the episode, the contact, the step happened); only the date is blank.
    assert export.counts["missing_episodes"].used == 2
    assert export.counts["contacts"].used == 2
    missing = export.tables["missing_episodes"].set_index("MISSING_EPISODE_ID")["RHI_DATE"]
    assert pd.isna(missing["M1"]) and missing["M2"] == pd.Timestamp("2024-04-03")
    contacts = export.tables["contacts"].set_index("CONTACT_ID")["DECISION_ON"]
    assert pd.isna(contacts["K1"]) and contacts["K2"] == pd.Timestamp("2024-03-05 09:00")
