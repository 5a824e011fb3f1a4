"""Opening a second wave in the admin says what to do, not the raw constraint (issue 11, item 11)."""

from surveys.models import Wave


def test_adding_an_open_wave_while_another_is_open_names_the_open_wave(login, admin_user, wave):
    client = login(admin_user)
    client.cookies["django_language"] = "ru"
    response = client.post(
        "/admin/surveys/wave/add/",
        {"code": "2021-spring", "name": "Весна 2021", "starts_on": "2021-03-01", "is_open": "on"},
    )
    assert response.status_code == 200, "the form comes back with an error"
    page = response.content.decode()
    assert "one_open_wave" not in page
    assert f"«{wave.name}»" in page or f"“{wave.name}”" in page
    assert "закройте" in page.lower()
    assert Wave.objects.filter(code="2021-spring").count() == 0


def test_closing_the_open_wave_then_opening_another_works(login, admin_user, wave):
    wave.is_open = False
    wave.save()
    client = login(admin_user)
    response = client.post(
        "/admin/surveys/wave/add/",
        {"code": "2021-spring", "name": "Spring 2021", "starts_on": "2021-03-01", "is_open": "on"},
    )
    assert response.status_code == 302
    assert Wave.current().code == "2021-spring"
