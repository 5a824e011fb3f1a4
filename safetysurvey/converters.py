"""Path converters of the URLconf."""

from django.urls import register_converter
from django.urls.converters import IntConverter

# A BigAutoField (settings.DEFAULT_AUTO_FIELD) holds ids up to this.
MAX_ID = 2**63 - 1


class IdConverter(IntConverter):
    """`<id:job_id>`: a row id, 1 to MAX_ID. Anything else matches no URL (a 404), so a number too
    large for the database never reaches a query (SQLite raises OverflowError on one)."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(value)  # the URL resolver reads this as "no match"
        return number


# Registered once, when this module is first imported (safetysurvey/urls.py imports it before
# the apps' URLconfs); a reloaded URLconf does not register it again.
register_converter(IdConverter, "id")
