"""Every form is protected against cross-site request forgery."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import PASSWORD

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[\"']?[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def test_a_login_without_the_csrf_token_is_refused(db, volunteer_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "volunteer_a", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_login_with_the_csrf_token_succeeds(db, volunteer_a):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(
        "/accounts/login/", {"username": "volunteer_a", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_a_logout_without_the_csrf_token_is_refused(db, volunteer_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer_a, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post("/accounts/logout/").status_code == 403
    assert "_auth_user_id" in client.session


def test_changing_the_language_without_the_csrf_token_is_refused(db):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/i18n/setlang/", {"language": "kk", "next": "/"}).status_code == 403


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_post_form_in_the_templates_carries_the_csrf_token(template):
    for body in POST_FORM.findall(template.read_text(encoding="utf-8")):
        assert "{% csrf_token %}" in body, f"a POST form in {template.name} has no {{% csrf_token %}}"
