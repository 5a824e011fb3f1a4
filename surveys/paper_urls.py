"""/volunteer/: keying paper sheets, and the coordinators' batches, reconciliation and progress."""

from django.urls import path, re_path

from . import paper_views as views

app_name = "paper"

urlpatterns = [
    path("", views.home, name="home"),
    path("enter/", views.entry_start, name="enter"),
    path("enter/<str:serial>/", views.entry_form, name="entry"),
    path("batches/new/", views.batch_new, name="batch_new"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/sheets.pdf", views.batch_pdf, name="batch_pdf"),
    path("batches/<int:pk>/render/", views.batch_render, name="batch_render"),
    re_path(r"^batches/(?P<pk>\d+)/template\.(?P<fmt>csv|xlsx)$", views.batch_template, name="batch_template"),
    path("batches/<int:pk>/entries.csv", views.batch_export, name="batch_export"),
    path("batches/<int:pk>/import/", views.batch_import, name="batch_import"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/status/", views.import_job_status, name="import_job_status"),
    path("reconcile/", views.queue, name="queue"),
    path("sheets/<str:serial>/", views.sheet_detail, name="sheet"),
    path("sheets/<str:serial>/reconcile/", views.sheet_reconcile, name="reconcile"),
    path("sheets/<str:serial>/edit/", views.sheet_edit, name="sheet_edit"),
    path("sheets/<str:serial>/void/", views.sheet_void, name="sheet_void"),
    path("progress/", views.progress, name="progress"),
]
