"""Synthetic demo data: waves, the staff cast and responses that differ like real districts.

The parameters follow METHOD.md §5: the share feeling safe after dark runs from about 45%
(the two Karaganda city districts and Temirtau) to about 80% (rural districts), improves
gently over the three waves, fraud is the top worry, and transport thefts concentrate on a
few bus routes in Karaganda and Temirtau. Women and older people feel a little less safe,
online respondents are younger than paper ones, so weighting has something to correct.
Everything is drawn from one seeded generator: the same seed gives the same data.
"""

import datetime
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import Group, User
from django.db import transaction
from scipy.stats import norm

from checklist.answers import clean_answers
from checklist.definition import ChecklistDef, definition_for
from checklist.models import Checklist, District
from checklist.scoring import respondent_scores

from . import roles
from .models import Assignment, Response, Wave

# Share feeling safe walking alone after dark in the 2018 wave (METHOD.md §5).
SAFE_AFTER_DARK_2018 = {
    "KRG-KZB": 0.46,
    "KRG-ALB": 0.44,
    "KRG-TEM": 0.47,
    "KRG-BAL": 0.58,
    "KRG-SAR": 0.60,
    "KRG-SHA": 0.57,
    "KRG-PRI": 0.72,
    "KRG-ABA": 0.66,
    "KRG-AKT": 0.78,
    "KRG-BZH": 0.70,
    "KRG-KKR": 0.76,
    "KRG-NUR": 0.74,
    "KRG-OSA": 0.73,
    "KRG-SHE": 0.77,
}
WAVES = (
    ("2018", "2018", datetime.date(2018, 4, 1), datetime.date(2018, 6, 30)),
    ("2019", "2019", datetime.date(2019, 4, 1), datetime.date(2019, 6, 30)),
    ("2020", "2020", datetime.date(2020, 4, 1), None),
)
WAVE_GAIN = 0.12  # latent improvement per wave: about +4 points of "safe after dark"
# Bus routes where pickpocketing concentrates, by city (METHOD.md §1, §5).
HOT_ROUTES = {"KRG-KZB": ["12", "37", "43A"], "KRG-ALB": ["12", "01", "43A"], "KRG-TEM": ["5", "19", "24"]}
# How strongly each item follows the resident's feeling of safety (drives the key-driver chart).
ITEM_LOADING = {
    "safe_walk_dark": 1.0,
    "safe_walk_day": 0.6,
    "safe_home_night": 0.7,
    "safe_transport": 0.7,
    "worry_burglary": 0.6,
    "worry_pickpocket": 0.5,
    "worry_fraud": 0.3,
    "worry_violence": 0.7,
    "env_lighting": 0.7,
    "env_cctv": 0.4,
    "env_disorder": 0.65,
    "env_youth_groups": 0.6,
    "env_abandoned": 0.45,
    "env_stray_dogs": 0.2,
    "env_neighbours": 0.35,
    "pol_trust": 0.4,
    "pol_reachable": 0.45,
    "pol_response": 0.4,
    "pol_fair": 0.3,
    "pol_cooperate": 0.2,
}
# Where each item sits on average: fraud is the highest worry, cameras are scarce.
ITEM_SHIFT = {
    "worry_fraud": -0.9,
    "worry_pickpocket": -0.3,
    "env_cctv": -0.5,
    "env_stray_dogs": -0.4,
    "safe_walk_day": 1.2,
    "safe_home_night": 0.9,
    "pol_cooperate": 0.5,
}
STAFF = (
    ("admin", None, ()),
    ("analyst", roles.ANALYST, ()),
    ("coordinator", roles.COORDINATOR, ("KRG-KZB", "KRG-ALB")),
    ("volunteer1", roles.VOLUNTEER, ("KRG-KZB",)),
    ("volunteer2", roles.VOLUNTEER, ("KRG-KZB",)),
)


# The paper batch of the demo (docs/paper.md): sheets keyed twice and agreeing (counted),
# keyed twice with a typing difference (waiting in the coordinator's reconciliation
# queue), keyed once (waiting for the second volunteer), and not keyed yet.
DEMO_BATCH = {"district": "KRG-KZB", "size": 24, "agreeing": 10, "differing": 3, "keyed_once": 5}


@dataclass
class DemoSummary:
    responses: int
    waves: int
    users: list[str]
    sheets: int = 0


def _ordinal(latent: np.ndarray, points: int) -> np.ndarray:
    """Cut a standard-normal-ish latent into scale points 1..k (k = most favourable)."""
    cuts = norm.ppf(np.linspace(0, 1, points + 1)[1:-1]) * 1.1
    return np.searchsorted(cuts, latent) + 1


def _answers_for(
    definition: ChecklistDef, rng: np.random.Generator, district: str, latent: float, age: int, sex: int, channel: str
) -> dict:
    answers: dict = {}
    for item in definition.items:
        if item.kind == "likert" and item.code != "safe_walk_dark_would":
            points = item.scale_points
            loading = ITEM_LOADING.get(item.code, 0.4)
            value_latent = loading * latent + ITEM_SHIFT.get(item.code, 0) + rng.normal(0, (1 - loading**2) ** 0.5)
            point = int(_ordinal(np.array([value_latent]), points)[0])
            if item.reverse:
                point = points + 1 - point
            missing = [o.value for o in item.options if o.missing]
            if missing and rng.random() < 0.03:
                point = missing[0]  # "don't know", not "never walk alone"
            answers[item.code] = point
    # Some older residents never walk alone after dark: they answer hypothetically.
    never = next((o.value for o in definition.by_code["safe_walk_dark"].options if o.value == 8), None)
    if never and age == 4 and rng.random() < 0.25:
        answers["safe_walk_dark_would"] = answers["safe_walk_dark"]
        answers["safe_walk_dark"] = never
    answers["pol_inspector_known"] = int(rng.random() < 0.35)
    city = district in HOT_ROUTES
    rates = {
        "burglary": 0.05 if city else 0.03,
        "transport_theft": 0.08 if city else 0.02,
        "fraud": 0.12,
        "assault_hooliganism": 0.04 if city else 0.025,
    }
    for kind, rate in rates.items():
        victim = rng.random() < rate * (1.6 if latent < -0.5 else 1.0)
        answers[f"vic_{kind}"] = int(victim)
        if victim:
            answers[f"vic_{kind}_reported"] = int(rng.random() < (0.25 if kind == "fraud" else 0.45))
    if rng.random() < 0.6:
        if city and rng.random() < 0.45:
            answers["unsafe_place_type"] = 2
            answers["unsafe_bus_route"] = str(
                rng.choice(HOT_ROUTES[district] + [str(rng.integers(1, 60))], p=[0.35, 0.3, 0.2, 0.15])
            )
        else:
            answers["unsafe_place_type"] = int(
                rng.choice([1, 3, 4, 5, 6, 7, 8], p=[0.15, 0.25, 0.15, 0.1, 0.1, 0.2, 0.05])
            )
    if rng.random() < 0.93:
        answers["age_group"] = age
    if rng.random() < 0.95:
        answers["sex"] = sex
    answers["years_in_area"] = int(rng.choice([1, 2, 3], p=[0.08, 0.27, 0.65]))
    return answers


def _respondent(rng, margins: dict, channel: str) -> tuple[int, int]:
    ages = np.array([float(margins.get("age_group", {}).get(str(k), 0.25)) for k in (1, 2, 3, 4)])
    # Online respondents skew young, paper ones old: what weighting is for (METHOD.md §4.1).
    tilt = np.array([1.8, 1.3, 0.8, 0.4]) if channel == "online" else np.array([0.6, 0.9, 1.1, 1.4])
    ages = ages * tilt / (ages * tilt).sum()
    female = float(margins.get("sex", {}).get("1", 0.54))
    female = min(0.75, female + (0.06 if channel == "paper" else -0.02))
    return int(rng.choice([1, 2, 3, 4], p=ages)), 1 if rng.random() < female else 2


@transaction.atomic
def demo_seed(*, responses: int = 3000, seed: int = 2020, password: str) -> DemoSummary:
    """Waves, the staff cast and `responses` synthetic responses spread over the waves."""
    from django.core.management import call_command

    if not District.objects.exists():
        call_command("load_districts", verbosity=0)
    if not Checklist.current():
        call_command("load_checklist", verbosity=0)
    definition = definition_for(Checklist.current())
    checklist = Checklist.current()
    waves = []
    for code, name, starts, ends in WAVES:
        wave, _ = Wave.objects.get_or_create(code=code, defaults={"name": name, "starts_on": starts, "ends_on": ends})
        waves.append(wave)
    Wave.objects.filter(is_open=True).exclude(pk=waves[-1].pk).update(is_open=False)
    Wave.objects.filter(pk=waves[-1].pk).update(is_open=True)

    roles.ensure_groups()
    districts = {d.code: d for d in District.objects.filter(code__in=SAFE_AFTER_DARK_2018)}
    for username, role, codes in STAFF:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.is_staff = user.is_superuser = username == "admin"
            user.save()
        if role:
            user.groups.add(Group.objects.get(name=role))
        for code in codes:
            Assignment.objects.get_or_create(user=user, district=districts[code])

    rng = np.random.default_rng(seed)
    codes = sorted(districts)
    weights = np.array([districts[c].adult_population or 1 for c in codes], dtype=float) ** 0.5
    rows = []
    for index in range(responses):
        wave_index = index % len(waves)
        wave = waves[wave_index]
        code = str(rng.choice(codes, p=weights / weights.sum()))
        channel = "paper" if rng.random() < 0.55 else "online"
        age, sex = _respondent(rng, districts[code].margins, channel)
        base = norm.ppf(SAFE_AFTER_DARK_2018[code]) + WAVE_GAIN * wave_index
        latent = base - 0.25 * (sex == 1) - 0.12 * (age - 2) + rng.normal(0, 1)
        answers = _answers_for(definition, rng, code, latent, age, sex, channel)
        cleaned, errors = clean_answers(definition, answers)
        if errors:  # the generator must only make valid sheets
            raise ValueError(f"demo answers invalid: {errors}")
        response = Response(
            checklist=checklist,
            wave=wave,
            district=districts[code],
            channel=channel,
            language=str(rng.choice(["ru", "kk", "en"], p=[0.62, 0.35, 0.03])),
            answers=cleaned,
            submitted_on=wave.starts_on + datetime.timedelta(days=int(rng.integers(0, 60))),
        )
        response.set_scores(respondent_scores(definition, cleaned))
        rows.append(response)
    Response.objects.bulk_create(rows, batch_size=1000)
    sheets = _demo_paper_batch(definition, rng, districts[DEMO_BATCH["district"]], waves[-1])
    return DemoSummary(
        responses=len(rows), waves=len(waves), users=[username for username, _, _ in STAFF], sheets=sheets
    )


def _demo_paper_batch(definition: ChecklistDef, rng: np.random.Generator, district: District, wave: Wave) -> int:
    """A printed batch of the open wave, keyed by volunteer1 and volunteer2 as in the field
    (DEMO_BATCH), once: a second seeding leaves an existing batch alone. Returns its size."""
    from .paper_models import Batch
    from .paper_services import batch_create, paper_entry_create

    if Batch.objects.filter(district=district, wave=wave).exists():
        return 0
    staff = ("coordinator", "volunteer1", "volunteer2")
    coordinator, first, second = (User.objects.get(username=name) for name in staff)
    batch = batch_create(district=district, wave=wave, language="ru", size=DEMO_BATCH["size"], created_by=coordinator)
    keyed_twice = DEMO_BATCH["agreeing"] + DEMO_BATCH["differing"]
    for index, sheet in enumerate(batch.sheets.order_by("number")[: keyed_twice + DEMO_BATCH["keyed_once"]]):
        age, sex = _respondent(rng, district.margins, "paper")
        latent = norm.ppf(SAFE_AFTER_DARK_2018[district.code]) + rng.normal(0, 1)
        answers = _answers_for(definition, rng, district.code, latent, age, sex, "paper")
        paper_entry_create(sheet=sheet, user=first, answers=answers)
        if index >= keyed_twice:
            continue
        if index >= DEMO_BATCH["agreeing"]:  # a slip of the finger on the second keying
            answers = {**answers, "pol_trust": 1 + answers["pol_trust"] % 5}
        paper_entry_create(sheet=sheet, user=second, answers=answers)
    return batch.size
