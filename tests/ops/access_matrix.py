"""Who may see and do what: every URL of the site against the seven personas.

The table is the data of tests/ops/test_permission_matrix.py and of docs/access.md (keep the
two in step). One row per URL, per object it is opened on and per HTTP method; the seven
columns are the personas of tests/conftest.py:

    anonymous    nobody logged in
    resident     anonymous too, but in the middle of the survey: chose a language and a district
    volunteer_a  group volunteer, assigned to district A (KRG-KZB)
    volunteer_b  group volunteer, assigned to district B (KRG-TEM): refused A's objects
    coordinator  group coordinator, assigned to district A
    analyst      group analyst (the working group): every district, no paper work
    admin        superuser

A cell is the status the persona gets: a number, or
    login        302 to the staff login page (/accounts/login/?next=...)
    admin-login  302 to the admin's login page (/admin/login/?next=...)
    302          a redirect somewhere else (the next step of a form that worked)

Conventions (docs/paper.md, docs/reports.md): paper objects (batches, sheets, import jobs, the
paper API) of a district you do not work in are refused with 403; report jobs and files you may not see
are 404 (their existence is not confirmed); a role that may not use an area at all gets 403;
the API never redirects: anonymous is 403 there.

The admin is covered by a rule rather than row by row: anonymous and every non-staff
persona (our roles are not staff) are sent to the admin's login; the admin gets what the
ModelAdmin allows, listed per registered model in ADMIN_MODELS.
"""

from dataclasses import dataclass, field

PERSONAS = ("anonymous", "resident", "volunteer_a", "volunteer_b", "coordinator", "analyst", "admin")
LOGIN = "login"
ADMIN_LOGIN = "admin-login"
REDIRECT = "302"


@dataclass(frozen=True)
class Row:
    """One URL pattern (`name`, as reverse() takes it), opened on `target` (an object of the
    test world, see OBJECTS in the test module), with `method` and, for writes, `body`."""

    name: str
    method: str
    target: str
    cells: str  # seven statuses, in the order of PERSONAS
    body: str = ""  # the name of a request body (BODIES in the test module)
    query: str = ""
    raw: bool = False  # the answer shows raw answers of residents (see RAW_READERS)
    expect: dict = field(init=False, compare=False)

    def __post_init__(self):
        cells = self.cells.split()
        if len(cells) != len(PERSONAS):
            raise ValueError(f"{self.name} {self.target}: {len(cells)} cells for {len(PERSONAS)} personas")
        object.__setattr__(self, "expect", dict(zip(PERSONAS, (_status(cell) for cell in cells), strict=True)))

    @property
    def label(self) -> str:
        target = f" ({self.target})" if self.target else ""
        return f"{self.method} {self.name}{self.query}{target}"


def _status(cell: str):
    return cell if cell in (LOGIN, ADMIN_LOGIN) else int(cell)


GET, POST = "GET", "POST"
# Cells of a page only the admin reaches: everyone else goes to the admin's login page.
ADMIN_ONLY = " ".join([ADMIN_LOGIN] * 6) + " {admin}"

# fmt: off
ROWS = [
    #   name                              meth  target                   anon  resid vol_a vol_b coord anal  admin
    # --- public pages
    Row("home",                            GET,  "",                      "200   200   200   200   200   200   200"),
    Row("favicon",                         GET,  "",                      "301   301   301   301   301   301   301"),
    Row("healthz",                         GET,  "",                      "200   200   200   200   200   200   200"),
    Row("readyz",                          GET,  "",                      "200   200   200   200   200   200   200"),
    Row("set_language",                    POST, "",                      "302   302   302   302   302   302   302",
        body="language"),
    Row("login",                           GET,  "",                      "200   200   200   200   200   200   200"),
    Row("logout",                          POST, "",                      "302   302   302   302   302   302   302"),
    Row("logout",                          GET,  "",                      "405   405   405   405   405   405   405"),
    Row("role-home",                       GET,  "",                      "login login 302   302   302   302   302"),
    Row("password_change",                 GET,  "",                      "login login 200   200   200   200   200"),
    Row("password_change_done",            GET,  "",                      "login login 200   200   200   200   200"),
    Row("password_reset",                  GET,  "",                      "200   200   200   200   200   200   200"),
    Row("password_reset_done",             GET,  "",                      "200   200   200   200   200   200   200"),
    Row("password_reset_confirm",          GET,  "a made-up link",        "200   200   200   200   200   200   200"),
    Row("password_reset_complete",         GET,  "",                      "200   200   200   200   200   200   200"),
    Row("schema",                          GET,  "",                      "200   200   200   200   200   200   200"),
    Row("swagger-ui",                      GET,  "",                      "200   200   200   200   200   200   200"),

    # --- the resident survey and its API: open to everyone
    Row("survey:start",                    GET,  "",                      "200   200   200   200   200   200   200"),
    Row("survey:district",                 GET,  "district A",            "200   200   200   200   200   200   200"),
    Row("survey:questions",                GET,  "district A",            "200   200   200   200   200   200   200"),
    Row("survey:questions",                POST, "district A",            "302   302   302   302   302   302   302",
        body="survey answers"),
    # the admin's preview of a checklist version, and its publish step (checklist/admin.py)
    Row("survey:preview",                  GET,  "the checklist in kk",   ADMIN_ONLY.format(admin=200)),
    Row("admin:checklist_checklist_publish", GET, "the checklist",        ADMIN_ONLY.format(admin=302)),
    Row("survey:thanks",                   GET,  "",                      "200   200   200   200   200   200   200"),
    Row("api-checklist",                   GET,  "",                      "200   200   200   200   200   200   200"),
    Row("api-districts",                   GET,  "",                      "200   200   200   200   200   200   200"),
    Row("api-responses",                   POST, "",                      "201   201   201   201   201   201   201",
        body="api response"),
    Row("api-responses",                   GET,  "",                      "405   405   405   405   405   405   405"),

    # --- paper entry: volunteers and coordinators of the district, admins anywhere
    Row("paper:home",                      GET,  "",                      "login login 200   200   200   403   200"),
    Row("paper:enter",                     GET,  "",                      "login login 200   200   200   403   200"),
    Row("paper:enter",                     POST, "A's printed sheet",     "login login 302   403   302   403   302",
        body="serial"),
    Row("paper:entry",                     GET,  "A's printed sheet",     "login login 200   403   200   403   200"),
    Row("paper:entry",                     POST, "A's printed sheet",     "login login 302   403   302   403   302",
        body="keyed answers"),
    Row("paper:entry",                     GET,  "B's printed sheet",     "login login 403   200   403   403   200"),
    Row("paper:batch",                     GET,  "A's batch",             "login login 200   403   200   403   200"),
    Row("paper:batch",                     GET,  "B's batch",             "login login 403   200   403   403   200"),
    Row("paper:batch_pdf",                 GET,  "A's batch",             "login login 200   403   200   403   200"),
    # --- paper, coordinators only
    Row("paper:batch_new",                 GET,  "",                      "login login 403   403   200   403   200"),
    Row("paper:batch_new",                 POST, "",                      "login login 403   403   302   403   302",
        body="new batch of A"),
    Row("paper:batch_render",              POST, "A's batch",             "login login 403   403   302   403   302"),
    Row("paper:batch_render",              GET,  "A's batch",             "405   405   405   405   405   405   405"),
    Row("paper:batch_template",            GET,  "A's batch, CSV",        "login login 403   403   200   403   200"),
    Row("paper:batch_template",            GET,  "A's batch, XLSX",       "login login 403   403   200   403   200"),
    Row("paper:batch_export",              GET,  "A's batch",             "login login 403   403   200   403   200",
        raw=True),
    Row("paper:batch_import",              GET,  "A's batch",             "login login 403   403   200   403   200"),
    Row("paper:batch_import",              POST, "A's batch",             "login login 403   403   302   403   302",
        body="import file"),
    Row("paper:import_job",                GET,  "A's import job",        "login login 403   403   200   403   200"),
    Row("paper:import_job",                GET,  "B's import job",        "login login 403   403   403   403   200"),
    Row("paper:import_job_status",         GET,  "A's import job",        "login login 403   403   200   403   200"),
    Row("paper:import_job_status",         GET,  "B's import job",        "login login 403   403   403   403   200"),
    Row("paper:queue",                     GET,  "",                      "login login 403   403   200   403   200"),
    Row("paper:sheet",                     GET,  "A's committed sheet",   "login login 403   403   200   403   200",
        raw=True),
    Row("paper:sheet",                     GET,  "B's sheet in conflict", "login login 403   403   403   403   200",
        raw=True),
    Row("paper:reconcile",                 GET,  "A's sheet in conflict", "login login 403   403   200   403   200",
        raw=True),
    Row("paper:reconcile",                 POST, "A's sheet in conflict", "login login 403   403   302   403   302",
        body="reconciled answers"),
    Row("paper:reconcile",                 GET,  "B's sheet in conflict", "login login 403   403   403   403   200",
        raw=True),
    Row("paper:sheet_edit",                GET,  "A's committed sheet",   "login login 403   403   200   403   200",
        raw=True),
    Row("paper:sheet_edit",                POST, "A's committed sheet",   "login login 403   403   302   403   302",
        body="corrected answers"),
    Row("paper:sheet_void",                POST, "A's printed sheet",     "login login 403   403   302   403   302",
        body="void reason"),
    Row("paper:sheet_void",                GET,  "A's printed sheet",     "405   405   405   405   405   405   405"),
    Row("paper:progress",                  GET,  "",                      "login login 403   403   200   403   200"),
    # --- the paper API: never a redirect; 403 for another district
    Row("paper-entry-create",              POST, "A's printed sheet",     "403   403   201   403   201   403   201",
        body="api entry"),
    Row("paper-entry-create",              POST, "B's printed sheet",     "403   403   403   201   403   403   201",
        body="api entry"),
    Row("paper-entry-create",              GET,  "",                      "403   403   405   405   405   403   405"),
    Row("paper-batch-list",                GET,  "",                      "403   403   200   200   200   403   200"),
    Row("paper-batch-status",              GET,  "A's batch",             "403   403   200   403   200   403   200"),
    Row("paper-import-create",             POST, "A's batch",             "403   403   403   403   202   403   202",
        body="api import file"),
    Row("paper-import-create",             POST, "B's batch",             "403   403   403   403   403   403   202",
        body="api import file"),
    Row("paper-import-create",             GET,  "A's batch",             "403   403   403   403   405   403   405"),
    Row("paper-import-detail",             GET,  "A's import job",        "403   403   403   403   200   403   200"),
    Row("paper-import-detail",             GET,  "B's import job",        "403   403   403   403   403   403   200"),

    # --- reports: analysts everything, coordinators their districts' reports, nobody else
    Row("reports:index",                   GET,  "",                      "login login 403   403   200   200   200"),
    Row("reports:index",                   POST, "",                      "login login 403   403   302   302   302",
        body="report of A"),
    Row("reports:index",                   POST, "B",                     "login login 403   403   400   302   302",
        body="report of B"),
    Row("reports:index",                   POST, "region",                "login login 403   403   400   302   302",
        body="report of the region"),
    Row("reports:index",                   POST, "export of A",           "login login 403   403   403   302   302",
        body="export of A"),
    Row("reports:job",                     GET,  "A's report",            "login login 403   403   200   200   200"),
    Row("reports:job",                     GET,  "B's report",            "login login 403   403   404   200   200"),
    Row("reports:job",                     GET,  "the region's report",   "login login 403   403   404   200   200"),
    Row("reports:job",                     GET,  "A's export",            "login login 403   403   404   200   200"),
    Row("reports:job-status",              GET,  "A's report",            "login login 403   403   200   200   200"),
    Row("reports:job-status",              GET,  "B's report",            "login login 403   403   404   200   200"),
    Row("reports:job-status",              GET,  "A's export",            "login login 403   403   404   200   200"),
    Row("reports:download",                GET,  "A's report",            "login login 403   403   200   200   200"),
    Row("reports:download",                GET,  "B's report",            "login login 403   403   404   200   200"),
    Row("reports:download",                GET,  "the region's report",   "login login 403   403   404   200   200"),
    Row("reports:download",                GET,  "A's export",            "login login 403   403   403   200   200",
        raw=True),
    # --- the reports API
    Row("reports-api:create",              POST, "",                      "403   403   403   403   202   202   202",
        body="api report of A"),
    Row("reports-api:create",              POST, "B",                     "403   403   403   403   403   202   202",
        body="api report of B"),
    Row("reports-api:create",              POST, "region",                "403   403   403   403   403   202   202",
        body="api report of the region"),
    Row("reports-api:create",              POST, "export of A",           "403   403   403   403   403   202   202",
        body="api export of A"),
    Row("reports-api:detail",              GET,  "A's report",            "403   403   403   403   200   200   200"),
    Row("reports-api:detail",              GET,  "B's report",            "403   403   403   403   404   200   200"),
    Row("reports-api:detail",              GET,  "the region's report",   "403   403   403   403   404   200   200"),
    Row("reports-api:detail",              GET,  "A's export",            "403   403   403   403   404   200   200"),
    Row("reports-api:file",                GET,  "A's report",            "403   403   403   403   200   200   200"),
    Row("reports-api:file",                GET,  "B's report",            "403   403   403   403   404   200   200"),
    Row("reports-api:file",                GET,  "the region's report",   "403   403   403   403   404   200   200"),
    Row("reports-api:file",                GET,  "A's export",            "403   403   403   403   403   200   200",
        raw=True),
    Row("reports-api:aggregates",          GET,  "",                      "403   403   403   403   200   200   200"),
    Row("reports-api:aggregates",          GET,  "",                      "403   403   403   403   200   200   200",
        query="?district=KRG-KZB"),
    Row("reports-api:aggregates",          GET,  "",                      "403   403   403   403   403   200   200",
        query="?district=KRG-TEM"),
    # --- published figures (METHOD.md §4.10): analysts may have them published now
    Row("reports:snapshot",                POST, "",                      "login login 403   403   403   302   302",
        body="wave"),
    Row("reports:snapshot",                GET,  "",                      "login login 403   403   405   405   405"),
    Row("reports-api:snapshots",           POST, "",                      "403   403   403   403   403   202   202",
        body="api wave"),
    Row("reports-api:snapshots",           GET,  "",                      "403   403   403   403   403   405   405"),
    Row("reports-api:snapshot",            GET,  "the snapshot",          "403   403   403   403   403   200   200"),

    # --- the admin site's own pages (its model pages follow the rule and ADMIN_MODELS)
    Row("admin:login",                     GET,  "",                      "200   200   200   200   200   200   302"),
    Row("admin:logout",                    POST, "",                      "302   302   302   302   302   302   302"),
    Row("admin:auth_user_password_change", GET,  "the admin",             "admin-login " * 6 + "200"),
]
# fmt: on

# Who may read residents' raw answers (rows marked raw=True, and every admin page of the
# models in RAW_MODELS): coordinators for the paper sheets of their districts, analysts for
# the microdata exports, the admin everywhere. Nobody else gets a 2xx from them.
RAW_READERS = {"coordinator", "analyst", "admin"}

# Admin pages other than the model pages: name -> status for the admin (everyone else is
# sent to the admin's login). `app_list` is opened for every app with a registered model.
ADMIN_SITE_PAGES = {
    "admin:index": 200,
    "admin:password_change": 200,
    "admin:password_change_done": 200,
    "admin:jsi18n": 200,
    "admin:app_list": 200,
    "admin:autocomplete": 403,  # without its parameters
    "admin:view_on_site": 404,  # districts have no page of their own
    "admin: catch-all": 404,  # /admin/<anything else>
}

# What the admin may do with each registered model. The changelist and the change page (a
# read-only view where changing is refused) are 200 for all of them; add and delete:
#   full       add 200, delete 200
#   no-add     add 403, delete 200 (responses arrive through the survey and paper entry only)
#   view-only  add 403, delete 403 (written only by the app's own services)
#   published  like full, but a published checklist version is never changed or deleted
ADMIN_MODELS = {
    "auth.group": "full",
    "auth.user": "full",
    "authtoken.tokenproxy": "full",
    "axes.accessattempt": "no-add",
    "axes.accesslog": "no-add",
    "axes.accessfailurelog": "no-add",
    "checklist.checklist": "published",
    "checklist.section": "published",
    "checklist.item": "published",
    "checklist.district": "full",
    "surveys.wave": "full",
    "surveys.response": "no-add",
    "surveys.batch": "view-only",
    "surveys.sheet": "view-only",
    "surveys.paperentry": "view-only",
    "surveys.sheetchange": "view-only",
    "reports.reportjob": "view-only",
    "reports.snapshot": "view-only",
    "reports.downloadlog": "view-only",
}
# Models whose admin pages show raw answers.
RAW_MODELS = {"surveys.response", "surveys.paperentry", "surveys.sheetchange"}

ADMIN_PAGE_STATUS = {
    "full": {"changelist": 200, "change": 200, "add": 200, "delete": 200},
    "no-add": {"changelist": 200, "change": 200, "add": 403, "delete": 200},
    "view-only": {"changelist": 200, "change": 200, "add": 403, "delete": 403},
    "published": {"changelist": 200, "change": 200, "add": 200, "delete": 403},
}
