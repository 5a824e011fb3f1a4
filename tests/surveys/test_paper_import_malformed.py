"""A malformed file fails its import job with a message saying what is wrong, and nothing
is stored: never an error page (issue 9, item 5). The whole file passes one rule, wherever
a character is: a control character 100 KB into a CSV is refused like one in its first row,
where only the first 64 KiB used to be looked at."""

import io
import zipfile

import pytest

from surveys.models import Response
from surveys.paper_import import BROKEN_CSV, BROKEN_XLSX, NO_WORKSHEET, NOT_TEXT
from surveys.paper_models import PaperEntry, Sheet

from .importing import SHEET_PART, a_file, csv_bytes, in_russian, sheet_xml, template_rows, upload, workbook


@pytest.fixture
def sheets(paper_batch):
    return list(paper_batch.sheets.order_by("number"))


@pytest.fixture
def good_rows(definition, sheets, sheet_answers):
    return template_rows(definition, [(sheet.serial, sheet_answers) for sheet in sheets])


def nothing_stored() -> bool:
    return (
        not PaperEntry.objects.exists()
        and not Response.objects.exists()
        and set(Sheet.objects.values_list("status", flat=True)) == {"printed"}
    )


def failed_with(job, page, message) -> bool:
    return job.status == "failed" and job.error == message and page.status_code == 200 and (
        message in page.content.decode()
    )


def test_a_workbook_whose_sheet_is_cut_short_fails_with_a_message(login, coordinator, paper_batch, good_rows):
    cut = sheet_xml(good_rows)[:-40]  # the last row and the closing tags are missing
    job, page = upload(login(coordinator), paper_batch, a_file(workbook(cut), "entries.xlsx"))
    assert failed_with(job, page, in_russian(BROKEN_XLSX)) and nothing_stored()


def test_a_workbook_without_its_sheet_part_fails_with_a_message(login, coordinator, paper_batch):
    job, page = upload(login(coordinator), paper_batch, a_file(workbook(None), "entries.xlsx"))
    assert failed_with(job, page, in_russian(NO_WORKSHEET)) and nothing_stored()


def test_a_workbook_that_lists_no_sheet_fails_with_a_message(login, coordinator, paper_batch, good_rows):
    content = workbook(sheet_xml(good_rows), list_sheet=False)
    job, page = upload(login(coordinator), paper_batch, a_file(content, "entries.xlsx"))
    assert failed_with(job, page, in_russian(NO_WORKSHEET)) and nothing_stored()


def test_a_workbook_whose_sheet_does_not_unpack_fails_with_a_message(login, coordinator, paper_batch, good_rows):
    content = bytearray(workbook(sheet_xml(good_rows * 50)))
    archive = zipfile.ZipFile(io.BytesIO(bytes(content)))
    info = archive.getinfo(SHEET_PART)
    data_start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = data_start + info.compress_size // 2
    content[middle : middle + 16] = b"\xff" * 16  # damaged compressed bytes
    job, page = upload(login(coordinator), paper_batch, a_file(bytes(content), "entries.xlsx"))
    assert failed_with(job, page, in_russian(BROKEN_XLSX)) and nothing_stored()


def _far_into_the_file(good_rows, bad_row: list[str]) -> tuple[bytes, int]:
    """Two good rows, then blank template rows past the first 64 KiB, then `bad_row`; and
    the row number of `bad_row` in the spreadsheet."""
    blanks = [[""] * len(good_rows[0])] * 3000
    table = good_rows[:3] + blanks + [bad_row]
    content = csv_bytes(table)
    assert content.index(bad_row[0].encode()) > 100 * 1024
    return content, len(table)


def _with_note(good_rows, note: str) -> list[str]:
    header = good_rows[0]
    row = list(good_rows[3])
    row[header.index("unsafe_place_type")] = "8"  # "another place": the note is asked for
    row[header.index("unsafe_place_note")] = note
    return row


def test_a_nul_100_kb_into_a_csv_fails_the_job_at_its_row_and_nothing_is_stored(
    login, coordinator, paper_batch, good_rows
):
    content, row = _far_into_the_file(good_rows, _with_note(good_rows, "рынок\x00"))
    job, page = upload(login(coordinator), paper_batch, a_file(content))
    assert failed_with(job, page, in_russian(NOT_TEXT, row=f"{row // 1000}\xa0{row % 1000:03d}"))
    assert nothing_stored()


@pytest.mark.parametrize("control", ["\x01", "\x08", "\x1b", "\x0c"])
def test_a_control_character_far_into_a_csv_is_refused_as_one_in_its_first_rows(
    login, client, coordinator, paper_batch, good_rows, control
):
    content, row = _far_into_the_file(good_rows, _with_note(good_rows, f"рынок{control}"))
    job, page = upload(login(coordinator), paper_batch, a_file(content))
    assert failed_with(job, page, in_russian(NOT_TEXT, row=f"{row // 1000}\xa0{row % 1000:03d}"))
    near = csv_bytes(good_rows[:1] + [_with_note(good_rows, f"рынок{control}")])
    job, page = upload(login(coordinator), paper_batch, a_file(near))
    assert failed_with(job, page, in_russian(NOT_TEXT, row="2"))
    assert nothing_stored()


def test_tabs_and_line_breaks_inside_a_cell_are_text(login, coordinator, paper_batch, good_rows):
    row = _with_note(good_rows, "рынок\tу\r\nвокзала")
    job, _page = upload(login(coordinator), paper_batch, a_file(csv_bytes(good_rows[:1] + [row])))
    assert job.status == "committed"
    assert PaperEntry.objects.get().answers["unsafe_place_note"] == "рынок\tу\r\nвокзала"


def test_a_csv_cell_longer_than_a_csv_reader_takes_fails_with_a_message(login, coordinator, paper_batch, good_rows):
    row = _with_note(good_rows, "x" * 200_000)
    job, page = upload(login(coordinator), paper_batch, a_file(csv_bytes(good_rows[:2] + [row])))
    assert failed_with(job, page, in_russian(BROKEN_CSV, row="3")) and nothing_stored()


def test_a_quotation_mark_that_is_never_closed_fails_with_a_message(login, coordinator, paper_batch, good_rows):
    content = csv_bytes(good_rows[:2]) + b'"' + b"x" * 1000
    job, page = upload(login(coordinator), paper_batch, a_file(content))
    assert failed_with(job, page, in_russian(BROKEN_CSV, row="3")) and nothing_stored()
