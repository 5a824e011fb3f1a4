"""Publishing a checklist draft: a preview in each language, the changes against the live
version, a confirmation step, and a mark on the version residents answer (issue 11, item 12)."""

import pytest
from django.urls import reverse

from checklist.changes import ADDED, CHANGED, REMOVED, checklist_changes
from checklist.definition import clear_cache, definition_for
from checklist.models import Checklist, Item
from checklist.services import checklist_new_version


@pytest.fixture
def draft(checklist):
    """Version 2: one question reworded, one removed, one added."""
    draft = checklist_new_version(source=checklist)
    items = Item.objects.filter(section__checklist=draft)
    items.filter(code="env_lighting").update(text_ru="Улицы хорошо освещены ночью.")
    items.filter(code="pol_trust").delete()
    first = items.get(code="env_lighting")
    Item.objects.create(section=first.section, order=99, code="env_cameras_new", kind="yes_no",
                        text_ru="Есть ли камеры?", text_kk="Камералар бар ма?", text_en="Are there cameras?")
    clear_cache()
    return draft


def test_the_changes_name_what_was_added_removed_and_reworded(checklist, draft):
    changes = checklist_changes(definition_for(checklist), definition_for(draft), "en")
    kinds = {change.code: change.kind for change in changes}
    assert kinds == {"env_lighting": CHANGED, "env_cameras_new": ADDED, "pol_trust": REMOVED}
    reworded = next(c for c in changes if c.code == "env_lighting")
    assert reworded.aspects == ("wording",)


def test_the_publish_action_asks_for_confirmation_and_publishes_nothing_yet(login, admin_user, checklist, draft):
    client = login(admin_user)
    response = client.post(
        reverse("admin:checklist_checklist_changelist"), {"action": "publish", "_selected_action": [draft.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:checklist_checklist_publish", args=[draft.pk])
    draft.refresh_from_db()
    assert not draft.is_published


def test_the_confirmation_page_shows_the_changes_and_links_a_preview_in_each_language(
    login, admin_user, checklist, draft
):
    client = login(admin_user)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("admin:checklist_checklist_publish", args=[draft.pk])).content.decode()
    assert "Residents answer version 1 now" in page
    assert "env_cameras_new" in page and "pol_trust" in page and "changed: wording" in page
    for code in ("ru", "kk", "en"):
        assert reverse("survey:preview", args=[draft.pk, code]) in page
    assert Checklist.current() == checklist


def test_confirming_publishes_the_draft_and_the_list_marks_it_live(login, admin_user, checklist, draft):
    client = login(admin_user)
    response = client.post(reverse("admin:checklist_checklist_publish", args=[draft.pk]))
    assert response.status_code == 302
    assert Checklist.current() == Checklist.objects.get(pk=draft.pk)
    listing = client.get(reverse("admin:checklist_checklist_changelist")).content.decode()
    rows = {row.split("</tr>")[0] for row in listing.split('<tr')[1:]}
    live_rows = [row for row in rows if 'alt="True"' in row]
    assert len(live_rows) == 1 and f'/{draft.pk}/change/' in live_rows[0]


@pytest.mark.parametrize(("language", "expected"), [("kk", "Камералар бар ма?"), ("en", "Are there cameras?")])
def test_the_preview_shows_the_draft_as_residents_will_in_each_language(
    login, admin_user, draft, language, expected
):
    page = login(admin_user).get(reverse("survey:preview", args=[draft.pk, language]))
    assert page.status_code == 200
    text = page.content.decode()
    assert expected in text and 'class="part"' in text
    assert 'type="submit"' not in text.split('class="survey-form preview"')[1]


def test_the_preview_is_for_the_admin_only(client, login, analyst, draft):
    url = reverse("survey:preview", args=[draft.pk, "ru"])
    assert client.get(url).status_code == 302
    assert login(analyst).get(url).status_code == 302
