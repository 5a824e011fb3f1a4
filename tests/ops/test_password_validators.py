"""Weak passwords are refused wherever staff passwords are set."""

import pytest
from django.contrib.auth.models import User

from tests.conftest import PASSWORD

# Each weak password and the validator (settings.AUTH_PASSWORD_VALIDATORS) that refuses it.
WEAK = {
    "7394028165": "password_entirely_numeric",
    "password": "password_too_common",
    "volunteer_a1": "password_too_similar",
    "k7#x": "password_too_short",
}


def error_codes(form, field="password2") -> set[str]:
    return {error.code for error in form.errors.as_data().get(field, [])}


@pytest.mark.parametrize("weak, code", WEAK.items())
def test_the_admin_refuses_to_set_a_weak_password(login, admin_user, volunteer_a, weak, code):
    client = login(admin_user)
    response = client.post(
        f"/admin/auth/user/{volunteer_a.pk}/password/",
        {"password1": weak, "password2": weak, "usable_password": "true"},
    )
    assert response.status_code == 200  # the form again, with the error
    assert code in error_codes(response.context["form"])
    volunteer_a.refresh_from_db()
    assert volunteer_a.check_password(PASSWORD) and not volunteer_a.check_password(weak)


def test_the_admin_accepts_a_strong_password(login, admin_user, volunteer_a):
    client = login(admin_user)
    strong = "ridge-lantern-okapi-1987"
    response = client.post(
        f"/admin/auth/user/{volunteer_a.pk}/password/",
        {"password1": strong, "password2": strong, "usable_password": "true"},
    )
    assert response.status_code == 302
    volunteer_a.refresh_from_db()
    assert volunteer_a.check_password(strong)


def test_the_admin_refuses_a_new_user_with_a_common_password(login, admin_user):
    client = login(admin_user)
    response = client.post(
        "/admin/auth/user/add/",
        {"username": "newvolunteer", "password1": "qwerty123", "password2": "qwerty123", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert "password_too_common" in error_codes(response.context["adminform"].form)
    assert not User.objects.filter(username="newvolunteer").exists()


def test_a_user_cannot_change_their_own_password_to_a_weak_one(login, volunteer_a):
    client = login(volunteer_a)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    codes = error_codes(response.context["form"], "new_password2")
    assert {"password_too_common", "password_entirely_numeric"} <= codes
    volunteer_a.refresh_from_db()
    assert volunteer_a.check_password(PASSWORD)
