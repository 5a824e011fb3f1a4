"""A password hasher for the test run only (tests/conftest.py)."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class OneRoundPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 with one iteration. The hash names its iterations, so the production
    processes that tests start (gunicorn, Celery) verify these passwords with their own
    hashers, as they would an old hash."""

    iterations = 1
