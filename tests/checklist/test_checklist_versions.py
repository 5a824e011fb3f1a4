"""A published checklist is immutable; edits go to a new draft version (issue 2)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from checklist.models import Checklist, Item, Option
from checklist.services import checklist_new_version, checklist_publish
from surveys.models import Response


def test_a_published_checklist_refuses_changes_to_itself_and_its_items(checklist):
    checklist.title_en = "Changed"
    with pytest.raises(ValidationError):
        checklist.save()
    item = Item.objects.get(section__checklist=checklist, code="safe_walk_dark")
    item.text_en = "Changed"
    with pytest.raises(ValidationError):
        item.save()
    with pytest.raises(ValidationError):
        Option.objects.filter(item=item).first().delete()
    checklist.refresh_from_db()
    assert checklist.title_en != "Changed"


def test_a_new_version_copies_everything_as_a_draft(checklist):
    draft = checklist_new_version(source=checklist)
    assert (draft.version, draft.status) == (2, Checklist.Status.DRAFT)
    assert Item.objects.filter(section__checklist=draft).count() == 36
    assert (
        Option.objects.filter(item__section__checklist=draft).count()
        == Option.objects.filter(item__section__checklist=checklist).count()
    )
    item = Item.objects.get(section__checklist=draft, code="env_cctv")
    item.text_en = "There are working video cameras in courtyards and at bus stops."
    item.save()  # drafts are editable
    checklist_publish(checklist=draft)
    assert Checklist.current() == draft


def test_every_response_keeps_the_version_it_answered(survey_ready, district_a):
    from checklist.definition import definition_for
    from surveys.services import response_submit

    from ..checklist.test_clean_answers import complete

    answers = {
        **complete(definition_for(survey_ready["checklist"])),
        "vic_burglary": 0,
        "vic_transport_theft": 0,
        "vic_fraud": 0,
        "vic_assault_hooliganism": 0,
    }
    first, _ = response_submit(district=district_a, language="ru", answers=answers)
    checklist_publish(checklist=checklist_new_version(source=survey_ready["checklist"]))
    second, _ = response_submit(district=district_a, language="ru", answers=answers)
    assert Response.objects.get(pk=first.pk).checklist.version == 1
    assert second.checklist.version == 2


def test_the_admin_publishes_drafts_and_shows_published_ones_read_only(checklist, admin_user, login):
    client = login(admin_user)
    draft = checklist_new_version(source=checklist)
    url = reverse("admin:checklist_checklist_changelist")
    # The action leads to the confirmation page (issue 11, item 12), which publishes on POST.
    confirm = client.post(url, {"action": "publish", "_selected_action": [draft.pk]})["Location"]
    client.post(confirm)
    draft.refresh_from_db()
    assert draft.is_published
    change = reverse("admin:checklist_checklist_change", args=[checklist.pk])
    page = client.get(change)
    assert page.status_code == 200 and b'name="title_en"' not in page.content
    item = Item.objects.get(section__checklist=checklist, code="safe_walk_dark")
    assert client.post(reverse("admin:checklist_item_change", args=[item.pk]), {"code": "x"}).status_code == 403


def test_the_admin_starts_a_new_draft_version(checklist, admin_user, login):
    client = login(admin_user)
    client.post(
        reverse("admin:checklist_checklist_changelist"), {"action": "new_version", "_selected_action": [checklist.pk]}
    )
    assert Checklist.objects.filter(version=2, status=Checklist.Status.DRAFT).exists()
