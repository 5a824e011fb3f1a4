from django.urls import path

from . import api

urlpatterns = [
    path("checklist/", api.ChecklistView.as_view(), name="api-checklist"),
    path("districts/", api.DistrictListView.as_view(), name="api-districts"),
    path("responses/", api.ResponseCreateView.as_view(), name="api-responses"),
]
