"""Published values are rounded to what is displayed (METHOD.md §4.10): scores to 0.1 on 0–100,
shares to 0.1 percentage point (0.001), correlations and design effects to 0.01, n_eff to a
whole number; counts stay exact. Rounded when the snapshot is stored, so every reader gets
the rounded values, and the reports read the same as from the unrounded figures."""

import re

from django.utils.translation import override

from reports import publication, rendering
from reports.figures import wave_results
from reports.snapshots import latest_snapshot, results_of
from surveys.models import Wave


def places(value: float) -> int:
    text = repr(float(value))
    return 0 if text.endswith(".0") else len(text.split(".")[1])


def estimates(tree, path=()):
    """(path, dict) of every estimate-like dict in the document."""
    if isinstance(tree, dict):
        if "value" in tree or "diff" in tree:
            yield path, tree
        for key, value in tree.items():
            yield from estimates(value, (*path, key))
    elif isinstance(tree, list):
        for number, value in enumerate(tree):
            yield from estimates(value, (*path, number))


def allowed(path) -> int:
    """The decimals a published number may have, by what it is."""
    names = [p for p in path if isinstance(p, str)]
    if "drivers" in names and names[-1] != "unfavourable_share":
        return publication.CORRELATION_PLACES
    if names[-1] in publication.SCORE_KEYS:
        return publication.SCORE_PLACES
    return publication.SHARE_PLACES


def test_every_published_number_is_rounded_to_what_is_displayed(report_data):
    document = latest_snapshot(report_data["wave"]).results
    checked = 0
    for path, estimate in estimates(document["units"]):
        for key in ("value", "se", "low", "high", "diff"):
            if isinstance(estimate.get(key), float):
                assert places(estimate[key]) <= allowed(path), (path, key, estimate[key])
                checked += 1
        if isinstance(estimate.get("n_eff"), float):
            assert estimate["n_eff"] == round(estimate["n_eff"]), path
        if isinstance(estimate.get("deff"), float):
            assert places(estimate["deff"]) <= publication.DEFF_PLACES, path
        if estimate.get("n") is not None:
            assert isinstance(estimate["n"], int), path  # counts stay exact
    assert checked > 500
    for code, unit in document["units"].items():
        for block in document["blocks"]:
            figures = unit["figures"][block]
            if figures.get("n_eff") is not None:
                assert figures["n_eff"] == round(figures["n_eff"]), code
        for driver in unit["figures"]["weighted"].get("drivers") or []:
            if driver["correlation"] is not None:
                assert places(driver["correlation"]) <= publication.CORRELATION_PLACES
        for shares in unit["distributions"].values():
            assert all(places(share) <= publication.SHARE_PLACES for share in shares or [])


def test_rounding_keeps_counts_flags_and_missing_values():
    block = {
        "n_eff": 37.42, "deff": 1.2345,
        "index": {"value": 61.449, "se": 2.371, "low": 56.76, "high": 66.14, "n": 40, "n_eff": 37.42, "deff": 1.07,
                  "suppressed": False},
        "sdg": {"value": 0.61449, "se": 0.0763, "low": 0.4561, "high": 0.7511, "n": 38, "n_eff": 35.6, "deff": 1.07,
                "suppressed": False},
        "police": {"value": None, "se": None, "low": None, "high": None, "n": None, "n_eff": None, "deff": None,
                   "suppressed": True},
        "change": {"index": {"diff": 4.04, "se": 1.66, "low": 0.79, "high": 7.29, "significant": True,
                             "suppressed": False},
                   "sdg": {"diff": 0.0726, "se": 0.031, "low": 0.0117, "high": 0.1333, "significant": True,
                           "suppressed": False}},
        "drivers": [{"item": "env_lighting", "correlation": 0.4567, "n": 40, "priority": True, "suppressed": False,
                     "unfavourable_share": {"value": 0.33333, "low": 0.2, "high": 0.5, "se": None, "n": 40}}],
    }
    out = publication.round_block(block)
    assert (out["n_eff"], out["deff"]) == (37.0, 1.23)
    assert {k: out["index"][k] for k in ("value", "se", "low", "high", "n")} == {
        "value": 61.4, "se": 2.4, "low": 56.8, "high": 66.1, "n": 40}
    assert {k: out["sdg"][k] for k in ("value", "se", "low", "high", "n")} == {
        "value": 0.614, "se": 0.076, "low": 0.456, "high": 0.751, "n": 38}
    assert out["police"] == block["police"]
    assert out["change"]["index"]["diff"] == 4.0 and out["change"]["sdg"]["diff"] == 0.073
    assert out["change"]["sdg"]["significant"] is True
    assert out["drivers"][0]["correlation"] == 0.46 and out["drivers"][0]["unfavourable_share"]["value"] == 0.333
    assert block["index"]["value"] == 61.449  # the input is left as it was


def _visible(html: str) -> str:
    """What a reader of the HTML sees in words and numbers: no charts, no provenance, no times."""
    html = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.S)
    html = re.sub(r'<div class="provenance".*?</div>', "", html, flags=re.S)
    html = re.sub(r"<meta[^>]*>", "", html)
    html = re.sub(r'<section class="method".*?</section>', "", html, flags=re.S)
    html = re.sub(r"<dt>[^<]*</dt><dd>\d+ [^<]*\d\d:\d\d</dd>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_reports_read_the_same_from_the_published_figures_as_from_the_unrounded_ones(report_data):
    """The report prints scores to 0.1 and shares as whole percentages, coarser than or as
    fine as what is published, so rounding when publishing changes no printed figure."""
    wave = Wave.objects.get(code="2020")
    snapshot = latest_snapshot(wave)
    live = wave_results(wave)
    published = results_of(snapshot)
    for scope, language in (("region", "en"), ("KRG-KZB", "kk"), ("KRG-TEM", "ru")):
        with override(language):
            from_live = rendering._context(live, scope, language, lambda p: None)
            from_snapshot = rendering._context(published, scope, language, lambda p: None, snapshot=snapshot)
            texts = [
                _visible(rendering.render_to_string("reports/report.html", context))
                for context in (from_live, from_snapshot)
            ]
        assert texts[0] == texts[1], scope
