from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safetysurvey.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Load a backup written by backup_export into this migrated database, all or nothing. "
        "Refuses a database that holds data unless --force, which replaces everything in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="a zip file written by backup_export")
        parser.add_argument(
            "--force",
            action="store_true",
            help="empty the database first (users, responses, sessions, everything) and load the backup",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, path, force, database, **options):
        try:
            summary = backup_restore(path=path, force=force, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored {summary.total} objects from {summary.path}."))
        if options["verbosity"] >= 2:
            for model, count in summary.counts.items():
                self.stdout.write(f"  {model}: {count}")
