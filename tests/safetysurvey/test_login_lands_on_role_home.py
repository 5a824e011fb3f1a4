"""After logging in, each role lands on its own tools, not on the residents' home page."""

import pytest

from tests.conftest import PASSWORD


def _log_in(client, user, next_url=None):
    data = {"username": user.username, "password": PASSWORD}
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    if next_url:
        data["next"] = next_url
    response = client.post(url, data, follow=True)
    return response.redirect_chain[-1][0] if response.redirect_chain else None


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("volunteer_a", "/volunteer/"),
        ("coordinator", "/volunteer/"),
        ("analyst", "/reports/"),
        ("admin_user", "/admin/"),
    ],
)
def test_a_staff_member_lands_on_the_start_page_of_their_role(client, request, persona, home):
    user = request.getfixturevalue(persona)
    assert _log_in(client, user) == home


def test_a_next_link_still_wins_over_the_role_home(client, analyst):
    assert _log_in(client, analyst, next_url="/api/docs/") == "/api/docs/"


def test_the_role_home_asks_an_anonymous_visitor_to_log_in(client, db):
    response = client.get("/accounts/home/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
