"""The admin in Kazakh: Kazakh throughout, where Django's Kazakh catalog left Russian showing
through ("Добавить", "Сохранить", the calendar), our model names and header, and sentences that
fit any model's name (issue 11, items 9 and 10). The Russian admin: test_admin_in_russian.py."""

import pytest

from checklist.models import Section
from surveys.models import Wave
from tests.page_text import script_catalog, text_of

# English model names, Django's name, and the Russian of the fallback.
WRONG = [
    "Items", "Sections", "Options", "Axes", "Django", "- Select an option -",
    "Добавить", "Изменить", "Выберите", "Сохранить", "Удалить", "Администрирование", "Пользователи", "Начало",
    "Действие", "Найти", "Фильтр", "Выйти",
]


def assert_kazakh(text: str):
    for wrong in WRONG:
        assert wrong not in text, f"the page still says {wrong!r}"


@pytest.fixture
def admin_kk(login, admin_user):
    client = login(admin_user)
    client.cookies["django_language"] = "kk"
    return client


def test_the_index_names_our_site_and_every_model_in_kazakh(admin_kk, checklist):
    text = text_of(admin_kk.get("/admin/"))
    assert "Қауіпсіздік туралы сауалнама: әкімшілік басқару" in text
    for name in ("Бөлімдер", "Сұрақтар", "Сауалнамалар", "Аудандар", "Сауалнама кезеңдері", "Кіруді бұғаттау",
                 "Пайдаланушылар", "Топтар"):
        assert name in text
    assert_kazakh(text)


def test_a_changelist_asks_to_choose_a_record_and_counts_records(admin_kk, checklist):
    text = text_of(admin_kk.get("/admin/checklist/section/"))
    assert "Өзгерту үшін жазбаны таңдаңыз (бөлім)" in text
    assert "Қосу: бөлім" in text
    assert f"{Section.objects.count()} жазба" in text
    assert "- Нұсқаны таңдаңыз -" in text  # the empty choice of the actions
    assert_kazakh(text)


def test_adding_a_wave_says_so_in_kazakh(admin_kk):
    page = admin_kk.get("/admin/surveys/wave/add/").content.decode()
    text = text_of(page)
    assert "Қосу: сауалнама кезеңі" in text
    assert 'value="Сақтап, тағы біреуін қосу"' in page
    assert_kazakh(text)
    response = admin_kk.post(
        "/admin/surveys/wave/add/",
        {"code": "2021-spring", "name": "Көктем 2021", "starts_on": "01.03.2021"},
        follow=True,
    )
    assert Wave.objects.filter(code="2021-spring").exists()
    text = text_of(response)
    assert "«Көктем 2021» жазбасы (сауалнама кезеңі) қосылды." in text
    assert_kazakh(text)


def test_a_question_lists_its_answer_options_under_a_kazakh_heading(admin_kk, checklist):
    item = checklist.sections.get(code="A").items.first()
    text = text_of(admin_kk.get(f"/admin/checklist/item/{item.pk}/change/"))
    assert "Қарау: сұрақ" in text and "Жауап нұсқалары" in text
    assert_kazakh(text)


def test_a_user_form_and_its_password_page_are_kazakh(admin_kk, volunteer_a):
    text = text_of(admin_kk.get(f"/admin/auth/user/{volunteer_a.pk}/change/"))
    assert "Пайдаланушы аты" in text and "Құпиясөзді қалпына келтіру" in text
    assert_kazakh(text)
    text = text_of(admin_kk.get(f"/admin/auth/user/{volunteer_a.pk}/password/"))
    assert "Құпиясөз орнату: volunteer_a" in text or "Құпиясөзді өзгерту: volunteer_a" in text
    assert_kazakh(text)


def test_the_admin_scripts_speak_kazakh(admin_kk):
    # The calendar, the clock and the time-zone note come from the admin's JavaScript catalog;
    # Django's Kazakh one has 13 of its 86 strings, and Russian filled the rest.
    script = " ".join(str(value) for value in script_catalog(admin_kk.get("/admin/jsi18n/")).values())
    for kazakh in ("Ескерту: уақытты %(timezone)s уақыт белдеуі бойынша енгізіңіз.", "Қаңтар", "Бүгін", "Жексенбі"):
        assert kazakh in script
    for russian in ("Внимание", "Январь", "Сегодня", "Воскресенье", "Выберите"):
        assert russian not in script
