"""Keying a sheet at /volunteer/enter/: the serial first, then every item; the same checks
and messages as the online survey; other districts' sheets are refused with 403."""

import pytest
from django.urls import reverse
from django.utils import translation

from checklist.answers import NOT_AN_OPTION, REQUIRED
from surveys.paper_models import PaperEntry, Sheet
from surveys.paper_services import (
    ALREADY_ENTERED_BY_YOU,
    SERIAL_CHECK_FAILED,
    SERIAL_NOT_YOURS,
    SERIAL_UNKNOWN,
    paper_entry_create,
)
from surveys.serials import make_serial


@pytest.fixture
def sheet(paper_batch):
    return paper_batch.sheets.order_by("number").first()


def keyed(answers: dict) -> dict:
    """The form fields as a volunteer types them."""
    return {
        code: " ".join(map(str, value)) if isinstance(value, list) else str(value) for code, value in answers.items()
    }


def _russian(message) -> str:
    with translation.override("ru"):
        return str(message)


class TestTheSerialStep:
    def test_the_serial_field_comes_first_with_autofocus(self, login, volunteer_a, paper_batch):
        page = login(volunteer_a).get(reverse("paper:enter")).content.decode()
        assert 'name="serial"' in page and "autofocus" in page

    def test_a_known_serial_opens_the_entry_form(self, login, volunteer_a, sheet):
        response = login(volunteer_a).post(reverse("paper:enter"), {"serial": sheet.serial.lower()})
        assert response.status_code == 302 and response.url == reverse("paper:entry", args=[sheet.serial])

    def test_a_mistyped_serial_is_refused_by_its_check_character(self, login, volunteer_a, sheet):
        typo = sheet.serial.replace("-000001-", "-000010-")
        response = login(volunteer_a).post(reverse("paper:enter"), {"serial": typo})
        assert response.status_code == 200
        assert _russian(SERIAL_CHECK_FAILED) in response.content.decode()

    def test_a_serial_that_was_never_printed_is_unknown(self, login, volunteer_a, sheet):
        response = login(volunteer_a).post(reverse("paper:enter"), {"serial": make_serial("KRG-KZB", "2020", 77)})
        assert _russian(SERIAL_UNKNOWN) in response.content.decode()

    def test_a_sheet_of_another_district_is_refused_with_403(self, login, volunteer_b, sheet):
        client = login(volunteer_b)
        response = client.post(reverse("paper:enter"), {"serial": sheet.serial})
        assert response.status_code == 403 and _russian(SERIAL_NOT_YOURS) in response.content.decode()
        assert client.get(reverse("paper:entry", args=[sheet.serial])).status_code == 403
        assert client.post(reverse("paper:entry", args=[sheet.serial]), {"safe_walk_day": "4"}).status_code == 403
        assert not PaperEntry.objects.exists()

    def test_a_sheet_the_volunteer_already_keyed_is_refused(self, login, volunteer_a, sheet, sheet_answers):
        paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
        client = login(volunteer_a)
        response = client.post(reverse("paper:enter"), {"serial": sheet.serial})
        assert _russian(ALREADY_ENTERED_BY_YOU) in response.content.decode()
        follow = client.get(reverse("paper:entry", args=[sheet.serial]), follow=True)
        assert _russian(ALREADY_ENTERED_BY_YOU) in follow.content.decode()


class TestTheEntryForm:
    def test_every_item_is_a_field_in_sheet_order_in_the_batch_language(self, login, volunteer_a, sheet, definition):
        page = login(volunteer_a).get(reverse("paper:entry", args=[sheet.serial])).content.decode()
        positions = [page.index(f'name="{item.code}"') for item in definition.items]
        assert positions == sorted(positions)
        assert "1. " + definition.items[0].question("ru") in page
        assert "4 Очень безопасно" in page  # the option values beside their labels, as printed

    def test_a_complete_entry_is_saved_and_the_next_serial_is_asked_for(self, login, volunteer_a, sheet, sheet_answers):
        response = login(volunteer_a).post(reverse("paper:entry", args=[sheet.serial]), keyed(sheet_answers))
        assert response.status_code == 302 and response.url == reverse("paper:enter")
        entry = PaperEntry.objects.get()
        assert entry.answers == sheet_answers and entry.entered_by == volunteer_a

    def test_two_volunteers_agreeing_commit_the_sheet(
        self, login, client, volunteer_a, volunteer_a2, sheet, sheet_answers
    ):
        login(volunteer_a).post(reverse("paper:entry", args=[sheet.serial]), keyed(sheet_answers))
        client.logout()
        response = login(volunteer_a2).post(
            reverse("paper:entry", args=[sheet.serial]), keyed(sheet_answers), follow=True
        )
        sheet.refresh_from_db()
        assert sheet.status == Sheet.Status.COMMITTED
        assert sheet.serial in response.content.decode()

    def test_an_answer_outside_the_options_shows_the_online_message_and_stores_nothing(
        self, login, volunteer_a, sheet, sheet_answers
    ):
        response = login(volunteer_a).post(
            reverse("paper:entry", args=[sheet.serial]), keyed({**sheet_answers, "safe_walk_day": 6})
        )
        assert response.status_code == 200
        assert response.context["form"].errors["safe_walk_day"] == [_russian(NOT_AN_OPTION)]
        assert not PaperEntry.objects.exists()

    def test_letters_typed_for_an_option_are_refused_not_crashed_on(self, login, volunteer_a, sheet, sheet_answers):
        response = login(volunteer_a).post(
            reverse("paper:entry", args=[sheet.serial]), keyed({**sheet_answers, "env_cctv": "да"})
        )
        assert response.context["form"].errors["env_cctv"] == [_russian(NOT_AN_OPTION)]

    def test_a_missing_required_answer_is_named(self, login, volunteer_a, sheet, sheet_answers):
        answers = keyed(sheet_answers)
        answers["pol_fair"] = ""
        response = login(volunteer_a).post(reverse("paper:entry", args=[sheet.serial]), answers)
        assert response.context["form"].errors["pol_fair"] == [_russian(REQUIRED)]
        assert not PaperEntry.objects.exists()

    def test_messages_follow_the_volunteers_language(self, login, volunteer_a, sheet, sheet_answers):
        client = login(volunteer_a)
        response = client.post(
            reverse("paper:entry", args=[sheet.serial]),
            keyed({**sheet_answers, "safe_walk_day": 6}),
            HTTP_ACCEPT_LANGUAGE="kk",
        )
        with translation.override("kk"):
            assert response.context["form"].errors["safe_walk_day"] == [str(NOT_AN_OPTION)]

    def test_a_follow_up_answered_on_paper_is_kept_and_the_volunteer_is_told(
        self, login, volunteer_a, sheet, sheet_answers, definition
    ):
        answers = keyed({**sheet_answers, "vic_fraud": 0, "vic_fraud_reported": 1})
        response = login(volunteer_a).post(reverse("paper:entry", args=[sheet.serial]), answers, follow=True)
        entry = PaperEntry.objects.get()
        assert entry.answers["vic_fraud_reported"] == 1 and entry.not_applicable == ["vic_fraud_reported"]
        # The question is named by the number printed on the sheet and shown online (24a).
        assert definition.numbers["vic_fraud_reported"] in " ".join(str(m) for m in response.context["messages"])

    def test_the_form_can_be_keyed_without_the_mouse(self, login, volunteer_a, sheet):
        page = login(volunteer_a).get(reverse("paper:entry", args=[sheet.serial])).content.decode()
        assert 'inputmode="numeric"' in page and "paper-entry.js" in page
        assert "<select" not in page and 'type="radio"' not in page
