"""Production settings pass `manage.py check --deploy` with no warning at all."""

from .helpers import production_env, run


def check_deploy(env):
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def test_production_settings_pass_the_deployment_checks_without_a_warning(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stderr + result.stdout


def test_without_https_the_checks_warn_about_the_redirect_hsts_and_cookies(tmp_path):
    # The same check fails when a production safeguard is off, so the test above can fail.
    result = check_deploy(production_env(tmp_path, HTTPS="0"))
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_a_short_secret_key_is_reported(tmp_path):
    result = check_deploy(production_env(tmp_path, SECRET_KEY="too-short"))
    assert result.returncode != 0 and "security.W009" in result.stderr


def test_empty_allowed_hosts_are_reported(tmp_path):
    result = check_deploy(production_env(tmp_path, ALLOWED_HOSTS=""))
    assert result.returncode != 0 and "security.W020" in result.stderr
