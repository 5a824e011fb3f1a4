"""A URLconf whose home page is looked up at request time, so a test can break it."""

from django.urls import path

from safetysurvey import views
from safetysurvey.urls import handler404, handler500  # noqa: F401
from safetysurvey.urls import urlpatterns as site_patterns

urlpatterns = [path("", lambda request: views.home(request), name="home"), *site_patterns[1:]]
