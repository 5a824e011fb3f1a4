"""Fixtures of the report-job tests: a private storage per test, responses to report on,
and a small but real renderer to stand in for reports.rendering where a test is about the
pipeline rather than the report's content."""

from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage

from reports import services
from reports.aggregation import wave_figures
from reports.data import load_frame, population
from reports.models import ReportFile
from surveys.models import Response
from tests.reports.seeding import seed_responses


@pytest.fixture(autouse=True)
def reports_storage(monkeypatch, tmp_path):
    """Report files of each test go to its own directory, never to the real REPORTS_ROOT.
    (The field resolved its storage when the model was defined, so it is replaced there.)"""
    root = tmp_path / "private-reports"
    monkeypatch.setattr(ReportFile._meta.get_field("file"), "storage", FileSystemStorage(location=root))
    return root


@pytest.fixture
def responses(survey_ready, definition):
    """12 responses in district A and 11 in district B for the open wave."""
    districts, wave, checklist = survey_ready["districts"], survey_ready["wave"], survey_ready["checklist"]
    for code, count, seed in (("KRG-KZB", 12, 1), ("KRG-TEM", 11, 2)):
        seed_responses(definition=definition, checklist=checklist, wave=wave, district=districts[code],
                       count=count, safety=0.5, seed=seed)
    return Response.objects.all()


@dataclass
class RenderedFile:
    filename: str
    mimetype: str
    content: bytes


class TinyRenderer:
    """render_report's signature and behaviour in small: real figures (load_frame +
    wave_figures) laid out as a one-table HTML page, progress reported per step, and an
    optional failure (`fail_with`) or hook (`during`) at the middle step."""

    def __init__(self):
        self.calls = []
        self.fail_with: BaseException | None = None
        self.during = None

    def __call__(self, *, scope, wave, language, formats, progress=None, snapshot=None):
        self.calls.append({"scope": scope, "wave": wave, "language": language, "formats": list(formats)})
        progress = progress or (lambda percent: None)
        progress(10)
        frame = load_frame(waves=[wave.code])
        figures = wave_figures(frame, population(), wave.code, min_cell=django_settings.REPORT_MIN_CELL)
        progress(50)
        if self.during:
            self.during()
        if self.fail_with is not None:
            raise self.fail_with
        unit = figures["region"] if scope == "region" else figures["districts"][scope.code]
        name = "region" if scope == "region" else scope.code
        index = unit["weighted"]["index"]["value"]
        html = f"<html lang='{language}'><body><h1>{name} {wave.code}</h1><p>n={unit['n']} index={index}</p></body>"
        files = []
        if "html" in formats:
            files.append(RenderedFile(f"{name}-{wave.code}-{language}.html", "text/html", html.encode()))
        if "pdf" in formats:
            from weasyprint import HTML

            pdf = HTML(string=html).write_pdf()
            files.append(RenderedFile(f"{name}-{wave.code}-{language}.pdf", "application/pdf", pdf))
        progress(100)
        return files


@pytest.fixture
def renderer(monkeypatch):
    tiny = TinyRenderer()
    monkeypatch.setattr(services, "render_report", tiny)
    return tiny


@pytest.fixture(autouse=True)
def _empty_cache():
    # Fingerprints repeat across test databases (same rows, same ids); cached figures must not.
    cache.clear()
    yield
    cache.clear()
