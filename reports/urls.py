from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("publish/", views.snapshot_request, name="snapshot"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/status/", views.job_status, name="job-status"),
    path("files/<int:file_id>/", views.download, name="download"),
]
