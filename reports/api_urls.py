from django.urls import include, path

from . import api

reports_api = (
    [
        path("reports/", api.ReportJobCreate.as_view(), name="create"),
        path("reports/<id:job_id>/", api.ReportJobDetail.as_view(), name="detail"),
        path("reports/<id:job_id>/files/<id:file_id>/", api.ReportFileDownload.as_view(), name="file"),
        path("aggregates/", api.Aggregates.as_view(), name="aggregates"),
        path("snapshots/", api.SnapshotCreate.as_view(), name="snapshots"),
        path("snapshots/<id:snapshot_id>/", api.SnapshotDetail.as_view(), name="snapshot"),
    ],
    "reports-api",
)

urlpatterns = [path("", include(reports_api))]
