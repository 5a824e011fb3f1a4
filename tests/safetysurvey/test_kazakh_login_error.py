"""A failed log-in in Kazakh says so in Kazakh, with the term of the field's label (issue 11,
item 9). Django's Kazakh catalog left the message empty, so Russian showed around Django's
own Kazakh "Қолданушы атауы": "Пожалуйста, введите правильные Қолданушы атауы и пароль…"."""

import pytest

from tests.conftest import PASSWORD
from tests.page_text import text_of

LOGIN_ERROR = (
    "Дұрыс пайдаланушы аты мен құпиясөзді енгізіңіз. Екі өрісте де бас әріп пен кіші әріп ажыратылуы мүмкін."
)
ADMIN_LOGIN_ERROR = (
    "Қызметкер тіркелгісінің дұрыс пайдаланушы аты мен құпиясөзін енгізіңіз. "
    "Екі өрісте де бас әріп пен кіші әріп ажыратылуы мүмкін."
)
# Words of the Russian message and of Django's own Kazakh term.
NOT_KAZAKH = ["Пожалуйста", "введите", "правильные", "пароль", "регистр", "Қолданушы", "атауы"]


@pytest.fixture
def kazakh(client):
    client.cookies["django_language"] = "kk"
    return client


def test_a_wrong_password_is_refused_in_kazakh(kazakh, volunteer_a):
    response = kazakh.post("/accounts/login/", {"username": volunteer_a.username, "password": "not-the-password"})
    assert response.status_code == 200
    text = text_of(response)
    assert LOGIN_ERROR in text
    for word in NOT_KAZAKH:
        assert word not in text


def test_the_error_names_the_field_as_its_label_does(kazakh, volunteer_a):
    page = text_of(kazakh.get("/accounts/login/"))
    label = "Пайдаланушы аты"
    assert label in page, "the label of the user-name field"
    response = kazakh.post("/accounts/login/", {"username": volunteer_a.username, "password": "nope"})
    (error,) = response.context["form"].non_field_errors()
    assert label.lower() in error
    assert "Құпиясөз" in page and "құпиясөз" in error, "the password too"


def test_the_admin_log_in_refuses_in_kazakh_too(kazakh, admin_user):
    response = kazakh.post("/admin/login/?next=/admin/", {"username": admin_user.username, "password": "nope"})
    text = text_of(response)
    assert ADMIN_LOGIN_ERROR in text
    for word in NOT_KAZAKH:
        assert word not in text


def test_a_volunteer_who_is_not_staff_is_told_in_kazakh_at_the_admin(kazakh, volunteer_a):
    response = kazakh.post("/admin/login/?next=/admin/", {"username": volunteer_a.username, "password": PASSWORD})
    assert ADMIN_LOGIN_ERROR in text_of(response)


def test_the_password_change_page_and_its_validators_speak_kazakh(login, volunteer_a):
    client = login(volunteer_a)
    client.cookies["django_language"] = "kk"
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    text = text_of(response)
    assert "Құпиясөзді өзгерту" in text
    assert "Бұл құпиясөз тым жиі қолданылады." in text
    assert "Бұл құпиясөз тек цифрлардан тұрады." in text
    for word in ("пароль", "Пароль", "Введённый"):
        assert word not in text


def test_an_empty_form_is_told_in_kazakh_which_fields_to_fill(kazakh, db):
    response = kazakh.post("/accounts/login/", {"username": "", "password": ""})
    assert "Бұл өрісті толтыру міндетті." in text_of(response)
    assert "Обязательное поле" not in text_of(response)

