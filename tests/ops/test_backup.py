"""backup_export / backup_restore: a round trip of checklists, districts, waves, responses,
users, groups, assignments and tokens, all or nothing."""

import json
import zipfile

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.authtoken.models import Token

from safetysurvey import backup
from safetysurvey.backup import BackupError, backup_app_labels, backup_export, backup_restore
from surveys.demo import DEMO_BATCH, demo_seed
from surveys.models import Assignment, Response

pytestmark = pytest.mark.django_db(transaction=True)


def everything() -> dict[str, list[str]]:
    """Every row of every backed-up model, as text that ignores nothing but user/group ids."""
    rows = {}
    for label in backup_app_labels():
        for model in backup._models(label):
            objects = serializers.serialize(
                "python", model._base_manager.all(), use_natural_foreign_keys=True, use_natural_primary_keys=True
            )
            rows[model._meta.label_lower] = sorted(json.dumps(o, sort_keys=True, default=str) for o in objects)
    return rows


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def data(db):
    demo_seed(responses=120, seed=3, password="pw-backup-2020")
    analyst = User.objects.get(username="analyst")
    Token.objects.create(user=analyst)
    LogEntry.objects.log_actions(
        user_id=User.objects.get(username="admin").pk,
        queryset=[analyst],
        action_flag=ADDITION,
        change_message="added",
    )
    return everything()


def test_the_backup_covers_the_project_apps_users_and_tokens_but_not_sessions_or_login_records():
    labels = backup_app_labels()
    assert labels[0] == "auth"
    assert {"checklist", "surveys", "authtoken", "admin"} <= set(labels)
    assert not {"sessions", "axes", "contenttypes", "simple_history"} & set(labels)


def test_export_flush_restore_gives_back_every_row(data, tmp_path):
    exported = backup_export(path=tmp_path / "backup.zip")
    assert exported.counts["surveys.response"] == 120 + DEMO_BATCH["agreeing"]  # and the demo's paper sheets
    assert exported.counts["surveys.sheet"] == DEMO_BATCH["size"]
    assert exported.counts["auth.user"] == 5 and exported.counts["authtoken.token"] == 1

    call_command("flush", interactive=False, verbosity=0)
    assert Response.objects.count() == 0 and User.objects.count() == 0

    restored = backup_restore(path=tmp_path / "backup.zip")
    assert restored.counts == exported.counts
    assert everything() == data


def test_after_a_restore_staff_log_in_with_their_passwords_and_keep_their_districts(data, tmp_path, client):
    backup_export(path=tmp_path / "backup.zip")
    call_command("flush", interactive=False, verbosity=0)
    backup_restore(path=tmp_path / "backup.zip")

    coordinator = User.objects.get(username="coordinator")
    assert coordinator.check_password("pw-backup-2020")
    assert list(coordinator.groups.values_list("name", flat=True)) == ["coordinator"]
    assert Assignment.objects.filter(user=coordinator).exists()
    assert Token.objects.get(user__username="analyst")
    assert client.post("/accounts/login/", {"username": "analyst", "password": "pw-backup-2020"}).status_code == 302


def test_new_rows_after_a_restore_get_fresh_ids(data, tmp_path):
    backup_export(path=tmp_path / "backup.zip")
    call_command("flush", interactive=False, verbosity=0)
    backup_restore(path=tmp_path / "backup.zip")
    highest = Response.objects.order_by("-pk").first()
    clone = Response.objects.get(pk=highest.pk)
    clone.pk = None
    clone.client_id = None
    clone.save()  # on PostgreSQL the id sequence was moved past the restored rows
    assert clone.pk > highest.pk


def test_a_database_with_data_is_refused_and_left_alone(data, tmp_path):
    backup_export(path=tmp_path / "backup.zip")
    Response.objects.filter(pk__in=Response.objects.values("pk")[:20]).delete()
    with pytest.raises(BackupError, match="already holds data"):
        backup_restore(path=tmp_path / "backup.zip")
    assert Response.objects.count() == 100 + DEMO_BATCH["agreeing"]


def test_force_replaces_the_database_with_the_backup(data, tmp_path):
    backup_export(path=tmp_path / "backup.zip")
    Response.objects.filter(pk__in=Response.objects.values("pk")[:20]).delete()
    User.objects.create_user("intruder", password="x-long-password-1")
    backup_restore(path=tmp_path / "backup.zip", force=True)
    assert everything() == data


def test_role_groups_made_by_setting_up_the_database_are_merged_not_refused(data, tmp_path):
    backup_export(path=tmp_path / "backup.zip")
    call_command("flush", interactive=False, verbosity=0)
    Group.objects.create(name="volunteer")
    backup_restore(path=tmp_path / "backup.zip")
    assert Group.objects.filter(name="volunteer").count() == 1
    assert everything() == data


def rewrite(path, *, manifest=None, files=None):
    """A copy of the backup at `path` with a changed manifest or changed file contents."""
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    current = json.loads(contents["manifest.json"])
    if manifest:
        manifest(current)
    contents["manifest.json"] = json.dumps(current).encode()
    contents |= files or {}
    changed = path.with_name("changed.zip")
    with zipfile.ZipFile(changed, "w") as archive:
        for name, content in contents.items():
            archive.writestr(name, content)
    return changed


def test_a_backup_that_fails_halfway_restores_nothing(data, tmp_path):
    path = backup_export(path=tmp_path / "backup.zip").path
    with zipfile.ZipFile(path) as archive:
        lines = archive.read("surveys.jsonl").decode().splitlines()
    # The last response points at a district that is not in the backup.
    last = max(i for i, line in enumerate(lines) if '"model": "surveys.response"' in line)
    broken = [*lines[:last], lines[last].replace('"district": ', '"district": 99999, "was": ', 1), *lines[last + 1:]]
    assert broken != lines
    body = ("\n".join(broken) + "\n").encode()

    def fix_checksum(manifest):
        import hashlib

        for entry in manifest["files"]:
            if entry["file"] == "surveys.jsonl":
                entry["sha256"] = hashlib.sha256(body).hexdigest()

    changed = rewrite(path, manifest=fix_checksum, files={"surveys.jsonl": body})
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(BackupError, match="nothing was changed"):
        backup_restore(path=changed)
    assert User.objects.count() == 0 and Response.objects.count() == 0


def test_a_damaged_file_is_refused(data, tmp_path):
    path = backup_export(path=tmp_path / "backup.zip").path
    changed = rewrite(path, files={"surveys.jsonl": b'{"model": "surveys.wave", "fields": {}}\n'})
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(BackupError, match="does not match its checksum"):
        backup_restore(path=changed)


def test_a_file_that_is_not_a_backup_is_refused(tmp_path):
    (tmp_path / "notes.zip").write_text("hello")
    with pytest.raises(BackupError, match="is not a safetysurvey backup"):
        backup_restore(path=tmp_path / "notes.zip")


def test_a_backup_from_a_newer_schema_is_refused(data, tmp_path):
    path = backup_export(path=tmp_path / "backup.zip").path
    changed = rewrite(path, manifest=lambda m: m["migrations"]["surveys"].append("0999_from_the_future"))
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(BackupError, match=r"surveys\.0999_from_the_future"):
        backup_restore(path=changed)


def test_export_never_overwrites_a_file(data, tmp_path):
    (tmp_path / "backup.zip").write_text("an older backup")
    with pytest.raises(BackupError, match="exists already"):
        backup_export(path=tmp_path / "backup.zip")


def test_the_commands_round_trip_and_report(data, tmp_path, capsys):
    call_command("backup_export", str(tmp_path / "backup.zip"))
    assert "objects" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already holds data"):
        call_command("backup_restore", str(tmp_path / "backup.zip"))
    call_command("backup_restore", str(tmp_path / "backup.zip"), force=True)
    assert "Restored" in capsys.readouterr().out
    assert everything() == data


def test_content_types_and_permissions_travel_by_natural_key(data, tmp_path):
    volunteer = Group.objects.get(name="volunteer")
    volunteer.permissions.add(*ContentType.objects.get_for_model(Response).permission_set.all())
    expected = everything()
    backup_export(path=tmp_path / "backup.zip")
    call_command("flush", interactive=False, verbosity=0)
    backup_restore(path=tmp_path / "backup.zip")
    assert everything() == expected
    assert Group.objects.get(name="volunteer").permissions.filter(codename="view_response").exists()


@pytest.mark.postgres
def test_the_round_trip_works_on_postgresql(data, tmp_path):
    from django.db import connection

    assert connection.vendor == "postgresql"
    backup_export(path=tmp_path / "backup.zip")
    call_command("flush", interactive=False, verbosity=0)
    backup_restore(path=tmp_path / "backup.zip")
    assert everything() == data
