"""/api/v1/paper/: entries of paper sheets and the status of batches."""

from django.urls import path

from . import paper_api

urlpatterns = [
    path("paper/entries/", paper_api.EntryCreate.as_view(), name="paper-entry-create"),
    path("paper/batches/", paper_api.BatchList.as_view(), name="paper-batch-list"),
    path("paper/batches/<id:pk>/", paper_api.BatchStatus.as_view(), name="paper-batch-status"),
]
