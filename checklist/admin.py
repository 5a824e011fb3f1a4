"""Admin: drafts are edited with inlines and published; published versions are read-only."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .changes import checklist_changes, languages_missing
from .definition import LANGUAGE_NAMES, LANGUAGES, definition_for
from .models import Checklist, District, Item, Option, Section
from .services import checklist_new_version, checklist_publish

PUBLISH_ONE_AT_A_TIME = _("Publish one draft at a time: each is checked and confirmed on its own page.")


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
    list_display = ("version", "title_ru", "status", "is_live", "published_at")
    inlines = [SectionInline]
    actions = ["publish", "new_version"]
    readonly_fields = ("status", "published_at")

    @admin.display(boolean=True, description=_("residents answer it"))
    def is_live(self, checklist):
        """The newest published version is the one the survey shows; older ones are kept."""
        current = Checklist.current()
        return current is not None and current.pk == checklist.pk

    def get_urls(self):
        own = [
            path(
                "<int:pk>/publish/", self.admin_site.admin_view(self.publish_view), name="checklist_checklist_publish"
            ),
        ]
        return own + super().get_urls()

    def _draft(self, request, pk: int) -> Checklist:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Checklist, pk=pk)

    def publish_view(self, request, pk: int):
        """Confirm publishing a draft: what changes against the live version, a preview in
        each language, then one button. Publishing needs a POST from this page."""
        draft = self._draft(request, pk)
        if draft.is_published:
            messages.info(request, _("Version %(v)d is already published.") % {"v": draft.version})
            return redirect("admin:checklist_checklist_changelist")
        live = Checklist.current()
        if request.method == "POST":
            checklist_publish(checklist=draft)
            self.message_user(
                request,
                _("Version %(v)d is published: residents now answer it.") % {"v": draft.version},
                messages.SUCCESS,
            )
            return redirect("admin:checklist_checklist_changelist")
        definition = definition_for(draft)
        language = (translation.get_language() or "ru")[:2]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Publish version %(v)d?") % {"v": draft.version},
            "opts": self.model._meta,
            "draft": draft,
            "live": live,
            "changes": checklist_changes(definition_for(live) if live else None, definition, language),
            "missing_languages": [LANGUAGE_NAMES[code] for code in languages_missing(definition)],
            "previews": [
                # The survey app renders the preview (data flows definition -> survey, never back).
                (LANGUAGE_NAMES[code], reverse("survey:preview", args=[draft.pk, code]))
                for code in LANGUAGES
            ],
            "question_count": definition.question_count,
        }
        return TemplateResponse(request, "admin/checklist/checklist/publish.html", context)

    def get_inline_instances(self, request, obj=None):
        # Inlines of a published checklist would offer edits it does not allow.
        return [] if obj is not None and obj.is_published else super().get_inline_instances(request, obj)

    @admin.action(description=_("Publish the selected draft…"))
    def publish(self, request, queryset):
        drafts = list(queryset.filter(status=Checklist.Status.DRAFT))
        if len(drafts) != 1:
            self.message_user(request, PUBLISH_ONE_AT_A_TIME, messages.WARNING)
            return None
        return redirect("admin:checklist_checklist_publish", pk=drafts[0].pk)

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
