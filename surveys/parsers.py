"""The JSON parser of every API (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): bounded in size,
depth and content.

DRF's JSONParser reads the whole body into memory first (up to Django's
DATA_UPLOAD_MAX_MEMORY_SIZE, above which Django answers with its own HTML error page).
This one refuses a declared Content-Length over the limit without reading anything, reads
at most the limit plus one byte, and refuses what PostgreSQL's jsonb could not store (NUL
characters, unpaired surrogates, infinities) with a 400, so bad input never reaches a 500.
"""

import json
import math
import re

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

MAX_BODY_BYTES = 64 * 1024

BODY_TOO_LARGE = _("The request body is larger than %(limit)d KiB.")
NOT_UTF8 = _("The request body must be UTF-8 text.")
NOT_JSON = _("The request body is not valid JSON: %(error)s")
TOO_DEEP = _("The request body is nested too deeply.")
UNSTORABLE = _("The request body holds text or numbers that cannot be stored (a NUL character, "
               "an unpaired surrogate or an infinite number).")


_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def _storable(data) -> bool:
    """True when every string and number in parsed JSON can go into a jsonb column."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE_CHARACTER.search(value):
                return False
        elif isinstance(value, float):
            if not math.isfinite(value):
                return False
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return True


class BoundedJSONParser(BaseParser):
    media_type = "application/json"
    max_bytes = MAX_BODY_BYTES

    def parse(self, stream, media_type=None, parser_context=None):
        too_large = BODY_TOO_LARGE % {"limit": self.max_bytes // 1024}
        request = (parser_context or {}).get("request")
        if request is not None:
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > self.max_bytes:
                raise ParseError(too_large)
        # The declared length may be absent or wrong: trust only what is read.
        raw = stream.read(self.max_bytes + 1)
        if len(raw) > self.max_bytes:
            raise ParseError(too_large)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError(NOT_UTF8) from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        except ValueError as error:  # JSONDecodeError, and ints over Python's digit limit
            raise ParseError(NOT_JSON % {"error": error}) from None
        if not _storable(data):
            raise ParseError(UNSTORABLE)
        return data


def _refuse_constant(name: str):
    # NaN, Infinity and -Infinity are not JSON (RFC 8259), though Python accepts them.
    raise ValueError(f"{name} is not a JSON value")
