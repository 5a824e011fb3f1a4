from django.contrib import admin

from .models import Response, Wave


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
