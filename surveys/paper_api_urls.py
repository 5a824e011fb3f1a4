"""/api/v1/paper/: entries of paper sheets, the status of batches, file imports and their jobs."""

from django.urls import path

from . import paper_api

urlpatterns = [
    path("paper/entries/", paper_api.EntryCreate.as_view(), name="paper-entry-create"),
    path("paper/batches/", paper_api.BatchList.as_view(), name="paper-batch-list"),
    path("paper/batches/<id:pk>/", paper_api.BatchStatus.as_view(), name="paper-batch-status"),
    path("paper/batches/<id:pk>/imports/", paper_api.ImportCreate.as_view(), name="paper-import-create"),
    path("paper/imports/<id:pk>/", paper_api.ImportDetail.as_view(), name="paper-import-detail"),
]
