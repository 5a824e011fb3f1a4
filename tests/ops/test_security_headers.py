"""Every public page carries the security headers; the API docs need no outside host."""

import re

import pytest

PUBLIC_PAGES = ["/", "/accounts/login/", "/api/docs/", "/survey/", "/survey/KRG-KZB/", "/survey/KRG-KZB/questions/"]

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'nonce-*'"],
    "style-src": ["'self'", "'nonce-*'"],
    "img-src": ["'self'", "data:"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}


def parse_policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = [re.sub(r"^'nonce-[A-Za-z0-9_-]+'$", "'nonce-*'", value) for value in values]
    return directives


@pytest.fixture
def fetch(client, survey_ready):
    def _get(url):
        response = client.get(url)
        assert response.status_code == 200, url
        return response

    return _get


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_public_page_sends_the_content_security_policy(fetch, url):
    policy = parse_policy(fetch(url)["Content-Security-Policy"])
    # A page that uses no inline code gets no nonce: the policy is then stricter still.
    for directive in ("script-src", "style-src"):
        policy[directive] = [v for v in policy[directive] if v != "'nonce-*'"]
    expected = {name: [v for v in values if v != "'nonce-*'"] for name, values in EXPECTED_POLICY.items()}
    assert policy == expected


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_public_page_forbids_sniffing_framing_and_leaking_the_referrer(fetch, url):
    response = fetch(url)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_api_docs_allow_their_inline_code_by_nonce_only(fetch):
    response = fetch("/api/docs/")
    policy = parse_policy(response["Content-Security-Policy"])
    assert policy == EXPECTED_POLICY
    nonce = re.search(r"'nonce-([A-Za-z0-9_-]+)'", response["Content-Security-Policy"]).group(1)
    html = response.content.decode()
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline, "the docs page has its inline start-up script and style"
    assert all(f'nonce="{nonce}"' in attributes for _, attributes in inline)


def test_the_nonce_changes_with_every_request(fetch):
    first, second = (fetch("/api/docs/")["Content-Security-Policy"] for _ in range(2))
    assert first != second


def test_the_api_docs_load_swagger_ui_from_our_own_static_files(fetch):
    html = fetch("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "nothing is loaded from another host"


def test_the_swagger_ui_files_ship_with_the_static_files():
    from django.contrib.staticfiles import finders

    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}")
