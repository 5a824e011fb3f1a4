import io

from django.core.management import call_command
from django.core.management.base import BaseCommand

from surveys.demo import demo_seed
from surveys.models import Response

DEFAULT_PASSWORD = "safety-demo-2020"


class Command(BaseCommand):
    help = (
        "Demo data: Karaganda districts and checklist if missing, waves 2018–2020, the users admin, analyst, "
        "coordinator, volunteer1, volunteer2, synthetic responses and a partly keyed paper batch. "
        "Deterministic for a given seed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--responses", type=int, default=3000, help="Synthetic responses (the demo paper batch adds its own)."
        )
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument(
            "--password", default=None, help=f"Password of the demo users (default {DEFAULT_PASSWORD})."
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when responses already exist.")

    def handle(self, responses, seed, password, if_empty, **options):
        self.verbosity = options.get("verbosity", 1)
        if if_empty and Response.objects.exists():
            self.stdout.write("Demo data already present; nothing seeded.")
            self._publish()
            return
        summary = demo_seed(responses=responses, seed=seed, password=password or DEFAULT_PASSWORD)
        self.stdout.write(self.style.SUCCESS(f"Seeded {summary.responses} responses over {summary.waves} waves."))
        if summary.sheets:
            self.stdout.write(f"A paper batch of {summary.sheets} sheets in Kazybek Bi district, partly keyed.")
        self.stdout.write(f"Users: {', '.join(summary.users)}; password: {password or DEFAULT_PASSWORD}")
        self._publish()

    def _publish(self):
        # Reports and the figures API show published figures only (METHOD.md §4.10): publish
        # each wave's now, so that the demo works at once (a wave already published and
        # unchanged costs a query).
        out = io.StringIO()
        call_command("publish_figures", trigger="demo", stdout=out)
        if self.verbosity > 1:
            self.stdout.write(out.getvalue().rstrip())
        elif self.verbosity:
            self.stdout.write("Figures published (a snapshot of each wave).")
