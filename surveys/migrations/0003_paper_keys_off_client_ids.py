"""Paper responses leave the key space that clients write to (issue 9, item 1).

A committed sheet's response was stored under client_id = uuid5(namespace, serial), a key
anyone could compute from a printed serial: posting it read the sheet's response, or, before
the sheet was keyed, made the sheet commit to the poster's online response. From now on a
paper response has no client_id; the sheet is tied to it by `Sheet.response` alone.

Forwards, in one transaction:

1. A committed or voided sheet whose `response` is not set gets the paper response stored
   under its key (`Sheet.client_id`, the uuid5 of its serial), so no committed sheet loses
   its response when the keys go.
2. A sheet that was committed to a response of another channel (the hijack: an online
   response posted under the sheet's key) is sent back to reconciliation: both entries are
   kept, and the coordinator commits it again as a paper response of its own. A voided sheet
   in that state just loses the link (a void sheet may have no response).
3. Paper responses get client_id NULL; `Sheet.client_id` is dropped.

Backwards, the keys are written again (sheets, and their paper responses unless the key is
taken by another response); sheets repaired by step 2 stay as they are now.
"""

import uuid

from django.db import migrations, models

# surveys.paper_services.PAPER_CLIENT_NAMESPACE, as it was.
OLD_PAPER_NAMESPACE = uuid.UUID("8d0f6a52-3f1e-4c57-9a53-2f0c8e1b7a41")
CHUNK = 1000


def _checks_now(schema_editor):
    # Django's foreign keys on PostgreSQL are DEFERRABLE INITIALLY DEFERRED: rows updated here
    # leave trigger events pending, and PostgreSQL refuses to ALTER a table that has some.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def keys_off(apps, schema_editor):
    Sheet = apps.get_model("surveys", "Sheet")
    Response = apps.get_model("surveys", "Response")
    db = schema_editor.connection.alias
    sheets = Sheet.objects.using(db)
    responses = Response.objects.using(db)

    # 1. The link, from the old key where it is missing.
    for sheet in sheets.filter(status__in=["committed", "void"], response__isnull=True).iterator(CHUNK):
        key = sheet.client_id or uuid.uuid5(OLD_PAPER_NAMESPACE, sheet.serial)
        response = responses.filter(client_id=key, channel="paper", sheet__isnull=True).first()
        if response is not None:
            sheet.response = response
            sheet.save(update_fields=["response"])
    remaining = sheets.filter(status="committed", response__isnull=True).count()
    if remaining:
        raise RuntimeError(f"{remaining} committed sheets have no paper response under their key; nothing changed.")

    # 2. Sheets committed to another channel's response.
    captured = sheets.filter(response__isnull=False).exclude(response__channel="paper")
    captured.filter(status="committed").update(status="conflict", response=None)
    captured.filter(status="void").update(response=None)

    # 3. No paper response keeps a key.
    responses.filter(channel="paper", client_id__isnull=False).update(client_id=None)
    _checks_now(schema_editor)


def keys_on(apps, schema_editor):
    Sheet = apps.get_model("surveys", "Sheet")
    Response = apps.get_model("surveys", "Response")
    db = schema_editor.connection.alias
    batch = []
    for sheet in Sheet.objects.using(db).only("pk", "serial").iterator(CHUNK):
        sheet.client_id = uuid.uuid5(OLD_PAPER_NAMESPACE, sheet.serial)
        batch.append(sheet)
        if len(batch) == CHUNK:
            Sheet.objects.using(db).bulk_update(batch, ["client_id"])
            batch = []
    Sheet.objects.using(db).bulk_update(batch, ["client_id"])
    taken = set(Response.objects.using(db).exclude(client_id=None).values_list("client_id", flat=True))
    linked = Sheet.objects.using(db).filter(response__channel="paper", response__client_id=None)
    for sheet in linked.select_related("response").iterator(CHUNK):
        if sheet.client_id not in taken:
            sheet.response.client_id = sheet.client_id
            sheet.response.save(update_fields=["client_id"])
    _checks_now(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("surveys", "0002_paper"),
    ]

    operations = [
        # Nullable first, so that going backwards can add the column to a table with rows.
        migrations.AlterField(
            model_name="sheet",
            name="client_id",
            field=models.UUIDField(editable=False, null=True, unique=True, verbose_name="response key"),
        ),
        migrations.RunPython(keys_off, keys_on),
        migrations.RemoveField(model_name="sheet", name="client_id"),
    ]
