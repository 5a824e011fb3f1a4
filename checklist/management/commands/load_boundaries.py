from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from checklist.boundaries import boundaries_clear, boundaries_load
from checklist.loading import DataFileError
from checklist.models import District


class Command(BaseCommand):
    help = (
        "Load district boundaries from a GeoJSON FeatureCollection (each feature's property "
        "'code' names a District; Polygon or MultiPolygon in longitude/latitude). All or nothing. "
        "With boundaries for every district, the region report's map becomes a true choropleth."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the GeoJSON file")
        parser.add_argument("--property", default="code", help="the feature property holding the district code")
        parser.add_argument("--clear", action="store_true", help="remove every boundary (back to the tile map)")

    def handle(self, path=None, property="code", clear=False, **options):
        if clear:
            self.stdout.write(self.style.SUCCESS(f"Removed {boundaries_clear()} boundaries."))
            return
        if not path:
            raise CommandError("Give the path of a GeoJSON file (or --clear).")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: {getattr(error, 'strerror', None) or error}") from None
        try:
            codes = boundaries_load(text=text, code_property=property)
        except DataFileError as error:
            raise CommandError(f"{path} was not loaded; nothing was written:\n" + "\n".join(error.problems)) from None
        self.stdout.write(self.style.SUCCESS(f"Loaded boundaries of {len(codes)} districts."))
        leaves = [d.code for d in District.objects.filter(boundary__isnull=True) if d.takes_responses]
        if leaves:
            self.stdout.write(self.style.WARNING(
                "Still without a boundary (the map stays a tile map until every district has one): "
                + ", ".join(sorted(leaves))
            ))
