"""Files of keyed sheets: recognising CSV and XLSX by their content, reading them into
rows, and writing spreadsheets that are safe to open (templates and exports).

The import itself (all or nothing) is `paper_services.paper_entries_import`, run by an
import job (`paper_import_jobs`); this module turns bytes into `ImportRow`s, or into the
list of every problem found. Reading is bounded (`ReadLimits`: rows, columns, cells, time,
and what an XLSX unpacks to) and every cell of the file passes one rule, `checked_cell`.
"""

import csv
import io
import re
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from checklist.definition import ChecklistDef

from .paper_answers import parse_keyed
from .paper_services import ImportRow, RowError

FILE_TOO_LARGE = _("The file is larger than %(limit)s. Split it into smaller files.")
NOT_A_TABLE = _("This is not a CSV or XLSX file. Save the spreadsheet as Excel workbook (.xlsx) or as CSV (UTF-8).")
OLD_EXCEL = _("This is an old Excel file (.xls). Save it as Excel workbook (.xlsx) and upload it again.")
BROKEN_XLSX = _("This XLSX file cannot be read: it is damaged or protected with a password.")
NO_WORKSHEET = _("This XLSX file has no worksheet to read. Fill in the template and upload it again.")
BROKEN_CSV = _(
    "This CSV file cannot be read from row %(row)s on: a cell is too long, or a quotation mark is never closed. "
    "Save it again from the spreadsheet program."
)
NOT_TEXT = _(
    "Row %(row)s holds a character that is not text (a control character such as NUL), so this is not a CSV "
    "or XLSX file as a spreadsheet program saves it. Save it again and upload it once more."
)
TOO_MANY_ROWS = _("The file has more than %(limit)s rows of sheets. Split it into smaller files.")
TOO_MANY_COLUMNS = _(
    "Row %(row)s has more than %(limit)s columns. The template has one column per question: delete the others."
)
TOO_MANY_CELLS = _("The file has more than %(limit)s cells. Split it into smaller files.")
UNPACKS_TOO_LARGE = _("This XLSX file unpacks to more than %(limit)s. Split it into smaller files.")
TOO_SLOW = _("Reading this file took longer than %(seconds)s seconds. Split it into smaller files.")
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

# What no cell of a spreadsheet holds: the C0 control characters but tab, line feed and
# carriage return (NUL among them, which PostgreSQL cannot store), and lone surrogates.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# An XLSX is a zip of XML parts; what they may unpack to, per byte of the largest upload.
UNPACK_RATIO = 20


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
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            raise UnreadableFile(BROKEN_XLSX) from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise UnreadableFile(NOT_A_TABLE)
    if any(data.startswith(magic) for magic in _NOT_TABLES):
        raise UnreadableFile(NOT_A_TABLE)
    return "csv"


# ---------------------------------------------------------------------------- bounds


@dataclass(frozen=True)
class ReadLimits:
    """How much of a file the import reads before refusing it (docs/paper.md, settings
    PAPER_IMPORT_MAX_*): rows of sheets after the header, cells in one row (empty ones
    too), cells in all, seconds, and bytes an XLSX may unpack to."""

    rows: int
    columns: int
    cells: int
    seconds: float
    unpacked_bytes: int

    @classmethod
    def from_settings(cls) -> "ReadLimits":
        return cls(
            rows=settings.PAPER_IMPORT_MAX_ROWS,
            columns=settings.PAPER_IMPORT_MAX_COLUMNS,
            cells=settings.PAPER_IMPORT_MAX_CELLS,
            seconds=settings.PAPER_IMPORT_MAX_SECONDS,
            unpacked_bytes=UNPACK_RATIO * settings.PAPER_IMPORT_MAX_BYTES,
        )


class _Budget:
    """Counts what has been read against the limits; raises UnreadableFile at the first one
    passed, so that no file costs more than the limits allow, whatever its shape."""

    def __init__(self, limits: ReadLimits, clock: Callable[[], float]):
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.seconds
        self.cells = 0

    def row(self, number: int, width: int) -> None:
        """Row `number` (1 is the header) holds `width` cells."""
        if number > self.limits.rows + HEADER_ROW:
            raise UnreadableFile(TOO_MANY_ROWS % {"limit": _count(self.limits.rows)})
        self.cell(number, width)
        self.cells += width
        if self.cells > self.limits.cells:
            raise UnreadableFile(TOO_MANY_CELLS % {"limit": _count(self.limits.cells)})
        self.tick()

    def cell(self, row: int, column: int) -> None:
        if column > self.limits.columns:
            raise UnreadableFile(TOO_MANY_COLUMNS % {"row": _count(row), "limit": _count(self.limits.columns)})

    def tick(self) -> None:
        if self.clock() > self.deadline:
            raise UnreadableFile(TOO_SLOW % {"seconds": _count(self.limits.seconds)})


def _count(number) -> str:
    return number_format(number, decimal_pos=0, force_grouping=True)


def checked_cell(value, row: int):
    """The one rule every cell of every file passes, CSV or XLSX, wherever it is in the
    file: text must be text. A control character (NUL, ...) refuses the whole file."""
    if isinstance(value, str) and _NOT_TEXT.search(value):
        raise UnreadableFile(NOT_TEXT % {"row": _count(row)})
    return value


# ---------------------------------------------------------------------------- reading


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Excel with Russian regional settings saves "CSV" in Windows-1251.
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError:
        raise UnreadableFile(NOT_A_TABLE) from None


def read_table(
    data: bytes,
    *,
    limits: ReadLimits | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> list[list]:
    """All rows of the first sheet (XLSX) or of the CSV, header first, cells as read.

    Raises UnreadableFile for a file that is not a table, is damaged, holds a control
    character anywhere, or passes one of `limits` (rows, columns, cells, seconds); reading
    stops at the first limit passed. `progress(rows_read, rows_in_all)` is called per row.
    """
    budget = _Budget(limits or ReadLimits.from_settings(), clock or time.monotonic)
    progress = progress or (lambda done, total=None: None)
    if sniff(data) == "xlsx":
        return _read_xlsx(data, budget, progress)
    return _read_csv(data, budget, progress)


def _read_csv(data: bytes, budget: _Budget, progress) -> list[list]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    # strict: a quotation mark that is never closed is an error, not a cell running to the end.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list] = []
    while True:
        number = len(rows) + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a cell over csv's field limit, a quotation mark never closed, ...
            raise UnreadableFile(BROKEN_CSV % {"row": _count(number)}) from None
        budget.row(number, len(cells))
        rows.append([checked_cell(cell, number) for cell in cells])
        progress(number, None)
    return rows


def _read_xlsx(data: bytes, budget: _Budget, progress) -> list[list]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:
        raise UnreadableFile(BROKEN_XLSX) from None
    if unpacked > budget.limits.unpacked_bytes:
        raise UnreadableFile(UNPACKS_TOO_LARGE % {"limit": filesizeformat(budget.limits.unpacked_bytes)})
    # openpyxl reads every worksheet through once as it opens the workbook (to find its
    # size when the sheet does not say it), so each is measured before openpyxl sees it.
    parts = _worksheet_parts(data)
    if not parts:  # none listed, or none of those listed is in the zip
        raise UnreadableFile(NO_WORKSHEET)
    total = _scan_sheet(archive, parts[0], budget)
    for part in parts[1:]:
        _scan_sheet(archive, part, budget)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a damaged or encrypted file
        raise UnreadableFile(BROKEN_XLSX) from None
    try:
        if not workbook.worksheets:
            raise UnreadableFile(NO_WORKSHEET)
        sheet = workbook.worksheets[0]
        # The sheet's own dimensions may claim a million rows and 16,384 columns: openpyxl
        # would pad every row to them. Read what is there; _scan_sheet has bounded it.
        sheet.reset_dimensions()
        progress(0, total)
        rows: list[list] = []
        cells_of = iter(sheet.iter_rows())
        while True:
            number = len(rows) + 1
            try:
                row = next(cells_of)
            except StopIteration:
                break
            except Exception:  # a part that is not XML, a cell openpyxl cannot read, ...
                raise UnreadableFile(BROKEN_XLSX) from None
            budget.tick()
            cells = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    cells.append(_Formula(cell.value))
                else:
                    cells.append(checked_cell(cell.value, number))
            rows.append(cells)
            progress(number, total)
        return rows
    finally:
        workbook.close()


def _worksheet_parts(data: bytes) -> list[str]:
    """The zip members of the workbook's worksheets, in its order, as openpyxl finds them."""
    from openpyxl.reader.excel import ExcelReader

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, keep_links=False)
        reader.read_manifest()
        reader.read_workbook()
        return [
            rel.target
            for _sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
    except Exception:  # no manifest, a workbook part that is not XML, ...
        raise UnreadableFile(BROKEN_XLSX) from None


_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW, _CELL = f"{_SHEET_NS} row", f"{_SHEET_NS} c"  # as expat names them, namespace first
_CHUNK = 64 * 1024


def _scan_sheet(archive: zipfile.ZipFile, path: str, budget: _Budget) -> int:
    """Measure the worksheet's XML as a stream before openpyxl reads it, stopping at the
    first limit passed: rows (by their number), cells per row (by their column, as openpyxl
    fills the gaps), cells in all, time. Returns the number of rows. Nothing is kept, so a
    row of a million cells costs no more than reading up to the limit of columns."""
    from xml.parsers import expat

    state = {"row": 0, "rows": 0, "column": 0, "width": 0}

    def start(name, attributes):
        if name == _CELL:
            given = attributes.get("r")
            state["column"] = _column_of(given) if given else state["column"] + 1
            state["width"] = max(state["width"], state["column"])
            budget.cell(state["row"], state["width"])
        elif name == _ROW:
            given = attributes.get("r")
            state["row"] = int(given) if given else state["row"] + 1
            state["column"] = state["width"] = 0

    def end(name):
        if name == _ROW:
            state["rows"] = max(state["rows"], state["row"])
            budget.row(state["row"], state["width"])

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        with archive.open(path) as source:
            while chunk := source.read(_CHUNK):
                parser.Parse(chunk, False)
                budget.tick()
            parser.Parse(b"", True)
    except UnreadableFile:
        raise
    except Exception:  # not XML (truncated, ...), a bad cell reference, a damaged zip member
        raise UnreadableFile(BROKEN_XLSX) from None
    return state["rows"]


def _column_of(reference: str) -> int:
    """The column number of a cell reference such as "AB12"; ValueError when it is none."""
    letters = reference.rstrip("0123456789")
    if not letters or len(letters) > 3 or not letters.isalpha() or not letters.isascii():
        raise ValueError(reference)
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


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
