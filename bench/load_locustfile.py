"""The people of a survey campaign's peak, for locust (bench/load.py runs this; see its docstring).

Runs only inside locust's own process (gevent): it imports nothing from Django. Everything
it needs (districts, accounts, sheet serials, answer sets) comes from the plan file that
bench/load.py writes (LOAD_PLAN), and it writes what it saw to LOAD_RESULTS when locust
quits: per endpoint the latency of every request and its status codes, and the outcomes the
count check compares with the database (the client ids of the submissions answered as
stored, the sheets keyed, the report jobs).

Each user is a small state machine: one step (one request, or a POST and the page its
redirect leads to, as a browser does) per locust task, the think time after it chosen by
the step. So when the run ends (`--stop-timeout`), a user finishes the request in flight
and no answered request goes unrecorded.

Requests are named by endpoint ("GET /survey/[district]/"), never by URL with codes or ids.
"""

import itertools
import json
import os
import random
import re
import time
import uuid
from collections import Counter, defaultdict, deque
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8"))
RESULTS = Path(os.environ["LOAD_RESULTS"])
RNG = random.Random(PLAN["seed"])

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CLIENT_ID = re.compile(r'name="client_id" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="([^"]+)"')
ASSETS = re.compile(r'(?:href|src)="(/static/[^"]+)"')
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
# Residents' phones: mostly Russian, then Kazakh, a few English.
LANGUAGES = [("ru", 6), ("kk", 3), ("en", 1)]

# --------------------------------------------------------------------------- what was seen

REQUESTS: dict[str, dict] = defaultdict(lambda: {"times": [], "at": [], "statuses": Counter(), "errors": Counter()})
OUTCOMES = {
    "form_attempts": 0,
    "form_stored": [],  # client ids of form submissions answered by the thank-you redirect
    "api_attempts": 0,
    "api_created": [],  # client ids answered 201
    "api_retries": 0,
    "api_retries_ok": 0,  # retried with the same client_id and answered 200 (nothing new stored)
    "paper_attempts": 0,
    "paper_first": 0,
    "paper_commit": 0,  # second entries identical to the first: the sheet commits
    "paper_conflict": 0,  # second entries with one answer keyed differently: to reconciliation
    "reports_requested": 0,
    "reports_done": 0,
    "reports_failed": 0,
    "report_seconds": [],  # from the request to the job's "done"
}
STARTED = time.time()


@events.request.add_listener
def _record(request_type, name, response_time, response=None, exception=None, **_kwargs):
    entry = REQUESTS[name]
    entry["times"].append(response_time)
    entry["at"].append(round(time.time() - STARTED, 2))  # when it finished, seconds into the run
    status = getattr(response, "status_code", 0) or 0
    entry["statuses"][status] += 1
    if exception is not None:
        entry["errors"][f"{type(exception).__name__}: {str(exception)[:160]}"] += 1


USERS_BY_CLASS: dict[str, int] = {}
ENVIRONMENT = {}


@events.init.add_listener
def _init(environment, **_kwargs):
    ENVIRONMENT["environment"] = environment


@events.spawning_complete.add_listener
def _spawned(**_kwargs):
    USERS_BY_CLASS.update(ENVIRONMENT["environment"].runner.user_classes_count)


@events.quitting.add_listener
def _write(**_kwargs):
    payload = {
        "started": STARTED,
        "users_by_class": USERS_BY_CLASS,
        "stopped": time.time(),
        "requests": {
            name: {"times": entry["times"], "at": entry["at"], "statuses": dict(entry["statuses"]),
                   "errors": dict(entry["errors"])}  # fmt: skip
            for name, entry in REQUESTS.items()
        },
        "outcomes": OUTCOMES,
    }
    RESULTS.write_text(json.dumps(payload), encoding="utf-8")


# --------------------------------------------------------------------------- helpers


def think(low: float, high: float) -> float:
    return RNG.uniform(low, high) * PLAN["think_scale"]


def form_body(pairs) -> str:
    return urlencode(pairs, doseq=False)


def csrf_of(response) -> str:
    found = CSRF.search(response.text or "")
    return found.group(1) if found else ""


def path_of(location: str) -> str:
    return urlsplit(location).path if location else ""


class Person(FastHttpUser):
    """A user moving through `step_<name>` methods; each step names the next and the pause."""

    abstract = True
    network_timeout = 30.0
    connection_timeout = 10.0
    first_step = "start"

    def on_start(self):
        self.step, self.pause = self.first_step, 0.0

    def step_arrive(self):
        """Staff come in over the first part of the run, not all in its first second (locust
        starts fixed-count users first): a login costs about half a second of CPU by design."""
        self.go("login", RNG.uniform(0, PLAN["staff_arrival_seconds"]))

    def wait_time(self):
        return self.pause

    @task
    def next_step(self):
        getattr(self, f"step_{self.step}")()

    def go(self, step: str, pause: float) -> None:
        self.step, self.pause = step, pause

    def login(self, username: str, landing: str) -> bool:
        """The login page, then its form: a session cookie and the landing page, as a browser."""
        page = self.client.get(f"/accounts/login/?next={landing}", name="GET /accounts/login/")
        body = form_body([("csrfmiddlewaretoken", csrf_of(page)), ("username", username),
                          ("password", PLAN["password"]), ("next", landing)])  # fmt: skip
        with self.client.post("/accounts/login/", data=body, headers=FORM_HEADERS, name="POST /accounts/login/",
                              allow_redirects=False, catch_response=True) as response:  # fmt: skip
            if response.status_code != 302 or path_of(response.headers.get("Location", "")) != landing:
                response.failure(f"login refused ({response.status_code})")
                return False
        return True


# --------------------------------------------------------------------------- residents


class Resident(Person):
    """A resident who scanned a poster's QR code: the consent page, the checklist, the thanks."""

    weight = PLAN["weights"]["resident"]

    def step_start(self):
        # Each round is a new person on a new phone: no cookies, nothing cached.
        self.client.cookiejar.clear()
        self.assets_seen: set[str] = set()
        self.district = RNG.choice(PLAN["districts"])
        language = RNG.choices([code for code, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
        self.headers = {"Accept-Language": language}
        page = self.client.get(f"/survey/{self.district}/", name="GET /survey/[district]/", headers=self.headers)
        self.assets(page)
        self.go("questions", think(2, 5))  # reading the consent text

    def assets(self, page) -> None:
        """What a browser fetches the first time it sees a page's CSS and JavaScript."""
        for path in ASSETS.findall(page.text or ""):
            if path not in self.assets_seen:
                self.assets_seen.add(path)
                self.client.get(path, name="GET /static/[file]")

    def step_questions(self):
        page = self.client.get(f"/survey/{self.district}/questions/", name="GET /survey/[district]/questions/",
                               headers=self.headers)  # fmt: skip
        self.assets(page)
        text = page.text or ""
        self.token = {"csrf": csrf_of(page), "client_id": (CLIENT_ID.search(text) or [None, ""])[1],
                      "version": (VERSION.search(text) or [None, ""])[1]}  # fmt: skip
        self.go("submit", think(8, 16))  # answering 36 questions (compressed: people take minutes)

    def step_submit(self):
        answers = RNG.choice(PLAN["form_answers"])
        pairs = [("csrfmiddlewaretoken", self.token["csrf"]), ("client_id", self.token["client_id"]),
                 ("version", self.token["version"]), ("homepage", ""), *answers]  # fmt: skip
        OUTCOMES["form_attempts"] += 1
        with self.client.post(f"/survey/{self.district}/questions/", data=form_body(pairs), headers={
                **FORM_HEADERS, **self.headers}, name="POST /survey/[district]/questions/", allow_redirects=False,
                catch_response=True) as response:  # fmt: skip
            stored = response.status_code == 302 and path_of(response.headers.get("Location", "")) == "/survey/thanks/"
            if not stored:
                response.failure(f"not stored ({response.status_code})")
        if stored:
            OUTCOMES["form_stored"].append(self.token["client_id"])
            self.client.get("/survey/thanks/", name="GET /survey/thanks/", headers=self.headers)
        self.go("start", think(1, 3))  # the next resident arrives


class AppResident(Person):
    """A resident answering through an app or partner site: the JSON API, with a client_id."""

    weight = PLAN["weights"]["app_resident"]

    def on_start(self):
        super().on_start()
        self.etag = ""

    def step_start(self):
        self.language = RNG.choices([code for code, _ in LANGUAGES], [w for _, w in LANGUAGES])[0]
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(f"/api/v1/checklist/?lang={self.language}", name="GET /api/v1/checklist/",
                             headers=headers, catch_response=True) as response:  # fmt: skip
            if response.status_code in (200, 304):
                response.success()
                if response.status_code == 200:
                    self.etag = response.headers.get("ETag", "")
        self.go("submit", think(8, 16))

    def step_submit(self):
        body = {"district": RNG.choice(PLAN["districts"]), "language": self.language,
                "answers": RNG.choice(PLAN["api_answers"]), "client_id": str(uuid.uuid4())}  # fmt: skip
        OUTCOMES["api_attempts"] += 1
        with self.client.post("/api/v1/responses/", json=body, name="POST /api/v1/responses/",
                              catch_response=True) as response:  # fmt: skip
            if response.status_code == 201:
                OUTCOMES["api_created"].append(body["client_id"])
            else:
                response.failure(f"not created ({response.status_code})")
        if response.status_code == 201 and RNG.random() < PLAN["api_retry_share"]:
            # The app lost the answer and sends the same response again: 200, nothing new stored.
            OUTCOMES["api_retries"] += 1
            with self.client.post("/api/v1/responses/", json=body, name="POST /api/v1/responses/ (retry)",
                                  catch_response=True) as retry:  # fmt: skip
                if retry.status_code == 200:
                    OUTCOMES["api_retries_ok"] += 1
                else:
                    retry.failure(f"a retry must answer 200, not {retry.status_code}")
        self.go("start", think(1, 3))


# --------------------------------------------------------------------------- volunteers

_volunteer_numbers = itertools.count()
# Per pair of volunteers (one district, one batch): serials never keyed, and sheets keyed once
# waiting for the other volunteer's second entry.
FRESH = [deque(pair["serials"]) for pair in PLAN["pairs"]]
WAITING: list[deque] = [deque() for _ in PLAN["pairs"]]


class Volunteer(Person):
    """Keys paper sheets at /volunteer/enter/: the serial, then every answer; a sheet that the
    partner keyed first gets its second entry (identical, so it commits, or now and then one
    answer keyed differently, so it goes to reconciliation)."""

    fixed_count = PLAN["fixed"]["volunteer"]
    first_step = "arrive"

    def on_start(self):
        super().on_start()
        number = next(_volunteer_numbers) % len(PLAN["volunteers"])
        account = PLAN["volunteers"][number]
        self.username, self.pair = account["username"], account["pair"]

    def step_login(self):
        if self.login(self.username, "/volunteer/"):
            self.client.get("/volunteer/", name="GET /volunteer/")
            self.go("serial_page", think(1, 3))
        else:
            self.go("login", 5)

    def step_serial_page(self):
        page = self.client.get("/volunteer/enter/", name="GET /volunteer/enter/")
        self.csrf = csrf_of(page)
        waiting = WAITING[self.pair]
        partner = next((sheet for sheet in waiting if sheet[1] != self.username), None)
        if partner is not None:
            waiting.remove(partner)
            self.sheet = {"serial": partner[0], "answers": partner[2], "second": True}
        elif FRESH[self.pair]:
            self.sheet = {"serial": FRESH[self.pair].popleft(), "answers": RNG.randrange(len(PLAN["keyed"])),
                          "second": False}  # fmt: skip
        else:
            self.go("serial_page", think(5, 10))  # the batch is done
            return
        self.go("serial_submit", think(1, 3))  # typing or scanning the serial

    def step_serial_submit(self):
        serial = self.sheet["serial"]
        body = form_body([("csrfmiddlewaretoken", self.csrf), ("serial", serial)])
        with self.client.post("/volunteer/enter/", data=body, headers=FORM_HEADERS, name="POST /volunteer/enter/",
                              allow_redirects=False, catch_response=True) as response:  # fmt: skip
            ok = response.status_code == 302 and path_of(response.headers.get("Location", "")) == \
                f"/volunteer/enter/{serial}/"
            if not ok:
                response.failure(f"serial refused ({response.status_code})")
        if not ok:
            self.go("serial_page", think(1, 3))
            return
        page = self.client.get(f"/volunteer/enter/{serial}/", name="GET /volunteer/enter/[serial]/")
        self.csrf = csrf_of(page)
        self.go("entry_submit", think(4, 8))  # keying 36 answers (compressed)

    def step_entry_submit(self):
        sheet = self.sheet
        keyed = dict(PLAN["keyed"][sheet["answers"]])
        conflict = sheet["second"] and RNG.random() < PLAN["conflict_share"]
        if conflict:
            code, other = PLAN["keyed_alternatives"][sheet["answers"]]
            keyed[code] = other
        body = form_body([("csrfmiddlewaretoken", self.csrf), *keyed.items()])
        OUTCOMES["paper_attempts"] += 1
        with self.client.post(f"/volunteer/enter/{sheet['serial']}/", data=body, headers=FORM_HEADERS,
                              name="POST /volunteer/enter/[serial]/", allow_redirects=False,
                              catch_response=True) as response:  # fmt: skip
            ok = response.status_code == 302 and path_of(response.headers.get("Location", "")) == "/volunteer/enter/"
            if not ok:
                response.failure(f"entry not saved ({response.status_code})")
        if ok and not sheet["second"]:
            OUTCOMES["paper_first"] += 1
            WAITING[self.pair].append((sheet["serial"], self.username, sheet["answers"]))
        elif ok:
            OUTCOMES["paper_conflict" if conflict else "paper_commit"] += 1
        # The redirect leads back to the serial page (with the outcome as a message).
        self.go("serial_page", 0)


# --------------------------------------------------------------------------- analysts

_analyst_numbers = itertools.count()


class Analyst(Person):
    """Requests a district report at /reports/ (the form's defaults: PDF and HTML), watches its
    progress as the job page does (every 1.5 s), downloads the HTML, goes back to /reports/."""

    fixed_count = PLAN["fixed"]["analyst"]
    first_step = "arrive"

    def on_start(self):
        super().on_start()
        self.username = PLAN["analysts"][next(_analyst_numbers) % len(PLAN["analysts"])]

    def step_login(self):
        if self.login(self.username, "/reports/"):
            self.go("index", 0)
        else:
            self.go("login", 5)

    def step_index(self):
        page = self.client.get("/reports/", name="GET /reports/")
        self.csrf = csrf_of(page)
        self.go("request", think(3, 6))  # choosing the district and the language

    def step_request(self):
        body = form_body([("csrfmiddlewaretoken", self.csrf), ("kind", "report"),
                          ("scope", RNG.choice(PLAN["districts"])), ("wave", PLAN["wave"]),
                          ("language", RNG.choice(["ru", "kk"])), ("formats", "pdf"), ("formats", "html")])  # fmt: skip
        with self.client.post("/reports/", data=body, headers=FORM_HEADERS, name="POST /reports/",
                              allow_redirects=False, catch_response=True) as response:  # fmt: skip
            location = path_of(response.headers.get("Location", "")) if response.status_code == 302 else ""
            found = re.fullmatch(r"/reports/jobs/(\d+)/", location)
            if not found:
                response.failure(f"no job ({response.status_code})")
        if not found:
            self.go("index", think(3, 6))
            return
        OUTCOMES["reports_requested"] += 1
        self.job, self.requested_at = found.group(1), time.monotonic()
        self.client.get(location, name="GET /reports/jobs/[id]/")
        self.go("poll", 1.5)

    def step_poll(self):
        with self.client.get(f"/reports/jobs/{self.job}/status/", name="GET /reports/jobs/[id]/status/",
                             catch_response=True) as response:  # fmt: skip
            try:
                status = response.json()
            except ValueError:
                response.failure("not JSON")
                status = {}
        if not status.get("finished"):
            self.go("poll", 1.5)
            return
        if status.get("status") == "done":
            OUTCOMES["reports_done"] += 1
            OUTCOMES["report_seconds"].append(time.monotonic() - self.requested_at)
            html = next((f for f in status.get("files", []) if f.get("format") == "html"), None)
            if html:
                self.client.get(html["url"], name="GET /reports/files/[id]/")
        else:
            OUTCOMES["reports_failed"] += 1
        self.go("index", think(10, 20))  # reading the report
