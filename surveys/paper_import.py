"""Files of keyed sheets: recognising CSV and XLSX by their content, reading them into
rows, and writing spreadsheets that are safe to open (templates and exports).

The import itself (all or nothing) is `paper_services.paper_entries_import`; this module
turns bytes into `ImportRow`s, or into the list of every problem found.
"""

import csv
import io
import zipfile

from django.utils.translation import gettext_lazy as _

from checklist.definition import ChecklistDef

from .paper_answers import parse_keyed
from .paper_services import ImportRow, RowError

FILE_TOO_LARGE = _("The file is larger than %(limit)s. Split it into smaller files.")
NOT_A_TABLE = _("This is not a CSV or XLSX file. Save the spreadsheet as Excel workbook (.xlsx) or as CSV (UTF-8).")
OLD_EXCEL = _("This is an old Excel file (.xls). Save it as Excel workbook (.xlsx) and upload it again.")
BROKEN_XLSX = _("This XLSX file cannot be read: it is damaged or protected with a password.")
EMPTY_FILE = _("The file has no rows of answers.")
NO_SERIAL_COLUMN = _("The first row must hold the column names of the template; the column “serial” is missing.")
UNKNOWN_COLUMN = _("Unknown column: no question of this checklist has this code.")
MISSING_COLUMN = _("This column of the template is missing.")
DUPLICATE_COLUMN = _("This column appears more than once.")
FORMULA_CELL = _("Formulas are not accepted: type the value itself.")
SERIAL_COLUMN = "serial"
HEADER_ROW = 1

# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection,
# OWASP). Every cell we write is prefixed with ' when it starts with one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NOT_TABLES = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"MZ",
    b"\x7fELF",
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: the old Office formats


class UnreadableFile(Exception):
    """The whole file is refused; `message` says why."""

    def __init__(self, message):
        self.message = str(message)
        super().__init__(self.message)


def neutralise(value) -> object:
    """A cell value made safe for a spreadsheet program: text starting with = + - @ (or a
    tab or carriage return) gets a leading apostrophe, so it is shown, never run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def sniff(data: bytes) -> str:
    """ "xlsx" or "csv", judged by the bytes and never by the file name; else UnreadableFile."""
    if data.startswith(_OLE2):
        raise UnreadableFile(OLD_EXCEL)
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            raise UnreadableFile(BROKEN_XLSX) from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise UnreadableFile(NOT_A_TABLE)
    if any(data.startswith(magic) for magic in _NOT_TABLES) or b"\x00" in data[:65536]:
        raise UnreadableFile(NOT_A_TABLE)
    return "csv"


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel with Russian regional settings saves "CSV" in Windows-1251.
        text = data.decode("cp1251", errors="strict") if _plausible_cp1251(data) else None
        if text is None:
            raise UnreadableFile(NOT_A_TABLE) from None
    controls = sum(1 for char in text[:65536] if ord(char) < 32 and char not in "\t\r\n")
    if controls:
        raise UnreadableFile(NOT_A_TABLE)
    return text


def _plausible_cp1251(data: bytes) -> bool:
    try:
        data.decode("cp1251")
    except UnicodeDecodeError:
        return False
    return True


def read_table(data: bytes) -> list[list]:
    """All rows of the first sheet (XLSX) or of the CSV, header first, cells as read."""
    if sniff(data) == "xlsx":
        return _read_xlsx(data)
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _read_xlsx(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged or encrypted file
        raise UnreadableFile(BROKEN_XLSX) from None
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    cells.append(_Formula(cell.value))
                else:
                    cells.append(cell.value)
            rows.append(cells)
        return rows
    finally:
        workbook.close()


class _Formula(str):
    """A formula found in an XLSX cell: refused, whatever the column."""


def _blank_row(cells) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def rows_from_table(definition: ChecklistDef, table: list[list]) -> tuple[list[ImportRow], list[RowError]]:
    """Check the columns and read each row into an ImportRow (values typed as the entry form
    types them). Column problems are reported on row 1; cells that can't be read on theirs."""
    if not table or _blank_row(table[0]):
        return [], [RowError(HEADER_ROW, "", str(EMPTY_FILE))]
    header = [str(cell).strip() if cell is not None else "" for cell in table[0]]
    while header and header[-1] == "":
        header.pop()
    errors: list[RowError] = []
    if SERIAL_COLUMN not in header:
        errors.append(RowError(HEADER_ROW, SERIAL_COLUMN, str(NO_SERIAL_COLUMN)))
    seen = set()
    for name in header:
        if name in seen:
            errors.append(RowError(HEADER_ROW, name, str(DUPLICATE_COLUMN)))
        seen.add(name)
        if name != SERIAL_COLUMN and name not in definition.by_code:
            errors.append(RowError(HEADER_ROW, name or "—", str(UNKNOWN_COLUMN)))
    for item in definition.items:
        if item.code not in seen:
            errors.append(RowError(HEADER_ROW, item.code, str(MISSING_COLUMN)))
    if errors:
        return [], errors
    rows = []
    for index, cells in enumerate(table[1:], start=HEADER_ROW + 1):
        if _blank_row(cells):
            continue
        values = dict(zip(header, list(cells) + [None] * (len(header) - len(cells)), strict=False))
        bad = [name for name, value in values.items() if isinstance(value, _Formula)]
        errors.extend(RowError(index, name, str(FORMULA_CELL)) for name in bad)
        serial = values.pop(SERIAL_COLUMN)
        if not bad and _blank_row(values.values()):
            continue  # a serial of the template that nobody filled in
        answers = {}
        for code, value in values.items():
            if code in bad:
                continue
            parsed = parse_keyed(definition.by_code[code], value)
            if parsed is not None and parsed != []:
                answers[code] = parsed
        rows.append(ImportRow(row=index, serial="" if serial is None else str(serial), answers=answers))
    if not rows and not errors:
        errors.append(RowError(HEADER_ROW, "", str(EMPTY_FILE)))
    return rows, errors


def template_header(definition: ChecklistDef) -> list[str]:
    return [SERIAL_COLUMN, *(item.code for item in definition.items)]


def write_csv(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads Cyrillic), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise("" if cell is None else cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(header: list[str], rows: list[list], notes: list[str] | None = None) -> bytes:
    """One sheet of data (cells neutralised, all as text so Excel keeps 000123 and 1 3) and,
    when given, a second sheet of notes."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("entries")
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise("" if cell is None else str(cell)) for cell in row])
    if notes:
        help_sheet = workbook.create_sheet("help")
        for line in notes:
            help_sheet.append([neutralise(line)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
