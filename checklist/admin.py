"""Admin: drafts are edited with inlines and published; published versions are read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import Checklist, District, Item, Option, Section
from .services import checklist_new_version, checklist_publish


class PublishedReadOnly:
    """Everything under a published checklist is read-only (it is immutable)."""

    def _checklist_of(self, obj):
        return obj if isinstance(obj, Checklist) else getattr(obj, "checklist", None) or obj.section.checklist

    def has_change_permission(self, request, obj=None):
        if obj is not None and self._checklist_of(obj).is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self._checklist_of(obj).is_published:
            return False
        return super().has_delete_permission(request, obj)


class SectionInline(admin.TabularInline):
    model = Section
    fields = ("order", "code", "title_ru", "title_kk", "title_en")
    show_change_link = True
    extra = 0


class ItemInline(admin.StackedInline):
    model = Item
    fields = (
        ("order", "code", "kind", "required", "reverse", "subscore", "sdg"),
        ("show_if_item", "show_if_values", "substitutes"),
        ("min_value", "max_value", "max_length"),
        "text_ru",
        "text_kk",
        "text_en",
    )
    show_change_link = True
    extra = 0


class OptionInline(admin.TabularInline):
    model = Option
    fields = ("order", "value", "missing", "label_ru", "label_kk", "label_en")
    extra = 0


@admin.register(Checklist)
class ChecklistAdmin(PublishedReadOnly, admin.ModelAdmin):
    list_display = ("version", "title_ru", "status", "published_at")
    inlines = [SectionInline]
    actions = ["publish", "new_version"]
    readonly_fields = ("status", "published_at")

    def get_inline_instances(self, request, obj=None):
        # Inlines of a published checklist would offer edits it does not allow.
        return [] if obj is not None and obj.is_published else super().get_inline_instances(request, obj)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        for checklist in queryset:
            checklist_publish(checklist=checklist)
        self.message_user(request, _("Published."), messages.SUCCESS)

    @admin.action(description=_("Start a new draft version from the selected checklist"))
    def new_version(self, request, queryset):
        for checklist in queryset:
            copy = checklist_new_version(source=checklist)
            self.message_user(request, _("Draft version %(v)d created.") % {"v": copy.version}, messages.SUCCESS)


@admin.register(Section)
class SectionAdmin(PublishedReadOnly, admin.ModelAdmin):
    list_display = ("code", "title_ru", "checklist")
    list_filter = ("checklist",)
    inlines = [ItemInline]


@admin.register(Item)
class ItemAdmin(PublishedReadOnly, admin.ModelAdmin):
    list_display = ("code", "kind", "section", "required", "subscore")
    list_filter = ("section__checklist", "kind", "subscore")
    search_fields = ("code", "text_ru", "text_en")
    inlines = [OptionInline]

    def _checklist_of(self, obj):
        return obj.section.checklist


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ru", "name_kk", "name_en", "kind", "parent", "adult_population")
    list_filter = ("kind",)
    search_fields = ("code", "name_ru", "name_kk", "name_en")
