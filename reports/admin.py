"""Published figures, report jobs and the download log in the admin: for looking, not for editing.

Snapshots are made by their jobs (reports.snapshots), jobs by /reports/, the API and the
nightly run; the log is an audit record.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import DownloadLog, ReportFile, ReportJob, Snapshot


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReportFileInline(admin.TabularInline):
    model = ReportFile
    fields = ("format", "download", "mimetype", "size", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        # Through the logged download view, never the storage path.
        return format_html('<a href="{}">{}</a>', reverse("reports:download", args=[obj.pk]), obj.filename)


@admin.register(ReportJob)
class ReportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "pk", "scope_code", "wave", "language", "formats", "status", "progress", "attempts",
        "requested_by", "created_at", "finished_at", "short_fingerprint",
    )
    list_filter = ("status", "scope", "wave", "language")
    list_select_related = ("district", "wave", "requested_by")
    search_fields = ("fingerprint", "district__code", "requested_by__username")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in ReportJob._meta.fields]
    inlines = [ReportFileInline]

    @admin.display(description=_("scope"), ordering="district__code")
    def scope_code(self, obj):
        return obj.scope_code

    @admin.display(description=_("input fingerprint"))
    def short_fingerprint(self, obj):
        return obj.short_fingerprint


@admin.register(DownloadLog)
class DownloadLogAdmin(ReadOnlyAdmin):
    list_display = ("downloaded_at", "username", "filename", "scope", "wave", "channel", "job_id")
    list_filter = ("channel", "wave", "scope")
    search_fields = ("username", "filename")
    date_hierarchy = "downloaded_at"
    readonly_fields = [f.name for f in DownloadLog._meta.fields]


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ("pk", "wave", "status", "trigger", "requested_at", "created_at", "republished_units",
                    "short_fingerprint")
    list_filter = ("status", "trigger", "wave")
    list_select_related = ("wave",)
    date_hierarchy = "requested_at"
    readonly_fields = [f.name for f in Snapshot._meta.fields]

    def get_queryset(self, request):
        # The list does not need the documents (tens of kilobytes each).
        queryset = super().get_queryset(request)
        return queryset if request.resolver_match.url_name.endswith("_change") else queryset.defer("results")

    @admin.display(description=_("units computed anew"))
    def republished_units(self, obj):
        return ", ".join(obj.republished) or "–"

    @admin.display(description=_("input fingerprint"))
    def short_fingerprint(self, obj):
        return obj.short_fingerprint
