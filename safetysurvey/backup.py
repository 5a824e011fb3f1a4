"""Backups of the application's data as one zip file, independent of the database engine.

`backup_export` writes, from one consistent snapshot, a `dumpdata` JSON Lines file per app
(natural keys for users, groups, permissions and content types) and a manifest: the format,
the migrations the data was written under, a checksum and the object count of every file.
`backup_restore` loads such a file into a migrated database, all or nothing.

What is in it: every model of the project's own apps (the questionnaire, districts, waves,
responses, assignments, paper entry, report jobs, ... and their history tables), users,
groups and their permissions, API tokens and the admin's change log. What is not: sessions
and django-axes' login records (nobody needs them back), content types and permissions
(`migrate` makes them; they travel as natural keys), and files under MEDIA_ROOT (generated
report files: regenerate them, or copy the media storage beside the backup, see
docs/deploying.md).

For a whole PostgreSQL database, pg_dump/pg_restore is the faster recipe (docs/deploying.md);
this format also moves data between engines and checks what it restores.
"""

import datetime
import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "safetysurvey-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# Apps of other packages whose rows belong in a backup, around the project's own apps.
LEADING_APPS = ("auth",)
TRAILING_APPS = ("authtoken", "admin")
# Recreated by `migrate`; referenced by natural key from the rest.
EXCLUDED_MODELS = ("auth.permission",)
# Rows that setting up a database may already have made (the role groups): a restore merges
# them by natural key instead of calling the database "not empty".
MERGED_MODELS = ("auth.group",)

NOT_A_BACKUP = "{path} is not a safetysurvey backup (a zip file with a {manifest})."
UNSUPPORTED_VERSION = "This backup has format version {found}; this version of safetysurvey reads version {supported}."
DAMAGED_FILE = "The backup is damaged: {name} does not match its checksum."
MISSING_FILE = "The backup is damaged: {name} is listed in the manifest but missing."
MISSING_MIGRATIONS = (
    "The database lacks migrations the backup was written under: {migrations}. "
    "Run `manage.py migrate` with this or a newer version of safetysurvey first."
)
NOT_EMPTY = (
    "The database already holds data ({counts}). Restore into a freshly migrated, empty database, "
    "or pass --force to replace everything in it with the backup."
)
COUNT_MISMATCH = "The restore did not reproduce the backup ({differences}); nothing was changed."
TARGET_EXISTS = "{path} exists already; choose another file name."
LOAD_FAILED = "The backup could not be loaded ({error}); nothing was changed."


class BackupError(Exception):
    """A backup cannot be written or restored; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    counts: dict[str, int]  # objects per model label, e.g. {"surveys.response": 3000}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def backup_app_labels() -> list[str]:
    """The apps a backup holds: auth, the project's own apps with models, authtoken, admin."""
    base = Path(settings.BASE_DIR).resolve()
    own = [
        config.label
        for config in apps.get_app_configs()
        if _is_project_app(Path(config.path).resolve(), base) and list(config.get_models())
    ]
    return [label for label in (*LEADING_APPS, *own, *TRAILING_APPS) if _installed(label)]


def _installed(label: str) -> bool:
    try:
        apps.get_app_config(label)
    except LookupError:
        return False
    return True


def _is_project_app(path: Path, base: Path) -> bool:
    return path.is_relative_to(base) and "site-packages" not in path.parts


def _models(label: str):
    return [
        model
        for model in apps.get_app_config(label).get_models()
        if model._meta.label_lower not in EXCLUDED_MODELS and not model._meta.proxy and model._meta.managed
    ]


def _counts(labels, using: str) -> dict[str, int]:
    return {
        model._meta.label_lower: model._base_manager.using(using).count()
        for label in labels
        for model in _models(label)
    }


def _applied_migrations(labels, using: str) -> dict[str, list[str]]:
    applied = MigrationRecorder(connections[using]).applied_migrations()
    return {label: sorted(name for app, name in applied if app == label) for label in labels}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _ExactEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds (as JavaScript would); a backup keeps them whole."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _dump(label: str, file: Path, using: str) -> dict[str, int]:
    """Write one app's rows to a JSON Lines file, as `dumpdata --natural-foreign --natural-primary
    --all` would (models in dependency order, rows by primary key); return the count per model."""
    app = apps.get_app_config(label)
    counts = {}
    with file.open("w", encoding="utf-8") as stream:
        for model in serializers.sort_dependencies([(app, _models(label))], allow_cycles=True):
            written = 0

            def rows(model=model):
                nonlocal written
                for row in model._base_manager.using(using).order_by(model._meta.pk.name).iterator(chunk_size=2000):
                    written += 1
                    yield row

            serializers.serialize(
                "jsonl",
                rows(),
                stream=stream,
                use_natural_foreign_keys=True,
                use_natural_primary_keys=True,
                cls=_ExactEncoder,
            )
            counts[model._meta.label_lower] = written
    return counts


def backup_export(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> BackupSummary:
    """Write the application's data to a new zip file at `path`."""
    path = Path(path)
    if path.exists():
        raise BackupError(TARGET_EXISTS.format(path=path))
    labels = backup_app_labels()
    connection = connections[using]
    outermost = transaction.get_autocommit(using)
    entries = []
    with tempfile.TemporaryDirectory() as scratch, transaction.atomic(using=using):
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for every file: a user added between two files cannot leave an
            # assignment pointing at nobody. (Must be the transaction's first statement.)
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        migrations = _applied_migrations(labels, using)
        counts = {}
        for label in labels:
            file = Path(scratch) / f"{label}.jsonl"
            objects = _dump(label, file, using)
            counts |= objects
            entries.append({"app": label, "file": file.name, "sha256": _sha256(file), "objects": objects})
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "database": connection.vendor,
            "migrations": migrations,
            "files": entries,
        }
        partial = path.with_name(path.name + ".partial")
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
                for entry in entries:
                    archive.write(Path(scratch) / entry["file"], entry["file"])
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    return BackupSummary(path=path, counts=counts)


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError(NOT_A_BACKUP.format(path=path, manifest=MANIFEST)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(NOT_A_BACKUP.format(path=path, manifest=MANIFEST))
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(UNSUPPORTED_VERSION.format(found=manifest.get("version"), supported=FORMAT_VERSION))
    return manifest


def _extract(archive: zipfile.ZipFile, manifest: dict, into: Path) -> list[Path]:
    files = []
    for entry in manifest["files"]:
        name = entry["file"]
        # Only plain file names written by backup_export: nothing lands outside `into`.
        if Path(name).name != name or not name.endswith(".jsonl"):
            raise BackupError(DAMAGED_FILE.format(name=name))
        try:
            archive.extract(name, into)
        except KeyError:
            raise BackupError(MISSING_FILE.format(name=name)) from None
        if _sha256(into / name) != entry["sha256"]:
            raise BackupError(DAMAGED_FILE.format(name=name))
        if entry["objects"] and any(entry["objects"].values()):
            files.append(into / name)
    return files


def _check_migrations(manifest: dict, using: str) -> None:
    labels = list(manifest["migrations"])
    applied = _applied_migrations([label for label in labels if _installed(label)], using)
    missing = [
        f"{label}.{name}"
        for label, names in manifest["migrations"].items()
        for name in names
        if name not in applied.get(label, [])
    ]
    if missing:
        raise BackupError(MISSING_MIGRATIONS.format(migrations=", ".join(missing)))


def _flush(using: str) -> None:
    """Empty every table but content types and permissions (migrate's, kept for natural keys)."""
    connection = connections[using]
    keep = {apps.get_model(label)._meta.db_table for label in ("contenttypes.contenttype", *EXCLUDED_MODELS)}
    tables = [table for table in connection.introspection.django_table_names(only_existing=True) if table not in keep]
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=False)
    connection.ops.execute_sql_flush(statements)


BATCH_SIZE = 1000


def _load(files: list[Path], using: str) -> None:
    """What `loaddata` does, with rows inserted a thousand at a time.

    loaddata saves objects one by one (a million responses would take half an hour); rows
    with their own primary key and no many-to-many data go in by multi-row INSERTs. Users and
    groups (natural primary keys, many-to-many) are saved one by one as loaddata would.
    Constraints are checked and sequences moved past the loaded ids at the end.
    """
    connection = connections[using]
    models = set()
    deferred = []
    batch = []

    def flush():
        # Model.save(raw=True) does this for one row: stored values as they are, no
        # auto_now/auto_now_add (bulk_create would stamp those), no signals.
        if batch:
            model = type(batch[0])
            fields = model._meta.local_concrete_fields
            size = max(1, min(BATCH_SIZE, connection.ops.bulk_batch_size(fields, batch)))
            for start in range(0, len(batch), size):
                model._base_manager.using(using)._insert(batch[start : start + size], fields=fields, raw=True)
            batch.clear()

    with connection.constraint_checks_disabled():
        for file in files:
            with file.open(encoding="utf-8") as stream:
                for item in serializers.deserialize("jsonl", stream, using=using, handle_forward_references=True):
                    row = item.object
                    model = type(row)
                    models.add(model)
                    simple = row.pk is not None and not item.m2m_data and not item.deferred_fields
                    if simple and not model._meta.parents:
                        if batch and type(batch[0]) is not model:
                            flush()
                        batch.append(row)
                        if len(batch) >= BATCH_SIZE:
                            flush()
                        continue
                    flush()
                    item.save(using=using)
                    if item.deferred_fields:
                        deferred.append(item)
                flush()
        for item in deferred:
            item.save_deferred_fields(using=using)
    connection.check_constraints(table_names=[model._meta.db_table for model in models])
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


def backup_restore(*, path: Path, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> BackupSummary:
    """Load a backup into this (migrated) database, all or nothing.

    Refuses a database that holds data unless `force`, which first empties it (sessions and
    login records too). Checks that every model ends with the object count of the backup.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        raise BackupError(NOT_A_BACKUP.format(path=path, manifest=MANIFEST)) from None
    with archive, tempfile.TemporaryDirectory() as scratch:
        manifest = _read_manifest(archive, path)
        _check_migrations(manifest, using)
        files = _extract(archive, manifest, Path(scratch))
        expected = {model: count for entry in manifest["files"] for model, count in entry["objects"].items()}
        labels = [entry["app"] for entry in manifest["files"]]
        with transaction.atomic(using=using):
            present = {
                model: count for model, count in _counts(labels, using).items() if count and model not in MERGED_MODELS
            }
            if present and not force:
                raise BackupError(NOT_EMPTY.format(counts=", ".join(f"{m} {n}" for m, n in sorted(present.items()))))
            if force:
                _flush(using)
            try:
                _load(files, using)
            except (DeserializationError, DatabaseError) as error:
                raise BackupError(LOAD_FAILED.format(error=error)) from error
            counts = _counts(labels, using)
            differences = [
                f"{model}: {counts.get(model, 0)} instead of {count}"
                for model, count in sorted(expected.items())
                if (counts.get(model, 0) < count if model in MERGED_MODELS else counts.get(model, 0) != count)
            ]
            if differences:
                raise BackupError(COUNT_MISMATCH.format(differences="; ".join(differences)))
    return BackupSummary(path=path, counts={model: counts.get(model, 0) for model in expected})
