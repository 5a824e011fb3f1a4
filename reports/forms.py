"""The request form of /reports/: scope, wave, language and formats, limited to what the user may ask."""

from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from checklist.models import District
from surveys.forms import alphabetical
from surveys.models import Wave

from . import services
from .models import EXPORT_FORMATS, REPORT_FORMATS, Format, ReportJob

CHOOSE_A_SCOPE = _("Choose the region or one of your districts.")


def scope_choices(user) -> list[tuple[str, str]]:
    """("region", ...) for analysts, then the districts residents answer for that the user sees."""
    visible = services.districts_visible_to(user).prefetch_related("children")
    districts = [d for d in visible if services.district_takes_responses(d)]
    choices = [(d.code, str(d)) for d in sorted(districts, key=lambda d: alphabetical(str(d)))]
    if services.is_analyst(user):
        choices.insert(0, (services.REGION, str(ReportJob.Scope.REGION.label)))
    return choices


class ReportRequestForm(forms.Form):
    """A report (HTML, PDF) or, with exports=True, the analysts' exports."""

    kind = forms.CharField(widget=forms.HiddenInput)
    scope = forms.ChoiceField(label=_("Report of"), error_messages={"invalid_choice": CHOOSE_A_SCOPE})
    wave = forms.ModelChoiceField(
        label=_("Wave"), queryset=Wave.objects.order_by("-starts_on"), to_field_name="code", empty_label=None
    )
    language = forms.ChoiceField(label=_("Language of the report"), choices=settings.LANGUAGES)
    formats = forms.MultipleChoiceField(label=_("Formats"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, user, exports: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.exports = exports
        self.fields["kind"].initial = "export" if exports else "report"
        self.fields["scope"].choices = scope_choices(user)
        formats = EXPORT_FORMATS if exports else REPORT_FORMATS
        self.fields["formats"].choices = [(f.value, f.label) for f in formats]
        self.fields["formats"].initial = [Format.PDF.value, Format.HTML.value] if not exports else []
        self.fields["wave"].initial = Wave.current()
        self.fields["language"].initial = (get_language() or "ru")[:2]
        if exports:
            self.fields["scope"].label = _("Data of")
            self.fields["language"].label = _("Language of the labels")

    def clean_scope(self):
        code = self.cleaned_data["scope"]
        if code == services.REGION:
            return services.REGION
        return District.objects.get(code=code)


class SnapshotRequestForm(forms.Form):
    """The analysts' "Publish the figures now" (reports.snapshots.snapshot_request)."""

    wave = forms.ModelChoiceField(
        label=_("Wave"), queryset=Wave.objects.order_by("-starts_on"), to_field_name="code", empty_label=None
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].initial = Wave.current()
