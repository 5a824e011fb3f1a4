from django.contrib import admin

from .models import Batch, PaperEntry, Response, Sheet, SheetChange, Wave


@admin.register(Wave)
class WaveAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "starts_on", "ends_on", "is_open")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("pk", "wave", "district", "channel", "language", "submitted_on", "feeling", "is_void")
    list_filter = ("wave", "channel", "language", "is_void", "district")
    list_select_related = ("wave", "district")
    readonly_fields = [f.name for f in Response._meta.fields]

    def has_add_permission(self, request):
        return False


# Paper questionnaires: visible to admins, written only through surveys/paper_services.py
# (the pages under /volunteer/), so that every change goes through the same checks and history.
class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(_ReadOnlyAdmin):
    list_display = ("pk", "district", "wave", "language", "size", "pdf_status", "created_by", "created_at")
    list_filter = ("wave", "language", "pdf_status", "district")
    list_select_related = ("district", "wave", "created_by")


@admin.register(Sheet)
class SheetAdmin(_ReadOnlyAdmin):
    list_display = ("serial", "batch", "status", "entry_count", "items_differing")
    list_filter = ("status", "batch__wave", "batch__district")
    list_select_related = ("batch",)
    search_fields = ("serial",)


@admin.register(PaperEntry)
class PaperEntryAdmin(_ReadOnlyAdmin):
    list_display = ("sheet", "entered_by", "source", "created_at", "items_wrong")
    list_filter = ("source",)
    list_select_related = ("sheet", "entered_by")
    search_fields = ("sheet__serial", "entered_by__username")


@admin.register(SheetChange)
class SheetChangeAdmin(_ReadOnlyAdmin):
    list_display = ("sheet", "action", "item_code", "changed_by", "changed_at")
    list_filter = ("action",)
    list_select_related = ("sheet", "changed_by")
    search_fields = ("sheet__serial",)
