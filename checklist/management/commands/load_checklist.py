from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from checklist.loading import DataFileError, checklist_load

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "checklist-v1.yaml"


class Command(BaseCommand):
    help = "Load a checklist version from a YAML file (default: the shipped checklist v1). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT))
        parser.add_argument("--draft", action="store_true", help="Load as a draft to edit in the admin.")
        parser.add_argument("--if-missing", action="store_true", help="Do nothing when this version is already loaded.")

    def handle(self, path, draft, if_missing, **options):
        from checklist.loading import parse_checklist
        from checklist.models import Checklist

        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        try:
            if if_missing and Checklist.objects.filter(version=parse_checklist(text)["version"]).exists():
                self.stdout.write("Checklist already loaded.")
                return
            checklist = checklist_load(text=text, publish=not draft)
        except DataFileError as error:
            raise CommandError(f"{path} was not loaded; nothing was written:\n" + "\n".join(error.problems)) from None
        state = "draft" if draft else "published"
        self.stdout.write(self.style.SUCCESS(f"Loaded checklist version {checklist.version} ({state})."))
