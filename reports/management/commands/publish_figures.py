"""manage.py publish_figures: make the snapshots of published figures now (METHOD.md §4.10)."""

from django.core.management.base import BaseCommand, CommandError

from reports.models import Snapshot
from reports.snapshots import snapshot_make
from surveys.models import Wave


class Command(BaseCommand):
    help = (
        "Publish the figures of every wave (or of --wave) as the nightly run does: a snapshot per wave whose "
        "input changed since its last one, each district changed only by the rule of METHOD.md §4.10."
    )

    def add_arguments(self, parser):
        parser.add_argument("--wave", help="A wave code (default: every wave).")
        parser.add_argument(
            "--trigger", default=Snapshot.Trigger.NIGHTLY, choices=Snapshot.Trigger.values,
            help="What the snapshot is recorded as made for (default: nightly).",
        )

    def handle(self, wave=None, trigger=Snapshot.Trigger.NIGHTLY, **options):
        waves = Wave.objects.order_by("starts_on")
        if wave is not None:
            waves = waves.filter(code=wave)
            if not waves.exists():
                raise CommandError(f"There is no wave {wave!r}.")
        for each in waves:
            snapshot = snapshot_make(wave=each, trigger=trigger)
            units = ", ".join(snapshot.republished) or "none (unchanged)"
            self.stdout.write(f"Wave {each.code}: snapshot {snapshot.pk}; computed anew: {units}.")
