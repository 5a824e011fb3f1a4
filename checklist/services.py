"""Changing checklist versions: publishing a draft and starting a new draft from a version."""

from django.db import transaction
from django.db.models import Max

from .models import Checklist, Option


@transaction.atomic
def checklist_new_version(*, source: Checklist) -> Checklist:
    """A draft copy of `source` with the next version number: how a published version is edited."""
    next_version = (Checklist.objects.aggregate(top=Max("version"))["top"] or 0) + 1
    copy = Checklist.objects.get(pk=source.pk)
    copy.pk, copy.version, copy.status, copy.published_at = None, next_version, Checklist.Status.DRAFT, None
    copy.save()
    for section in source.sections.all():
        items = list(section.items.prefetch_related("options"))
        section.pk, section.checklist = None, copy
        section.save()
        for item in items:
            options = list(item.options.all())
            item.pk, item.section = None, section
            item.save()
            for option in options:
                option.pk, option.item = None, item
            Option.objects.bulk_create(options)
    return copy


def checklist_publish(*, checklist: Checklist) -> None:
    if not checklist.is_published:
        checklist.publish()
