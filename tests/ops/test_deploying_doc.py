"""docs/deploying.md stays true: every environment variable is documented, no log format
names a client, and the README points to it."""

import re
import runpy

from .helpers import ROOT

DOC = (ROOT / "docs" / "deploying.md").read_text(encoding="utf-8")
CLIENT_FIELDS_GUNICORN = ("%(h)s", "%(a)s", "%(f)s", "{x-forwarded-for}i", "{user-agent}i")
CLIENT_FIELDS_NGINX = ("$remote_addr", "$http_user_agent", "$http_referer", "$http_x_forwarded_for", "$realip")


def variables_read_by(path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found = re.findall(r"env(?:str|int|bool|list|float)\(\s*\"([A-Z0-9_]+)\"", text)
    found += re.findall(r"os\.environ\.get\(\s*[\"']([A-Z0-9_]+)[\"']", text)
    return set(found)


def test_every_environment_variable_of_the_settings_is_documented():
    names = variables_read_by(ROOT / "safetysurvey" / "settings.py") - {"PYTEST_VERSION"}
    assert len(names) > 20
    undocumented = sorted(name for name in names if f"`{name}`" not in DOC)
    assert undocumented == []


def test_every_environment_variable_of_gunicorn_and_the_procfile_is_documented():
    names = variables_read_by(ROOT / "safetysurvey" / "gunicorn.conf.py")
    names |= set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", (ROOT / "Procfile").read_text()))
    assert {"WEB_CONCURRENCY", "PORT", "CELERY_CONCURRENCY"} <= names
    assert sorted(name for name in names if f"`{name}`" not in DOC and name not in DOC) == []


def test_gunicorn_logs_no_client_address_or_user_agent():
    config = runpy.run_path(str(ROOT / "safetysurvey" / "gunicorn.conf.py"))
    assert "request_id=" in config["access_log_format"]
    assert not [field for field in CLIENT_FIELDS_GUNICORN if field in config["access_log_format"]]


def test_the_nginx_sample_logs_no_client_address_or_user_agent():
    log_format = re.search(r"log_format safetysurvey (.*?);", DOC, re.DOTALL).group(1)
    assert "$request_id" in log_format
    assert not [field for field in CLIENT_FIELDS_NGINX if field in log_format]
    assert "X-Forwarded-Proto $scheme" in DOC


def test_the_readme_production_section_links_to_the_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    production = readme.split("## Production", 1)[1].split("\n## ", 1)[0]
    assert "docs/deploying.md" in production
