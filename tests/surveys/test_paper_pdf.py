"""The printable PDF of a batch: one questionnaire per sheet, its serial as text and as a
QR code on every page, the batch and district on every page, in the batch's language."""

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from checklist.models import Item, Option, Section
from checklist.services import checklist_new_version, checklist_publish
from surveys.paper_models import Batch
from surveys.paper_services import batch_create, batch_render_pdf

SERIAL = re.compile(r"[A-Z]{3}-[A-Z]{3}-\d{4}-\d{6}-[0-9A-Z*]")


@pytest.fixture
def rendered(paper_batch, media_root):
    batch = batch_render_pdf(batch_id=paper_batch.pk)
    return batch, PdfReader(io.BytesIO(batch.pdf.read()))


def _pages_text(reader):
    return [page.extract_text() for page in reader.pages]


def test_the_pdf_holds_every_sheet_with_the_same_number_of_pages_each(rendered):
    batch, reader = rendered
    serials = list(batch.sheets.order_by("number").values_list("serial", flat=True))
    found = [SERIAL.findall(text) for text in _pages_text(reader)]
    # Exactly one serial on each page, every sheet present, in order, on equally many pages.
    assert all(len(on_page) == 1 for on_page in found)
    per_page = [on_page[0] for on_page in found]
    pages_per_sheet = len(reader.pages) // len(serials)
    assert len(reader.pages) == pages_per_sheet * len(serials) and pages_per_sheet >= 1
    assert per_page == [serial for serial in serials for _ in range(pages_per_sheet)]


def test_every_page_names_the_batch_the_district_and_the_wave(rendered):
    batch, reader = rendered
    for text in _pages_text(reader):
        assert "KRG-KZB" in text and f"{batch.pk}" in text
        assert batch.district.name_ru in text
        assert batch.wave.name in text


def test_every_question_is_printed_with_its_option_values(rendered, definition):
    _batch, reader = rendered
    sheet_text = " ".join(_pages_text(reader)[: len(reader.pages) // 3])
    flat = re.sub(r"\s+", " ", sheet_text)
    for item in definition.items:
        assert item.question("ru")[:25] in flat, item.code
    # One numbering in every channel (issue 11, item 5): the last question carries the number the
    # online form gives it, and the end note counts the questions as the form's consent page does.
    assert f"{definition.numbers[definition.items[-1].code]}." in flat
    assert f"({definition.question_count}" in flat or f": {definition.question_count})" in flat
    assert "Затрудняюсь ответить" in flat


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs pdftoppm (poppler-utils)")
def test_the_qr_code_of_each_page_decodes_to_the_serial_printed_on_it(rendered, tmp_path):
    import zxingcpp
    from PIL import Image

    batch, reader = rendered
    pdf = tmp_path / "batch.pdf"
    pdf.write_bytes(batch.pdf.open("rb").read())
    subprocess.run(["pdftoppm", "-png", "-r", "110", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(reader.pages)
    for png, text in zip(pages, _pages_text(reader), strict=True):
        codes = zxingcpp.read_barcodes(Image.open(png))
        assert [code.text for code in codes] == SERIAL.findall(text)


def test_a_kazakh_batch_prints_kazakh_questions_and_district_names(survey_ready, district_a, coordinator, media_root):
    batch = batch_create(
        district=district_a, wave=survey_ready["wave"], language="kk", size=1, created_by=coordinator, render_pdf=False
    )
    reader = PdfReader(io.BytesIO(batch_render_pdf(batch_id=batch.pk).pdf.read()))
    text = re.sub(r"\s+", " ", " ".join(_pages_text(reader)))
    assert "Қараңғы түскеннен кейін" in text
    assert district_a.name_kk in text
    assert "ә" in text and "ұ" in text and "қ" in text


def test_a_new_checklist_version_prints_its_new_question_without_code_changes(
    survey_ready, checklist, district_a, coordinator, media_root
):
    draft = checklist_new_version(source=checklist)
    section = Section.objects.get(checklist=draft, code="E")
    item = Item.objects.create(
        section=section, code="unsafe_time", order=99, kind="single", text_ru="Когда вам страшнее всего?"
    )
    Option.objects.create(item=item, value=1, order=1, label_ru="Вечером")
    Option.objects.create(item=item, value=2, order=2, label_ru="Ночью")
    checklist_publish(checklist=draft)
    batch = batch_create(
        district=district_a, wave=survey_ready["wave"], language="ru", size=1, created_by=coordinator, render_pdf=False
    )
    assert batch.checklist == draft
    text = " ".join(_pages_text(PdfReader(io.BytesIO(batch_render_pdf(batch_id=batch.pk).pdf.read()))))
    assert "Когда вам страшнее всего?" in text and "Ночью" in text


def test_creating_a_batch_renders_its_pdf_through_the_task(
    survey_ready, district_a, coordinator, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = batch_create(
            district=district_a, wave=survey_ready["wave"], language="ru", size=2, created_by=coordinator
        )
    batch.refresh_from_db()
    assert batch.pdf_status == Batch.PdfStatus.READY and batch.pdf_progress == 2
    assert batch.pdf.name.endswith(".pdf")


def test_a_rendering_that_fails_is_recorded_on_the_batch(
    paper_batch, media_root, monkeypatch, django_capture_on_commit_callbacks
):
    from surveys import paper_pdf
    from surveys.tasks import render_batch_pdf

    def broken(*args, **kwargs):
        raise RuntimeError("font missing")

    monkeypatch.setattr(paper_pdf, "batch_pdf", broken)
    render_batch_pdf.delay(paper_batch.pk)
    paper_batch.refresh_from_db()
    assert paper_batch.pdf_status == Batch.PdfStatus.FAILED
    assert "font missing" in paper_batch.pdf_error


def test_rendering_twice_keeps_the_finished_pdf(rendered):
    batch, _reader = rendered
    name = batch.pdf.name
    assert batch_render_pdf(batch_id=batch.pk).pdf.name == name
