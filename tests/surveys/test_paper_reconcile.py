"""The coordinator's reconciliation queue: both entries side by side, differences
highlighted; the coordinator picks or types the right value; only then is it committed."""

import pytest
from django.urls import reverse

from checklist.answers import NOT_SHOWN
from surveys.models import Response
from surveys.paper_forms import PICK_A_VALUE
from surveys.paper_models import PaperEntry, Sheet, SheetChange
from surveys.paper_services import NOT_IN_CONFLICT, PaperRejected, paper_entry_create, paper_sheet_reconcile


def test_the_queue_lists_sheets_in_conflict_of_the_coordinators_districts(login, coordinator, conflict):
    page = login(coordinator).get(reverse("paper:queue"))
    assert page.status_code == 200 and conflict.serial in page.content.decode()


def test_the_reconcile_page_shows_both_values_of_each_difference(login, coordinator, conflict):
    page = login(coordinator).get(reverse("paper:reconcile", args=[conflict.serial])).content.decode()
    assert page.count('class="differs"') == 2
    assert "4 · Очень безопасно" in page and "2 · Немного небезопасно" in page
    assert 'name="pick-safe_walk_day"' in page and 'name="pick-env_cctv"' in page
    assert 'name="pick-safe_home_night"' not in page


def test_the_coordinator_picks_values_and_the_sheet_is_committed(login, coordinator, conflict, sheet_answers):
    client = login(coordinator)
    form = client.get(reverse("paper:reconcile", args=[conflict.serial])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if not name.startswith("pick-")}
    data |= {"pick-safe_walk_day": "second", "pick-env_cctv": "typed", "env_cctv": "3", "reason": "checked the paper"}
    response = client.post(reverse("paper:reconcile", args=[conflict.serial]), data)
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == Sheet.Status.COMMITTED
    answers = conflict.response.answers
    assert answers["safe_walk_day"] == 2 and answers["env_cctv"] == 3
    assert {key: value for key, value in answers.items() if key not in ("safe_walk_day", "env_cctv")} == {
        key: value for key, value in sheet_answers.items() if key not in ("safe_walk_day", "env_cctv")
    }
    changes = {change.item_code: change for change in SheetChange.objects.filter(sheet=conflict)}
    assert set(changes) == {"safe_walk_day", "env_cctv"}
    assert changes["env_cctv"].old_value == {"first": sheet_answers["env_cctv"], "second": 5}
    assert changes["env_cctv"].new_value == 3 and changes["env_cctv"].changed_by == coordinator
    assert changes["env_cctv"].reason == "checked the paper"
    # Who was wrong: the first volunteer on safe_walk_day and env_cctv, the second on env_cctv.
    wrong = dict(PaperEntry.objects.values_list("entered_by__username", "items_wrong"))
    assert wrong == {"volunteer_a": 2, "volunteer_a2": 1}


def test_a_difference_left_undecided_is_named_and_nothing_is_committed(login, coordinator, conflict):
    client = login(coordinator)
    form = client.get(reverse("paper:reconcile", args=[conflict.serial])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields if not name.startswith("pick-")}
    data["pick-safe_walk_day"] = "first"
    response = client.post(reverse("paper:reconcile", args=[conflict.serial]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["pick-env_cctv"] == [str(PICK_A_VALUE)]
    conflict.refresh_from_db()
    assert conflict.status == Sheet.Status.CONFLICT and not Response.objects.exists()


def test_a_follow_up_that_does_not_apply_must_be_settled_before_commit(
    paper_batch, volunteer_a, volunteer_a2, coordinator, sheet_answers
):
    sheet = paper_batch.sheets.order_by("number").last()
    answers = {**sheet_answers, "vic_burglary": 0, "vic_burglary_reported": 1}
    paper_entry_create(sheet=sheet, user=volunteer_a, answers=answers)
    paper_entry_create(sheet=sheet, user=volunteer_a2, answers=answers)
    with pytest.raises(PaperRejected) as refused:
        paper_sheet_reconcile(sheet=sheet, user=coordinator, answers=answers)
    assert refused.value.errors == {"answers": {"vic_burglary_reported": [str(NOT_SHOWN)]}}
    # The paper shows a burglary after all: the coordinator corrects the earlier answer.
    response = paper_sheet_reconcile(sheet=sheet, user=coordinator, answers={**answers, "vic_burglary": 1})
    assert response.answers["vic_burglary"] == 1 and response.answers["vic_burglary_reported"] == 1
    change = SheetChange.objects.get(sheet=sheet)
    assert (change.item_code, change.old_value, change.new_value) == ("vic_burglary", {"first": 0, "second": 0}, 1)


def test_only_a_sheet_in_conflict_can_be_reconciled(paper_batch, coordinator, sheet_answers):
    sheet = paper_batch.sheets.first()
    with pytest.raises(PaperRejected) as refused:
        paper_sheet_reconcile(sheet=sheet, user=coordinator, answers=sheet_answers)
    assert refused.value.errors == {"__all__": [str(NOT_IN_CONFLICT)]}


def test_volunteers_cannot_reconcile(login, volunteer_a, conflict, sheet_answers):
    client = login(volunteer_a)
    assert client.get(reverse("paper:queue")).status_code == 403
    assert client.get(reverse("paper:reconcile", args=[conflict.serial])).status_code == 403
    with pytest.raises(PaperRejected) as refused:
        paper_sheet_reconcile(sheet=conflict, user=volunteer_a, answers=sheet_answers)
    assert refused.value.forbidden


def test_a_coordinator_of_another_district_cannot_see_or_reconcile_the_sheet(
    conflict, district_b, login, sheet_answers
):
    from surveys import roles
    from tests.conftest import make_staff

    other = make_staff("coordinator_b", roles.COORDINATOR, [district_b])
    client = login(other)
    assert conflict.serial not in client.get(reverse("paper:queue")).content.decode()
    assert client.get(reverse("paper:sheet", args=[conflict.serial])).status_code == 403
    assert client.get(reverse("paper:reconcile", args=[conflict.serial])).status_code == 403


def test_the_queue_page_costs_the_same_queries_for_many_sheets(
    login, coordinator, paper_batch, volunteer_a, volunteer_a2, sheet_answers, django_assert_max_num_queries
):
    for sheet in paper_batch.sheets.all():
        paper_entry_create(sheet=sheet, user=volunteer_a, answers=sheet_answers)
        paper_entry_create(sheet=sheet, user=volunteer_a2, answers={**sheet_answers, "sex": 2})
    client = login(coordinator)
    client.get(reverse("paper:queue"))
    with django_assert_max_num_queries(10):
        page = client.get(reverse("paper:queue"))
    assert page.content.decode().count("/reconcile/") >= 3
