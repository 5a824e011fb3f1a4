"""MEDIA_STORAGE=s3 puts media in an S3-compatible bucket: private, reached by signed URLs."""

from .helpers import production_env, run

SHOW_STORAGE = """
import django
django.setup()
from django.core.files.storage import storages
media = storages["default"]
print(type(media).__module__ + "." + type(media).__name__)
if hasattr(media, "bucket_name"):
    print(media.bucket_name, media.default_acl, media.location)
print(media.url("reports/2020/KRG-KZB.pdf"))
"""


def show_storage(tmp_path, **env):
    return run(["-c", SHOW_STORAGE], production_env(tmp_path, DJANGO_SETTINGS_MODULE="safetysurvey.settings", **env))


def test_the_default_is_the_local_media_folder(tmp_path):
    result = show_storage(tmp_path, MEDIA_ROOT=str(tmp_path / "media"))
    assert result.returncode == 0, result.stderr
    backend, url = result.stdout.splitlines()
    assert backend == "django.core.files.storage.filesystem.FileSystemStorage"
    assert url == "/media/reports/2020/KRG-KZB.pdf"


def test_s3_storage_is_private_and_serves_short_lived_signed_urls(tmp_path):
    result = show_storage(
        tmp_path,
        MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="safetysurvey-media",
        AWS_S3_ENDPOINT_URL="https://storage.example.kz",
        AWS_S3_REGION_NAME="kz-1",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLEEXAMPLE",
        AWS_SECRET_ACCESS_KEY="example-secret-example-secret",
    )
    assert result.returncode == 0, result.stderr
    backend, bucket, url = result.stdout.splitlines()
    assert backend == "storages.backends.s3.S3Storage"
    assert bucket == "safetysurvey-media private media"
    assert url.startswith("https://storage.example.kz/safetysurvey-media/media/reports/2020/KRG-KZB.pdf?")
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url


def test_s3_without_a_bucket_fails_loudly(tmp_path):
    result = show_storage(tmp_path, MEDIA_STORAGE="s3")
    assert result.returncode != 0 and "MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr


def test_an_unknown_storage_fails_loudly(tmp_path):
    result = show_storage(tmp_path, MEDIA_STORAGE="ftp")
    assert result.returncode != 0 and "MEDIA_STORAGE must be 'filesystem' or 's3'" in result.stderr
