"""reports.rendering.render_report: the HTML and PDF report from one template."""

import io
import re

import pytest
from django.utils.translation import override
from pypdf import PdfReader

from reports import rendering
from reports.aggregation import wave_figures
from reports.data import load_frame, population
from reports.models import Snapshot
from reports.rendering import render_report
from reports.snapshots import latest_snapshot, snapshot_make
from surveys.models import Wave


def _figures():
    frame = load_frame(waves=["2019", "2020"])
    return wave_figures(frame, population(), "2020", "2019")


def _section(html: str, code: str) -> str:
    start = html.index(f'id="unit-{code}"')
    return html[start: html.index("</section>", start)]


def _numbers(fragment: str) -> list[str]:
    """The numbers a reader sees in an HTML fragment, apart from the suppression rule."""
    text = re.sub(r"<[^>]+>", " ", fragment)
    return re.findall(r"\d+", text.replace("fewer than 10 responses", ""))


def test_the_district_report_shows_its_weighted_figures(report_data):
    figures = _figures()["districts"]["KRG-KZB"]["weighted"]
    (html_file,) = render_report(scope="KRG-KZB", wave="2020", language="en", formats=["html"])
    html = html_file.content.decode()
    sdg, index = figures["sdg"], figures["index"]
    share = f"{round(sdg['value'] * 100)}% ({round(sdg['low'] * 100)}–{round(sdg['high'] * 100)}%)"
    assert share in html
    assert f"{index['value']:.1f} ({index['low']:.1f}–{index['high']:.1f})" in html
    assert "In Kazybek Bi district " + share + " feel safe walking alone after dark" in html
    assert html_file.mimetype.startswith("text/html")
    assert html_file.filename == "safety-report-KRG-KZB-2020-en.html"


def test_it_prints_numbers_the_russian_way_in_russian(report_data):
    index = _figures()["districts"]["KRG-KZB"]["weighted"]["index"]
    (html_file,) = render_report(scope="KRG-KZB", wave="2020", language="ru", formats=["html"])
    assert f"{index['value']:.1f}".replace(".", ",") in html_file.content.decode()


@pytest.mark.parametrize("code, name", [("KRG-SAR", "Saran"), ("KRG-ABA", "Abai district")])
def test_a_suppressed_district_gets_a_page_without_any_figure(report_data, code, name):
    """Saran has 5 responses; Abai, the next smallest, is suppressed to protect Saran."""
    (html_file,) = render_report(scope="region", wave="2020", language="en", formats=["html"])
    html = html_file.content.decode()
    section = _section(html, code)
    assert "fewer than 10 responses" in section
    assert _numbers(section) == []
    ranking = html[html.index('class="ranking"'): html.index("</table>", html.index('class="ranking"'))]
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", ranking, re.S) if f"#unit-{code}" in r)
    assert name in row and _numbers(row) == []


def test_the_region_report_has_a_ranked_table_a_map_and_a_section_per_district(report_data):
    (html_file,) = render_report(scope="region", wave="2020", language="en", formats=["html"])
    html = html_file.content.decode()
    ranking = html[html.index('class="ranking"'): html.index("</table>", html.index('class="ranking"'))]
    # Temirtau (the safer district in the seed) ranks above Kazybek Bi.
    assert ranking.index("Temirtau") < ranking.index("Kazybek Bi district")
    assert html.count('<section class="unit') == 1 + 14  # the region as a whole and every district
    assert "n&lt;10" in html  # a suppressed tile on the map
    assert "Method notes" in html


def test_the_html_is_self_contained(report_data):
    (html_file,) = render_report(scope="KRG-TEM", wave="2020", language="kk", formats=["html"])
    html = html_file.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "<script" not in html
    assert html.count("<svg") >= 5


def test_the_pdf_has_page_numbers_the_provenance_on_every_page_and_kazakh_text(report_data):
    progress = []
    files = render_report(scope="KRG-KZB", wave="2020", language="kk", formats=["html", "pdf"],
                          progress=progress.append)
    pdf = next(f for f in files if f.mimetype == "application/pdf")
    reader = PdfReader(io.BytesIO(pdf.content))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 4
    assert "Қазыбек би ауданы" in pages[0]
    # The stamp names what the report shows: the published figures' snapshot and its input.
    fingerprint = latest_snapshot(Wave.objects.get(code="2020")).fingerprint
    for number, text in enumerate(pages, 1):
        assert fingerprint[:16] in text, f"page {number} has no provenance stamp"
        assert f"{number}" in text
    assert progress == sorted(progress) and progress[-1] == 100


def test_the_provenance_names_the_snapshot_the_settings_and_the_code_version(report_data, settings):
    """The settings are those the published figures were computed with: a new threshold
    takes effect with the next snapshot (which publishes every unit again)."""
    settings.REPORT_MIN_CELL = 12
    snapshot = snapshot_make(wave=report_data["wave"], trigger=Snapshot.Trigger.ANALYST)
    (html_file,) = render_report(scope="KRG-KZB", wave="2020", language="en", formats=["html"])
    html = html_file.content.decode()
    stamp = re.search(r'<div class="provenance"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "weighted: raking to age × sex" in stamp
    assert "cells under 12 responses suppressed" in stamp
    assert rendering.code_version() in stamp
    assert f"(snapshot {snapshot.pk})" in stamp
    assert snapshot.fingerprint[:16] in stamp


def test_unknown_formats_and_scopes_are_refused(report_data):
    with pytest.raises(ValueError):
        render_report(scope="region", wave="2020", language="en", formats=["docx"])
    with pytest.raises(ValueError):
        render_report(scope="KRG-KAR", wave="2020", language="en", formats=["html"])


def test_it_accepts_a_district_and_a_wave_object(report_data, districts):
    (html_file,) = render_report(scope=districts["KRG-TEM"], wave=report_data["wave"], language="en",
                                 formats=["html"])
    assert "Temirtau" in html_file.content.decode()


def test_the_language_of_the_report_does_not_leak_into_the_caller(report_data):
    with override("en"):
        render_report(scope="KRG-TEM", wave="2020", language="kk", formats=["html"])
        from django.utils.translation import get_language

        assert get_language() == "en"


def test_statements_in_one_line_are_separated_once_and_end_with_one_full_stop():
    labels = ["Streets are well lit at night.", "Groups of youths cause trouble here. ", "Dogs"]
    assert rendering.statement_list_text(labels) == (
        "Streets are well lit at night; Groups of youths cause trouble here; Dogs."
    )
    assert rendering.statement_list_text([]) == ""


def test_the_priorities_line_reads_as_one_sentence(report_data):
    (html_file,) = render_report(scope="region", wave="2020", language="kk", formats=["html"])
    html = html_file.content.decode()
    assert ".;" not in html
