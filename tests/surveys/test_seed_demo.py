"""manage.py seed_demo: realistic, deterministic demo data."""

import pandas as pd
from django.contrib.auth.models import User
from django.core.management import call_command

from surveys.models import Response, Wave


def frame():
    """The synthetic responses (the demo paper batch's committed sheets come on top)."""
    synthetic = Response.objects.filter(sheet=None)
    rows = synthetic.values_list("district__code", "wave__code", "channel", "sdg_safe", "answers")
    return pd.DataFrame(rows, columns=["district", "wave", "channel", "sdg", "answers"])


def test_it_seeds_waves_users_and_responses_deterministically(db):
    call_command("seed_demo", responses=600, seed=7, password="pw-demo", verbosity=0)
    first = frame()
    assert len(first) == 600
    assert list(Wave.objects.values_list("code", flat=True)) == ["2018", "2019", "2020"]
    assert Wave.current().code == "2020"
    assert set(first.channel) == {"online", "paper"}
    for username in ("admin", "analyst", "coordinator", "volunteer1", "volunteer2"):
        assert User.objects.get(username=username).check_password("pw-demo")
    Response.objects.filter(sheet=None).delete()
    call_command("seed_demo", responses=600, seed=7, password="pw-demo", verbosity=0)
    assert frame().drop(columns="answers").equals(first.drop(columns="answers"))


def test_it_does_nothing_when_asked_only_if_empty(db):
    call_command("seed_demo", responses=30, verbosity=0)
    call_command("seed_demo", responses=30, if_empty=True, verbosity=0)
    assert len(frame()) == 30


def test_city_districts_feel_less_safe_than_rural_ones(db):
    call_command("seed_demo", responses=3000, seed=1, verbosity=0)
    data = frame().dropna(subset=["sdg"])
    share = data.assign(sdg=data.sdg.astype(float)).groupby("district").sdg.mean()
    assert share[["KRG-KZB", "KRG-ALB", "KRG-TEM"]].max() < share[["KRG-AKT", "KRG-KKR", "KRG-SHE"]].min()
    fraud_worry = data.answers.map(lambda a: a.get("worry_fraud")).mean()
    burglary_worry = data.answers.map(lambda a: a.get("worry_burglary")).mean()
    assert fraud_worry > burglary_worry  # fraud is the top worry (METHOD.md §5)


def test_it_prints_a_paper_batch_keyed_as_in_the_field(db):
    from surveys.demo import DEMO_BATCH
    from surveys.paper_models import Batch, Sheet

    call_command("seed_demo", responses=30, seed=3, verbosity=0)
    batch = Batch.objects.get()
    assert (batch.district.code, batch.wave, batch.size) == ("KRG-KZB", Wave.current(), DEMO_BATCH["size"])
    states = {state: batch.sheets.filter(status=state).count() for state in Sheet.Status.values}
    assert states[Sheet.Status.COMMITTED] == DEMO_BATCH["agreeing"]
    assert states[Sheet.Status.CONFLICT] == DEMO_BATCH["differing"]  # the coordinator's queue
    assert states[Sheet.Status.ENTERED_ONCE] == DEMO_BATCH["keyed_once"]
    paper = Response.objects.filter(channel="paper", wave=Wave.current(), district__code="KRG-KZB")
    counted = batch.sheets.exclude(response=None).values_list("response", flat=True)
    assert set(counted) <= set(paper.values_list("pk", flat=True))
    call_command("seed_demo", responses=30, seed=3, verbosity=0)
    assert Batch.objects.count() == 1


def test_the_demo_figures_are_published_at_once_so_reports_and_the_figures_api_work(db):
    """Reports and GET /api/v1/aggregates/ show published figures only (METHOD.md §4.10)."""
    from reports.models import Snapshot
    from reports.snapshots import latest_snapshot

    call_command("seed_demo", responses=120, seed=3, verbosity=0)
    for wave in Wave.objects.all():
        snapshot = latest_snapshot(wave)
        assert snapshot is not None and snapshot.trigger == Snapshot.Trigger.DEMO, wave.code
        assert snapshot.results["units"]["region"]["figures"]["n"] == Response.objects.filter(
            wave=wave, is_void=False).count()
    count = Snapshot.objects.count()
    call_command("seed_demo", responses=120, if_empty=True, verbosity=0)  # make run, the next time
    assert Snapshot.objects.count() == count  # unchanged waves: nothing new
