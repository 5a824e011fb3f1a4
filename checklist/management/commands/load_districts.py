from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from checklist.loading import DataFileError, districts_load

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "karaganda.yaml"


class Command(BaseCommand):
    help = "Create or update districts from a YAML file (default: Karaganda region). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT))

    def handle(self, path, **options):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        try:
            count = districts_load(text=text)
        except DataFileError as error:
            raise CommandError(f"{path} was not loaded; nothing was written:\n" + "\n".join(error.problems)) from None
        self.stdout.write(self.style.SUCCESS(f"Loaded {count} districts."))
