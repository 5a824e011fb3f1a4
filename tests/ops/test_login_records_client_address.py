"""Behind the proxy, staff login records name the client's address as the trusted proxy gave
it (the last TRUSTED_PROXY_COUNT entries of X-Forwarded-For), never an entry the client wrote
itself; with no proxy, the connection's address."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse

from tests.conftest import PASSWORD

NGINX = "10.0.0.5"  # REMOTE_ADDR as gunicorn sees it behind nginx
CLIENT = "203.0.113.9"  # what nginx appends ($proxy_add_x_forwarded_for)
SPOOFED = "198.51.100.66"  # what the client sent in its own X-Forwarded-For


def attempt(client, username, password=PASSWORD, **headers):
    return client.post(reverse("login"), {"username": username, "password": password}, **headers)


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    return {"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": f"{SPOOFED}, {CLIENT}"}


def test_a_login_behind_one_proxy_records_the_client_the_proxy_saw_not_the_spoofed_entry(
    client, coordinator, behind_nginx
):
    assert attempt(client, "coordinator", **behind_nginx).status_code == 302
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == [CLIENT]


def test_a_failed_login_behind_one_proxy_records_the_client_the_proxy_saw(client, coordinator, behind_nginx, settings):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    assert attempt(client, "coordinator", "wrong", **behind_nginx).status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [CLIENT]
    assert list(AccessFailureLog.objects.values_list("ip_address", flat=True)) == [CLIENT]


def test_without_a_proxy_the_header_is_ignored_and_the_connection_address_recorded(client, analyst, settings):
    assert settings.TRUSTED_PROXY_COUNT == 0  # the default: development, or gunicorn facing clients
    assert attempt(client, "analyst", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR=SPOOFED).status_code == 302
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == ["192.0.2.10"]


def test_a_forwarded_entry_that_is_no_address_is_recorded_as_none_and_the_login_works(client, analyst, settings):
    # A proxy count set higher than the proxies there are reaches the client's own entries.
    settings.TRUSTED_PROXY_COUNT = 2
    headers = {"REMOTE_ADDR": NGINX, "HTTP_X_FORWARDED_FOR": f"<script>, {CLIENT}"}
    assert attempt(client, "analyst", **headers).status_code == 302
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == [None]
