"""A district's name heads the report with a capital letter in every language, though it is
stored as it reads inside a sentence ("район имени Казыбек би") (issue 11, item 14)."""

import re

import pytest

from reports.models import ReportJob
from reports.rendering import render_report
from tests.page_text import text_of

NAMES = {"ru": "Район имени Казыбек би", "kk": "Қазыбек би ауданы", "en": "Kazybek Bi district"}


def html_of(scope: str, language: str) -> str:
    (html_file,) = render_report(scope=scope, wave="2020", language=language, formats=["html"])
    return html_file.content.decode()


@pytest.mark.parametrize("language", NAMES)
def test_the_cover_of_a_district_report_starts_with_a_capital(report_data, language):
    html = html_of("KRG-KZB", language)
    cover = re.search(r'<section class="cover">.*?<h1>(.*?)</h1>', html, re.S).group(1)
    assert cover == NAMES[language]
    assert re.search(r"<title>[^<]*· " + re.escape(NAMES[language]) + " ·", html)
    section = re.search(r'<h2 class="section-title">(.*?)</h2>', html).group(1)
    assert section == NAMES[language]


def test_the_summary_sentence_keeps_the_name_as_it_reads_in_a_sentence(report_data):
    text = text_of(html_of("KRG-KZB", "en"))
    assert "In Kazybek Bi district " in text  # the English sentence has the name in its middle


def test_the_region_report_lists_and_heads_every_district_with_a_capital(report_data):
    html = html_of("region", "ru")
    contents = re.search(r'<nav class="contents".*?</nav>', html, re.S).group(0)
    ranking = html[html.index('class="ranking"'): html.index("</table>", html.index('class="ranking"'))]
    for fragment in (contents, ranking):
        names = re.findall(r'<a href="#unit-[^"]+">([^<]+)</a>', fragment)
        assert "Район имени Казыбек би" in names
        assert all(name[0].isupper() for name in names), names
    headings = re.findall(r'<h2 class="section-title">(.*?)</h2>', html)
    assert "Район имени Казыбек би" in headings and "район имени Казыбек би" not in headings


def test_the_report_pages_name_a_district_job_with_a_capital(login, analyst, report_data, districts):
    job = ReportJob.objects.create(
        scope=ReportJob.Scope.DISTRICT, district=districts["KRG-KZB"], wave=report_data["wave"], language="ru",
        formats="html",
    )
    client = login(analyst)
    client.cookies["django_language"] = "ru"
    text = text_of(client.get(f"/reports/jobs/{job.pk}/"))
    assert "Район имени Казыбек би, " in text
