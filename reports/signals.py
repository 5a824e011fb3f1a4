"""Closing a wave publishes its figures (METHOD.md §4.10, docs/reports.md "Publication").

A wave saved with `is_open` going from True to False (the admin, `Wave.save()`) sends the
snapshot task once the transaction commits. A bulk `QuerySet.update()` sends no signal:
the nightly run publishes that wave instead.
"""

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from surveys.models import Wave


@receiver(pre_save, sender=Wave, dispatch_uid="reports.wave_was_open")
def _remember_whether_open(sender, instance: Wave, raw=False, **kwargs):
    instance._was_open = (
        not raw and instance.pk is not None
        and Wave.objects.filter(pk=instance.pk, is_open=True).exists()
    )


@receiver(post_save, sender=Wave, dispatch_uid="reports.wave_closed")
def _publish_a_closed_wave(sender, instance: Wave, raw=False, **kwargs):
    if raw or instance.is_open or not getattr(instance, "_was_open", False):
        return
    from .models import Snapshot
    from .snapshots import send_snapshot_task

    wave_id = instance.pk
    transaction.on_commit(
        lambda: send_snapshot_task(wave_id=wave_id, trigger=Snapshot.Trigger.WAVE_CLOSED)
    )
