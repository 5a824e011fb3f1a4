"""The header shows each person the tools of their roles."""


def test_an_analyst_sees_reports_but_not_paper_entry(login, analyst):
    page = login(analyst).get("/").content.decode()
    assert 'href="/reports/"' in page and 'href="/volunteer/"' not in page


def test_a_volunteer_sees_paper_entry_but_not_reports(login, volunteer_a):
    page = login(volunteer_a).get("/").content.decode()
    assert 'href="/volunteer/"' in page and 'href="/reports/"' not in page


def test_a_coordinator_sees_both(login, coordinator):
    page = login(coordinator).get("/").content.decode()
    assert 'href="/volunteer/"' in page and 'href="/reports/"' in page
