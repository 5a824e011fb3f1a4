from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import converters, views  # noqa: F401 (importing converters registers <id:...>, used by the apps' URLconfs)

# A database outage outside any view answers 503, not 500 (safetysurvey/outages.py).
handler500 = "safetysurvey.views.server_error"
# An unknown path under /api/ answers JSON, not an HTML page.
handler404 = views.page_not_found

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/home/", views.role_home, name="role-home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("survey/", include("surveys.urls")),
    path("volunteer/", include("surveys.paper_urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("surveys.api_urls")),
    path("api/v1/", include("surveys.paper_api_urls")),
    path("api/v1/", include("reports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]
# No static() route for MEDIA_URL, not even with DEBUG on: uploads and printable PDFs are
# handed out only by views that check the user's role and districts (docs/access.md).
