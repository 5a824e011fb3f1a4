"""Request ids and structured logs.

Every request gets an id: the caller's `X-Request-ID` when it is well formed (a proxy or a
load balancer may have set it), else a new uuid4. The id is echoed in the response's
`X-Request-ID` header and carried by every log record written while the request is handled,
so one request's lines can be found across web processes and in the proxy's log.

Logs never hold a client's address or user agent (README "Privacy"): nothing here reads
them, and django-axes, which logs login failures, is told to name the user only.
"""

import logging
import re
import uuid
from contextvars import ContextVar

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and - _ . : up to 64 characters: enough for a uuid, nginx's $request_id
# (32 hex digits) or a load balancer's trace id, too little for anything to hide in a log.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{8,64}")
NO_REQUEST = "-"

request_id_var: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is well formed, else a new one."""
    if header and REQUEST_ID_PATTERN.fullmatch(header):
        return header
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets `request.request_id` and the context variable the log filter reads."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        token = request_id_var.set(request.request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the id of the request being handled, or "-".

    Django logs a request's 4xx/5xx (logger django.request) after the middleware has
    returned; such records carry the request itself, whose id is used then.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id == NO_REQUEST:
            request_id = getattr(getattr(record, "request", None), "request_id", NO_REQUEST)
        record.request_id = request_id
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time, level, logger, message, request_id and any extra fields.

    The `request` object that Django attaches to its records is left out: a formatter that
    serialised it could one day write more about the client than we want in a log.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request", "server_time"])
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)


def axes_client_str(username, ip_address, user_agent, path_info, request) -> str:
    """How django-axes names a client in its log lines: by user name only (AXES_CLIENT_STR_CALLABLE)."""
    return f"{{username: {username!r}}}"
