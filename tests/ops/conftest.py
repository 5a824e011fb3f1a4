import pytest

from .helpers import production_env, run

COLLECT_WITHOUT_COMPRESSION = """
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings
manifest_only = {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}
with override_settings(STORAGES={**settings.STORAGES, "staticfiles": manifest_only}):
    call_command("collectstatic", interactive=False, verbosity=0)
"""


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """A STATIC_ROOT with the manifest that production pages need: what collectstatic makes,
    less whitenoise's compression, which takes a minute and changes no URL."""
    root = tmp_path_factory.mktemp("static")
    env = production_env(root, STATIC_ROOT=str(root), DJANGO_SETTINGS_MODULE="safetysurvey.settings")
    result = run(["-c", COLLECT_WITHOUT_COMPRESSION], env)
    assert result.returncode == 0, result.stderr
    assert (root / "staticfiles.json").exists()
    return root
