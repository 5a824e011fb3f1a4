"""surveys 0003: existing paper responses lose their uuid5 keys, every committed sheet keeps its
response through Sheet.response, and a sheet that had been committed to an online response
under its key goes back to reconciliation. Run on data written by the schema of 0002."""

import datetime
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("surveys", "0002_paper")]
AFTER = [("surveys", "0003_paper_keys_off_client_ids")]
OLD_PAPER_NAMESPACE = uuid.UUID("8d0f6a52-3f1e-4c57-9a53-2f0c8e1b7a41")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps(checklist, districts, wave, coordinator):
    apps = migrate(BEFORE)
    yield apps
    migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def old_data(apps, coordinator, checklist, districts, wave):
    """Four sheets as 0002 stored them: one committed to its paper response (under its key), one
    voided whose paper response is found only by its key, one captured by an online response
    posted under its key, one voided after such a capture."""
    Batch, Sheet, Response = (apps.get_model("surveys", name) for name in ("Batch", "Sheet", "Response"))
    district = districts["KRG-KZB"]
    batch = Batch.objects.create(
        district_id=district.pk,
        wave_id=wave.pk,
        checklist_id=checklist.pk,
        language="ru",
        size=3,
        created_by_id=coordinator.pk,
    )
    sheets = {}
    for number, name in enumerate(["paper", "void_by_key", "captured", "captured_void"], start=1):
        serial = f"KRG-KZB-2020-{number:06d}-X"
        sheets[name] = Sheet.objects.create(
            batch=batch,
            number=number,
            serial=serial,
            client_id=uuid.uuid5(OLD_PAPER_NAMESPACE, serial),
            entry_count=2,
        )

    def response(channel, district, key):
        return Response.objects.create(
            checklist_id=checklist.pk,
            wave_id=wave.pk,
            district_id=district.pk,
            channel=channel,
            language="ru",
            answers={"safe_walk_dark": 2},
            submitted_on=datetime.date(2020, 4, 1),
            client_id=key,
        )

    paper = response("paper", district, sheets["paper"].client_id)
    Sheet.objects.filter(pk=sheets["paper"].pk).update(status="committed", response=paper)
    response("paper", district, sheets["void_by_key"].client_id)
    Sheet.objects.filter(pk=sheets["void_by_key"].pk).update(status="void")
    online = response("online", districts["KRG-TEM"], sheets["captured"].client_id)
    Sheet.objects.filter(pk=sheets["captured"].pk).update(status="committed", response=online)
    online_void = response("online", districts["KRG-TEM"], sheets["captured_void"].client_id)
    Sheet.objects.filter(pk=sheets["captured_void"].pk).update(status="void", response=online_void)
    return {name: sheet.pk for name, sheet in sheets.items()}, paper.pk, online.pk


def test_paper_responses_lose_their_keys_and_committed_sheets_keep_their_responses(
    old_apps, coordinator, checklist, districts, wave
):
    pks, paper, online = old_data(old_apps, coordinator, checklist, districts, wave)
    apps = migrate(AFTER)
    Sheet, Response = apps.get_model("surveys", "Sheet"), apps.get_model("surveys", "Response")
    assert not any(field.name == "client_id" for field in Sheet._meta.get_fields())
    committed = Sheet.objects.get(pk=pks["paper"])
    assert (committed.status, committed.response_id) == ("committed", paper)
    assert Response.objects.get(pk=paper).client_id is None
    assert not Sheet.objects.filter(status="committed", response__isnull=True).exists()
    voided = Sheet.objects.select_related("response").get(pk=pks["void_by_key"])
    assert voided.response.channel == "paper"  # linked by its old key before the keys went
    assert not Response.objects.filter(channel="paper", client_id__isnull=False).exists()


def test_a_sheet_committed_to_an_online_response_goes_back_to_reconciliation(
    old_apps, coordinator, checklist, districts, wave
):
    pks, _paper, online = old_data(old_apps, coordinator, checklist, districts, wave)
    apps = migrate(AFTER)
    Sheet, Response = apps.get_model("surveys", "Sheet"), apps.get_model("surveys", "Response")
    captured = Sheet.objects.get(pk=pks["captured"])
    assert (captured.status, captured.response_id) == ("conflict", None)
    voided = Sheet.objects.get(pk=pks["captured_void"])
    assert (voided.status, voided.response_id) == ("void", None)
    # The online responses are the poster's own, and keep their keys.
    assert Response.objects.get(pk=online).client_id is not None


def test_going_back_gives_the_sheets_and_their_paper_responses_their_keys_again(
    old_apps, coordinator, checklist, districts, wave
):
    pks, paper, _online = old_data(old_apps, coordinator, checklist, districts, wave)
    migrate(AFTER)
    apps = migrate(BEFORE)
    Sheet, Response = apps.get_model("surveys", "Sheet"), apps.get_model("surveys", "Response")
    sheet = Sheet.objects.get(pk=pks["paper"])
    assert sheet.client_id == uuid.uuid5(OLD_PAPER_NAMESPACE, sheet.serial)
    assert Response.objects.get(pk=paper).client_id == sheet.client_id
