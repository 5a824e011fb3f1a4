"""An import reads a file only within bounds: rows, columns, cells, seconds, and what an
XLSX unpacks to (PAPER_IMPORT_MAX_*). A file past one of them fails its job at once with a
message saying which, and nothing is stored (issue 9, item 4: a 110 KB XLSX of 60 rows of
16,000 cells took a web worker past gunicorn's timeout; 400,000 rows took 22 s)."""

import time
from types import SimpleNamespace

import pytest
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.formats import number_format

from surveys import paper_import
from surveys.paper_import import (
    TOO_MANY_CELLS,
    TOO_MANY_COLUMNS,
    TOO_MANY_ROWS,
    TOO_SLOW,
    UNPACKS_TOO_LARGE,
)
from surveys.paper_models import ImportJob, PaperEntry

from .importing import a_file, csv_bytes, inline_cell, post_upload, sheet_xml, template_rows, upload, workbook


def grouped(number, language="ru") -> str:
    """A limit as the messages write it: digits grouped in the uploader's language."""
    with translation.override(language):
        return number_format(number, decimal_pos=0, force_grouping=True)


def said(message, language="ru", **params) -> str:
    with translation.override(language):
        return str(message) % params


@pytest.fixture
def header(definition):
    return template_rows(definition, [])[0]


def test_the_reported_workbook_of_60_rows_of_16000_cells_is_stored_at_once_and_refused_at_its_first_row(
    login, coordinator, paper_batch, django_capture_on_commit_callbacks
):
    cells = inline_cell("1") * 16_000
    content = workbook(sheet_xml(body=f"<row>{cells}</row>" * 60))
    assert len(content) < 150_000  # the size of the file in the report: 110 KB
    client = login(coordinator)
    started = time.monotonic()
    with django_capture_on_commit_callbacks():  # the upload alone
        response = post_upload(client, paper_batch, a_file(content, "entries.xlsx"))
    uploaded = time.monotonic() - started
    assert response.status_code == 302 and ImportJob.objects.get().status == "uploaded"
    started = time.monotonic()
    job, page = upload(client, paper_batch, a_file(content, "entries.xlsx"))
    checked = time.monotonic() - started
    # Reading all of it took 30 s and more; the job stops at cell 501 of row 1.
    assert uploaded < 5 and checked < 10, (uploaded, checked)
    assert job.status == "failed"
    assert job.error == said(TOO_MANY_COLUMNS, row=grouped(1), limit=grouped(500))
    assert job.error in page.content.decode()
    assert not PaperEntry.objects.exists()


def test_a_file_of_400000_rows_is_refused_by_the_row_limit(login, coordinator, paper_batch, header):
    content = csv_bytes([header]) + b"x\n" * 400_000
    started = time.monotonic()
    job, page = upload(login(coordinator), paper_batch, a_file(content))
    assert time.monotonic() - started < 10  # it stops reading at the limit
    assert job.status == "failed" and job.error == said(TOO_MANY_ROWS, limit=grouped(20_000))
    assert job.progress <= 20_000 and not PaperEntry.objects.exists()


def test_the_row_limit_counts_the_rows_after_the_header(
    login, coordinator, paper_batch, definition, sheet_answers, settings
):
    settings.PAPER_IMPORT_MAX_ROWS = 3
    serials = list(paper_batch.sheets.values_list("serial", flat=True))
    fits = template_rows(definition, [(serial, sheet_answers) for serial in serials])  # three rows: fine
    job, _page = upload(login(coordinator), paper_batch, a_file(csv_bytes(fits)))
    assert job.status == "committed"
    too_many = csv_bytes(template_rows(definition, [])) + b"x\n" * 4
    job, _page = upload(login(coordinator), paper_batch, a_file(too_many))
    assert job.error == said(TOO_MANY_ROWS, limit=grouped(3))


def test_a_file_with_more_cells_than_the_limit_is_refused(login, coordinator, paper_batch, header, settings):
    settings.PAPER_IMPORT_MAX_CELLS = len(header) + 10  # the header fits, a second row of as many cells not
    job, _page = upload(login(coordinator), paper_batch, a_file(csv_bytes([header, header])))
    assert job.status == "failed" and job.error == said(TOO_MANY_CELLS, limit=grouped(len(header) + 10))


def test_a_row_wider_than_the_column_limit_is_refused_even_past_the_header(
    login, coordinator, paper_batch, header, settings
):
    settings.PAPER_IMPORT_MAX_COLUMNS = len(header) + 5
    content = csv_bytes([header, ["x"] * len(header), ["x"] * (len(header) + 6)])
    job, _page = upload(login(coordinator), paper_batch, a_file(content))
    assert job.error == said(TOO_MANY_COLUMNS, row=grouped(3), limit=grouped(len(header) + 5))


def test_a_file_that_takes_longer_than_the_time_limit_is_refused(
    login, coordinator, paper_batch, header, monkeypatch
):
    ticks = iter(range(0, 10**6, 200))  # every look at the clock, 200 s later
    monkeypatch.setattr(paper_import, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    job, _page = upload(login(coordinator), paper_batch, a_file(csv_bytes([header, header])))
    assert job.status == "failed" and job.error == said(TOO_SLOW, seconds=grouped(120))


def test_a_cell_far_to_the_right_is_refused_by_the_column_limit(login, coordinator, paper_batch):
    # openpyxl would fill the 16,383 cells before it.
    content = workbook(sheet_xml(body=f'<row>{inline_cell("serial")}{inline_cell("x", "XFD1")}</row>'))
    job, _page = upload(login(coordinator), paper_batch, a_file(content, "entries.xlsx"))
    assert job.error == said(TOO_MANY_COLUMNS, row=grouped(1), limit=grouped(500))


def test_a_row_numbered_a_million_is_refused_by_the_row_limit(login, coordinator, paper_batch, header):
    # openpyxl would give the million empty rows before it.
    body = "<row>" + "".join(inline_cell(name) for name in header) + '</row><row r="1048576"><c/></row>'
    job, _page = upload(login(coordinator), paper_batch, a_file(workbook(sheet_xml(body=body)), "entries.xlsx"))
    assert job.error == said(TOO_MANY_ROWS, limit=grouped(20_000))


def test_a_sheet_whose_dimensions_claim_the_whole_grid_is_read_as_what_it_holds(
    login, coordinator, paper_batch, definition, sheet_answers
):
    serial = paper_batch.sheets.order_by("number").first().serial
    rows = template_rows(definition, [(serial, sheet_answers)])
    content = workbook(sheet_xml(rows, before='<dimension ref="A1:XFD1048576"/>'))
    started = time.monotonic()
    job, _page = upload(login(coordinator), paper_batch, a_file(content, "entries.xlsx"))
    assert job.status == "committed" and time.monotonic() - started < 10
    assert PaperEntry.objects.get().answers == sheet_answers


def test_an_xlsx_that_unpacks_to_far_more_than_an_upload_may_hold_is_refused(
    login, coordinator, paper_batch, header, settings
):
    settings.PAPER_IMPORT_MAX_BYTES = 50_000  # so an XLSX may unpack to 1 MB
    padding = "<row>" + inline_cell(" " * 10_000) + "</row>"
    content = workbook(sheet_xml(body="<row>" + "".join(inline_cell(n) for n in header) + "</row>" + padding * 200))
    assert len(content) < 50_000
    job, _page = upload(login(coordinator), paper_batch, a_file(content, "entries.xlsx"))
    with translation.override("ru"):
        limit = filesizeformat(20 * 50_000)
    assert job.error == said(UNPACKS_TOO_LARGE, limit=limit)
    assert not PaperEntry.objects.exists()


def test_a_limit_is_told_in_the_uploaders_language(login, coordinator, paper_batch, header, settings):
    from django.urls import reverse

    settings.PAPER_IMPORT_MAX_ROWS = 1
    client = login(coordinator)
    client.post(reverse("set_language"), {"language": "kk"})
    job, _page = upload(client, paper_batch, a_file(csv_bytes([header]) + b"x\ny\n"))
    assert job.language == "kk" and job.error == said(TOO_MANY_ROWS, "kk", limit=grouped(1, "kk"))
