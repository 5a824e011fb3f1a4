from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from safetysurvey.backup import BackupError, backup_export


class Command(BaseCommand):
    help = (
        "Write the application's data (checklists, districts, waves, responses, paper entry, reports, "
        "users, groups, assignments, API tokens) to a new zip file, from one consistent snapshot. "
        "Restore it with backup_restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the zip file to write (must not exist)")
        parser.add_argument("--database", default="default")

    def handle(self, *args, path, database, **options):
        try:
            summary = backup_export(path=path, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Wrote {summary.path}: {summary.total} objects."))
        if options["verbosity"] >= 2:
            for model, count in summary.counts.items():
                self.stdout.write(f"  {model}: {count}")
