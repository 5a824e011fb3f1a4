"""LOG_FORMAT=json writes one JSON object a line with the request id, and never the client's
address or user agent (a production process, in a subprocess)."""

import json

from .helpers import production_env, run

CLIENT_ADDRESS = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (Resident-Phone-4711)"

SCRIPT = f"""
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client(REMOTE_ADDR="{CLIENT_ADDRESS}", HTTP_USER_AGENT="{USER_AGENT}",
                HTTP_X_FORWARDED_FOR="{CLIENT_ADDRESS}")
missing = client.get("/no-such-page/", headers={{"X-Request-ID": "req-from-proxy-0001"}}, secure=True)
login = client.post("/accounts/login/", {{"username": "ghost", "password": "wrong"}}, secure=True)
print("ids", missing["X-Request-ID"], login["X-Request-ID"])
"""


def run_requests(tmp_path, static_root, log_format: str):
    tmp_path.mkdir(exist_ok=True)
    env = production_env(
        tmp_path,
        ALLOWED_HOSTS="testserver",
        LOG_FORMAT=log_format,
        STATIC_ROOT=str(static_root),
        DJANGO_SETTINGS_MODULE="safetysurvey.settings",
        PYTHONWARNINGS="ignore",  # Python's warnings are not log records
    )
    result = run(["-c", SCRIPT], env)
    assert result.returncode == 0, result.stderr
    missing_id, login_id = result.stdout.split()[-2:]
    return result.stderr.splitlines(), missing_id, login_id


def test_a_log_line_of_a_request_is_json_with_the_request_id(tmp_path, collected_static):
    lines, missing_id, login_id = run_requests(tmp_path, collected_static, "json")
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    not_found = [r for r in records if r["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == missing_id == "req-from-proxy-0001"
    assert not_found[0]["level"] == "WARNING" and "/no-such-page/" in not_found[0]["message"]
    assert {"time", "level", "logger", "message", "request_id"} <= not_found[0].keys()
    # A record written inside the view (axes on a failed login) carries that request's id.
    failed_login = [r for r in records if r["logger"].startswith("axes")]
    assert failed_login and {r["request_id"] for r in failed_login} == {login_id}


def test_no_log_line_holds_the_client_address_or_user_agent(tmp_path, collected_static):
    for log_format in ("json", "plain"):
        lines, _, _ = run_requests(tmp_path / log_format, collected_static, log_format)
        assert lines, "the requests were logged"
        log = "\n".join(lines)
        assert CLIENT_ADDRESS not in log
        assert "Resident-Phone" not in log
