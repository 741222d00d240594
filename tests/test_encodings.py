"""Encodings: UTF-8, UTF-8 with a BOM and Windows-1252 read the same; anything else is refused."""

from __future__ import annotations

import pytest
from conftest import WriteExport, lines, load
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casecheck.errors import ExportError
from casecheck.export.reading import parse_csv_bytes

SAVE_AS = 'Save it as "CSV UTF-8 (Comma delimited)" from Excel, or as UTF-8 from Mosaic.'
PERSONS = (
    "PERSON_ID,DATE_OF_BIRTH,GENDER,ETHNICITY\r\n"
    "000123,2010-01-05,F,Zoë paid £5 – “quoted”\r\n"
    '000124,05/01/2011,M,"Café, naïve\r\nsecond line"\r\n'
)
DOCUMENTS = (
    "DOCUMENT_ID,PERSON_ID,CATEGORY,TITLE,UPLOADED_ON\r\n"
    "D1,000123,Age Assessment,Zoë’s £ plan,2024-01-01\r\n"
)
ENCODINGS = [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")]


@pytest.mark.parametrize(("codec", "reported"), ENCODINGS)
def test_text_reads_the_same_in_every_accepted_encoding(
    write_export: WriteExport, codec: str, reported: str
) -> None:
    folder = write_export(
        {"persons.csv": PERSONS.encode(codec), "documents.csv": DOCUMENTS.encode(codec)}
    )
    export = load(folder)
    assert lines(export) == []
    assert export.encodings == {"persons": reported, "documents": reported}
    persons = export.tables["persons"]
    assert persons.columns[0] == "PERSON_ID"  # no BOM glued to the first header
    assert persons["PERSON_ID"].tolist() == ["000123", "000124"]
    assert persons["ETHNICITY"].tolist() == [
        "Zoë paid £5 – “quoted”",
        "Café, naïve\r\nsecond line",
    ]
    assert export.tables["documents"]["TITLE"].tolist() == ["Zoë’s £ plan"]


@pytest.mark.parametrize(("codec", "reported"), ENCODINGS)
def test_problem_rows_are_right_in_every_encoding(
    write_export: WriteExport, codec: str, reported: str
) -> None:
    text = "PERSON_ID,DATE_OF_BIRTH,GENDER\r\n1,2010-01-01,Zoë\r\n2,31/02/2010,£\r\n3\r\n"
    export = load(write_export({"persons.csv": text.encode(codec)}))
    assert [line.split(":")[0] for line in lines(export)] == [
        "persons.csv, row 3, DATE_OF_BIRTH",
        "persons.csv, row 4, DATE_OF_BIRTH",
    ]
    assert export.encodings["persons"] == reported


def test_utf16_with_bom_is_refused(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": PERSONS.encode("utf-16")})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        'persons.csv: is UTF-16 text (what Excel calls "Unicode Text"); casecheck reads UTF-8 '
        f"or Windows-1252. {SAVE_AS}"
    )


def test_utf16_without_bom_is_refused(write_export: WriteExport) -> None:
    folder = write_export({"persons.csv": PERSONS.encode("utf-16-le")})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        "persons.csv: has a NUL byte on line 1: it is UTF-16 or not a text file; casecheck "
        f"reads CSV text in UTF-8 or Windows-1252. {SAVE_AS}"
    )


def test_bytes_invalid_in_both_encodings_are_refused(write_export: WriteExport) -> None:
    data = b"PERSON_ID,DATE_OF_BIRTH,GENDER\r\n1,2010-01-01,F\r\n2,2010-01-01,\x81\r\n"
    folder = write_export({"persons.csv": data})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        "persons.csv: is neither UTF-8 nor Windows-1252: line 3 has a byte (0x81) that neither "
        f"encoding uses. {SAVE_AS}"
    )


def test_bom_then_bytes_that_are_not_utf8_are_refused(write_export: WriteExport) -> None:
    data = b"\xef\xbb\xbfPERSON_ID,DATE_OF_BIRTH,GENDER\r\n1,2010-01-01,Zo\xeb\r\n"
    folder = write_export({"persons.csv": data})
    with pytest.raises(ExportError) as caught:
        load(folder)
    assert str(caught.value) == (
        "persons.csv: starts with a UTF-8 byte-order mark, but line 2 has a byte (0xEB) that is "
        f"not UTF-8. {SAVE_AS}"
    )


def test_windows_1252_in_the_header(write_export: WriteExport) -> None:
    data = "PERSON_ID,DATE_OF_BIRTH,Référence\r\n1,2010-01-01,é\r\n".encode("cp1252")
    export = load(write_export({"persons.csv": data}))
    assert export.tables["persons"]["Référence"].tolist() == ["é"]


def test_windows_1252_late_in_a_large_file(write_export: WriteExport) -> None:
    rows = "".join(f"{n:06d},2010-01-01,F\r\n" for n in range(20_000))
    data = ("PERSON_ID,DATE_OF_BIRTH,GENDER\r\n" + rows + "999999,2010-01-01,Zoë\r\n").encode(
        "cp1252"
    )
    export = load(write_export({"persons.csv": data}))
    assert export.encodings["persons"] == "cp1252"
    assert export.tables["persons"]["GENDER"].iloc[-1] == "Zoë"
    assert export.counts["persons"].used == 20_001


CP1252_TEXT = st.text(
    alphabet=st.characters(codec="cp1252", exclude_characters="\x00"), max_size=12
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(st.lists(CP1252_TEXT, min_size=2, max_size=2), max_size=6))
def test_the_three_encodings_give_identical_strings(cells: list[list[str]]) -> None:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    text = "A,B\r\n" + "".join(",".join(quote(c) for c in row) + "\r\n" for row in cells)
    frames = {}
    for codec, reported in ENCODINGS:
        data = text.encode(codec)
        if codec == "cp1252" and _is_utf8(data):
            continue  # e.g. "Ã©": as valid in UTF-8 (é) as in Windows-1252; UTF-8 wins
        frame, found = parse_csv_bytes(data, "t.csv")
        assert found == reported
        frames[codec] = frame
        assert frame.astype(object).values.tolist() == cells
    assert all(frame.equals(frames["utf-8"]) for frame in frames.values())


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
