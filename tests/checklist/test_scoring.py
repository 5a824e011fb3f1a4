"""METHOD.md §3: one respondent's scores."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checklist.definition import ChecklistDef, ItemDef, OptionDef, SectionDef
from checklist.scoring import item_score, rescale, respondent_scores, subscore


def scale(points: int, missing=(9,)) -> tuple[OptionDef, ...]:
    return tuple(OptionDef(value=v, label={"en": str(v)}) for v in range(1, points + 1)) + tuple(
        OptionDef(value=v, label={"en": "dk"}, missing=True) for v in missing
    )


def likert(code, points=5, reverse=False, subscore="feeling", **extra) -> ItemDef:
    return ItemDef(
        code=code,
        kind="likert",
        section="A",
        text={"en": code},
        options=scale(points),
        reverse=reverse,
        subscore=subscore,
        **extra,
    )


@given(points=st.integers(2, 11), data=st.data())
def test_every_item_score_lies_between_0_and_100(points, data):
    x = data.draw(st.integers(1, points))
    assert 0 <= rescale(x, points) <= 100


@given(points=st.integers(2, 11), data=st.data())
def test_reverse_coding_mirrors_the_score(points, data):
    x = data.draw(st.integers(1, points))
    assert rescale(x, points, reverse=True) == pytest.approx(100 - rescale(x, points))


def test_the_ends_of_a_scale_are_0_and_100():
    assert rescale(1, 4) == 0 and rescale(4, 4) == 100
    assert rescale(2, 5) == 25


def test_dont_know_counts_as_missing():
    assert item_score(likert("a"), 9) is None
    assert item_score(likert("a"), None) is None


@given(answered=st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=9))
def test_a_subscore_is_missing_when_fewer_than_half_its_items_are_answered(answered):
    items = tuple(likert(f"i{n}") for n in range(len(answered)))
    answers = {f"i{n}": value for n, value in enumerate(answered) if value is not None}
    result = subscore(items, answers)
    given_scores = [rescale(v, 5) for v in answered if v is not None]
    if len(given_scores) * 2 < len(items):
        assert result is None
    else:
        assert result == pytest.approx(sum(given_scores) / len(given_scores))
        assert 0 <= result <= 100


def test_the_checklist_scores_follow_method_section_3(definition):
    answers = {
        "safe_walk_dark": 3,
        "safe_walk_day": 4,
        "safe_home_night": 4,
        "safe_transport": 2,
        "worry_burglary": 1,
        "worry_pickpocket": 5,
        "worry_fraud": 9,
        "worry_violence": 2,
        "env_lighting": 5,
        "env_cctv": 1,
        "pol_trust": 4,
        "pol_reachable": 4,
        "pol_response": 3,
        "pol_fair": 9,
        "pol_cooperate": 5,
    }
    scores = respondent_scores(definition, answers)
    # feeling: 66.7, 100, 100, 33.3, 100 (reverse of 1), 0 (reverse of 5), missing, 75
    assert scores.feeling == pytest.approx((200 / 3 + 100 + 100 + 100 / 3 + 100 + 0 + 75) / 7)
    assert scores.environment is None  # 2 of 7 answered
    assert scores.police == pytest.approx((75 + 75 + 50 + 100) / 4)
    assert scores.overall == pytest.approx((scores.feeling + scores.police) / 2)
    assert scores.sdg_safe is True


def test_never_walking_alone_after_dark_counts_as_the_hypothetical_answer(definition):
    never = {"safe_walk_dark": 8, "safe_walk_dark_would": 1}
    assert respondent_scores(definition, never).sdg_safe is False
    assert respondent_scores(definition, {"safe_walk_dark": 8}).sdg_safe is None
    alone = respondent_scores(definition, {**never, "safe_walk_day": 4, "safe_home_night": 4, "safe_transport": 4})
    assert alone.feeling == pytest.approx((0 + 100 + 100 + 100) / 4)


def test_the_sdg_flag_is_missing_for_dont_know(definition):
    assert respondent_scores(definition, {"safe_walk_dark": 9}).sdg_safe is None
    assert respondent_scores(definition, {"safe_walk_dark": 2}).sdg_safe is False


def test_scores_are_empty_without_answers():
    definition = ChecklistDef(version=1, title={}, sections=(SectionDef("A", {}, {}, (likert("a"),)),))
    scores = respondent_scores(definition, {})
    assert scores.feeling is None and scores.overall is None and scores.sdg_safe is None
