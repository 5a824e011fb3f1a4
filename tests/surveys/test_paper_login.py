"""Staff log in at /accounts/login/; five failed attempts lock the account (django-axes,
locked by user name, so no IP address is needed) while other accounts still log in."""

from django.urls import reverse

from tests.conftest import PASSWORD


def attempt(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_volunteer_logs_in_and_reaches_the_paper_pages(client, volunteer_a):
    response = attempt(client, "volunteer_a", PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("paper:home")).status_code == 200


def test_five_failed_attempts_lock_the_account_even_for_the_right_password(client, volunteer_a, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert attempt(client, "volunteer_a", "wrong").status_code == 200  # the form again, with its error
    locked = attempt(client, "volunteer_a", "wrong")
    assert locked.status_code == 429
    again = attempt(client, "volunteer_a", PASSWORD)
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    assert client.get(reverse("paper:home")).status_code == 302  # still sent to log in


def test_the_lock_is_per_account_not_per_address(client, volunteer_a, volunteer_a2):
    for _ in range(5):
        attempt(client, "volunteer_a", "wrong")
    assert attempt(client, "volunteer_a2", PASSWORD).status_code == 302


def test_four_failures_then_the_right_password_logs_in_and_resets_the_count(client, volunteer_a):
    for _ in range(4):
        attempt(client, "volunteer_a", "wrong")
    assert attempt(client, "volunteer_a", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "volunteer_a", "wrong")
    assert attempt(client, "volunteer_a", PASSWORD).status_code == 302
