"""Helpers of the import-job tests: files to upload (a filled-in template as CSV, or an XLSX
built part by part so that it can be as malformed as a test needs), and the upload itself
through the batch's import page with the job's task run as a worker would run it."""

import csv
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from surveys.paper_import import template_header
from surveys.paper_models import ImportJob

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_PART = "xl/worksheets/sheet1.xml"


def keyed(value) -> str:
    if value is None:
        return ""
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def template_rows(definition, rows) -> list[list[str]]:
    """The template's header, then serial + keyed text of every item for each (serial, answers)."""
    header = template_header(definition)
    return [header] + [[serial] + [keyed(answers.get(code)) for code in header[1:]] for serial, answers in rows]


def csv_bytes(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table)
    return buffer.getvalue().encode("utf-8")


def inline_cell(text: str, reference: str = "") -> str:
    where = f' r="{reference}"' if reference else ""
    return f'<c{where} t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: list[list[str]] | None = None, *, body: str | None = None, before: str = "") -> bytes:
    """A worksheet: `rows` of inline text cells, or the raw XML `body` of its sheetData."""
    if body is None:
        body = "".join("<row>" + "".join(inline_cell(cell) for cell in row) + "</row>" for row in rows or [])
    return f'<?xml version="1.0"?><worksheet xmlns="{MAIN}">{before}<sheetData>{body}</sheetData></worksheet>'.encode()


def workbook(sheet: bytes | None, *, list_sheet: bool = True) -> bytes:
    """An XLSX (a zip of XML parts) with one worksheet part `sheet`; None leaves the part out
    of the zip, and `list_sheet=False` leaves the sheet out of the workbook's list."""
    sheets = '<sheet name="entries" sheetId="1" r:id="rId1"/>' if list_sheet else ""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets>{sheets}</sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        if sheet is not None:
            archive.writestr(SHEET_PART, sheet)
    return buffer.getvalue()


def a_file(content: bytes, name: str = "entries.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def post_upload(client, batch, file, **extra):
    """The upload alone: its answer, with the job's task NOT run (nothing committed yet)."""
    return client.post(reverse("paper:batch_import", args=[batch.pk]), {"file": file}, **extra)


def upload(client, batch, file, **extra):
    """Upload on the import page, let the job's task run, and return (job, the job's page)."""
    # The task is sent once the upload's transaction commits: these callbacks are that moment
    # inside the test's transaction, and Celery runs the task eagerly in tests.
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = post_upload(client, batch, file, **extra)
    assert response.status_code == 302, response.status_code
    job = ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    return job, client.get(response["Location"], **extra)


def in_russian(message, **params) -> str:
    with translation.override("ru"):
        return str(message) % params if params else str(message)
