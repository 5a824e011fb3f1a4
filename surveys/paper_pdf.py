"""The printable questionnaires of a batch: one PDF, one sheet per serial.

Laid out from the same checklist definition as the online survey (`definition_for`), so a
new checklist version prints without code changes. Consecutive questions that share their
answer options are printed as one grid (the usual layout of paper questionnaires); the
value of each option is printed beside its box, which is what the volunteer keys.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass

import segno
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from checklist.definition import ChecklistDef, ItemDef, pick
from checklist.models import translated

CHUNK = 25  # sheets whose headers are rendered together; progress is reported after each
HEADER_MM = 26  # the top margin of every page, where the sheet's header is stamped


@dataclass(frozen=True)
class PrintedItem:
    number: str
    item: ItemDef
    question: str
    help: str
    options: tuple[tuple[int, str], ...]
    condition: str  # "Only if ..." for a follow-up, else ""
    boxes: int  # character boxes for a short text (a bus route), else 0

    @property
    def box_slots(self) -> range:
        return range(self.boxes)


@dataclass(frozen=True)
class Block:
    grid: bool  # one table of several questions sharing the same options
    items: tuple[PrintedItem, ...]
    options: tuple[tuple[int, str], ...]

    @property
    def question_width(self) -> int:
        """Percent of the line for the question in a grid: the more options, the less."""
        return max(40, 88 - 8 * len(self.options))


@dataclass(frozen=True)
class PrintedSection:
    code: str
    title: str
    intro: str
    blocks: tuple[Block, ...]


def sheet_layout(definition: ChecklistDef, language: str) -> tuple[PrintedSection, ...]:
    numbers = definition.numbers
    sections = []
    for section in definition.sections:
        printed = [_printed_item(definition, item, numbers, language) for item in section.items]
        blocks: list[Block] = []
        for item in printed:
            last = blocks[-1] if blocks else None
            if (
                last is not None
                and _gridable(item)
                and _gridable(last.items[-1])
                and item.options == last.options
                and item.item.kind == last.items[-1].item.kind
            ):
                blocks[-1] = Block(grid=True, items=last.items + (item,), options=last.options)
            else:
                blocks.append(Block(grid=False, items=(item,), options=item.options))
        sections.append(
            PrintedSection(
                code=section.code,
                title=pick(section.title, language),
                intro=pick(section.intro, language),
                blocks=tuple(blocks),
            )
        )
    return tuple(sections)


def _gridable(item: PrintedItem) -> bool:
    return item.item.kind in ("likert", "single", "yes_no") and len(item.options) <= 6


def _printed_item(definition, item: ItemDef, numbers, language) -> PrintedItem:
    condition = ""
    if item.show_if_item:
        source = definition.by_code.get(item.show_if_item)
        labels = []
        for value in item.show_if_values:
            option = source.option(value) if source else None
            labels.append(f"«{option.text(language)}» ({value})" if option else str(value))
        condition = _("Only if the answer to question %(number)s is %(answers)s") % {
            "number": numbers.get(item.show_if_item, "?"),
            "answers": _(" or ").join(labels),
        }
    return PrintedItem(
        number=numbers[item.code],
        item=item,
        question=item.question(language),
        help=pick(item.help, language) if item.help else "",
        options=tuple((option.value, option.text(language)) for option in item.options),
        condition=condition,
        boxes=int(item.max_length) if item.kind == "place" and item.max_length and item.max_length <= 20 else 0,
    )


def qr_svg(serial: str) -> str:
    """The serial as a QR code, inline SVG without a fixed size (CSS sizes it)."""
    return segno.make(serial, error="m", micro=False).svg_inline(scale=1, border=2, omitsize=True)


def batch_pdf(batch, sheets, definition: ChecklistDef, progress: Callable[[int], None] | None = None):
    """Render the sheets of a batch. Returns (filename, mimetype, bytes).

    The questionnaire is laid out ONCE (WeasyPrint needs about half a second a page) and each
    sheet's header once (serial as text and QR code, district, wave, batch); every printed
    page then draws its sheet's header and its questionnaire page by reference (PDF form
    XObjects). A 50-sheet batch renders in seconds instead of minutes, and the file holds
    the questionnaire only once.
    """
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML

    language = batch.language
    with translation.override(language):
        context = {
            "batch": batch,
            "district_name": translated(batch.district, "name", language),
            "wave": batch.wave,
            "title": pick(definition.title, language),
            "consent": pick(definition.consent, language),
            "sections": sheet_layout(definition, language),
            "item_count": definition.question_count,
            "language": language,
            "top_margin_mm": HEADER_MM,
        }
        body = PdfReader(io.BytesIO(HTML(string=render_to_string("surveys/paper/pdf_body.html", context)).write_pdf()))
        writer = PdfWriter()
        forms = [_page_as_form(writer, page) for page in body.pages]
        done = 0
        width, height = body.pages[0].mediabox.width, body.pages[0].mediabox.height
        for start in range(0, len(sheets), CHUNK):
            chunk = sheets[start : start + CHUNK]
            stamps = [{"serial": sheet.serial, "qr": qr_svg(sheet.serial)} for sheet in chunk]
            html = render_to_string("surveys/paper/pdf_stamps.html", {**context, "stamps": stamps})
            for stamp in PdfReader(io.BytesIO(HTML(string=html).write_pdf())).pages:
                header = _page_as_form(writer, stamp)
                for body_form in forms:  # every page of the sheet: its header over the questionnaire
                    _page_of_forms(writer.add_blank_page(width, height), [header, body_form])
            done += len(chunk)
            if progress:
                progress(done)
    writer.add_metadata({"/Title": f"{context['title']} · {batch.label}"})
    buffer = io.BytesIO()
    writer.write(buffer)
    filename = f"sheets-{batch.district.code}-{batch.wave.code}-batch{batch.pk}.pdf"
    return filename, "application/pdf", buffer.getvalue()


def _page_as_form(writer, page):
    """A page of the questionnaire as a PDF Form XObject stored once in `writer`: each sheet
    draws it by reference, so 1,000 sheets do not hold 1,000 copies of the questionnaire.
    (pypdf's merge_page re-parses the whole page for every copy: 0.75 s a page.)"""
    from pypdf.generic import ArrayObject, DecodedStreamObject, NameObject

    contents = page["/Contents"].get_object()
    parts = [part.get_object() for part in contents] if isinstance(contents, ArrayObject) else [contents]
    form = DecodedStreamObject()
    form.set_data(b"\n".join(part.get_data() for part in parts))
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject(page.mediabox),
            NameObject("/Resources"): page["/Resources"].get_object().clone(writer),
        }
    )
    # pypdf has no public call to register a new stream object with a writer.
    return writer._add_object(form.flate_encode())


def _page_of_forms(page, forms) -> None:
    """Make `page` draw each form XObject in turn, each in its own graphics state."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    names = [f"/F{index}" for index in range(len(forms))]
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject(n): f for n, f in zip(names, forms, strict=True)})}
    )
    content = DecodedStreamObject()
    content.set_data(" ".join(f"q {name} Do Q" for name in names).encode())
    page[NameObject("/Contents")] = ArrayObject([page.indirect_reference.pdf._add_object(content)])
