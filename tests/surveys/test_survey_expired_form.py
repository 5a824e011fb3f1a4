"""A form refused by the CSRF check (expired page, cookies blocked) gets a page residents understand."""

import pytest
from django.test import Client

from surveys.models import Response

pytestmark = pytest.mark.django_db


def test_a_form_without_its_csrf_token_is_refused_with_a_translated_explanation(survey_ready, complete_answers):
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="kk")
    page = browser.post("/survey/KRG-KZB/questions/", complete_answers() | {"version": "1"})
    html = page.content.decode()
    assert page.status_code == 403
    assert "Беттің мерзімі өтіп кетті" in html
    assert "ештеңе сақталмады" in html
    assert Response.objects.count() == 0
