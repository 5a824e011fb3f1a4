"""A staff member assigned to a city or to the region works in every district under it."""

from reports import services as report_services
from surveys import roles
from surveys.paper_services import paper_districts, works_in
from tests.conftest import make_staff


def codes(districts) -> set[str]:
    return set(districts.values_list("code", flat=True))


def test_a_coordinator_of_karaganda_city_works_in_its_two_city_districts(districts):
    coordinator = make_staff("city_coordinator", roles.COORDINATOR, [districts["KRG-KAR"]])
    assert codes(roles.assigned_districts(coordinator)) == {"KRG-KAR", "KRG-KZB", "KRG-ALB"}
    assert works_in(coordinator, districts["KRG-KZB"]) and works_in(coordinator, districts["KRG-ALB"])
    assert not works_in(coordinator, districts["KRG-TEM"])
    assert codes(paper_districts(coordinator)) == {"KRG-KAR", "KRG-KZB", "KRG-ALB"}


def test_a_coordinator_of_the_region_may_ask_for_every_districts_report(login, districts, wave):
    coordinator = make_staff("region_coordinator", roles.COORDINATOR, [districts["KRG"]])
    assert codes(report_services.districts_visible_to(coordinator)) == set(districts)
    page = login(coordinator).get("/reports/").content.decode()
    assert 'value="KRG-TEM"' in page and 'value="KRG-KZB"' in page
    assert 'value="region"' not in page  # the region report stays the analysts'


def test_a_volunteer_of_one_district_works_only_there(volunteer_a, district_a, districts):
    assert codes(roles.assigned_districts(volunteer_a)) == {district_a.code}
    assert not works_in(volunteer_a, districts["KRG-ALB"])


def test_nobody_is_assigned_anywhere_without_an_assignment(analyst, client):
    assert codes(roles.assigned_districts(analyst)) == set()
    from django.contrib.auth.models import AnonymousUser

    assert codes(roles.assigned_districts(AnonymousUser())) == set()
