"""Celery tasks of the paper workflow: thin wrappers that take ids and call a service."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def render_batch_pdf(batch_id: int) -> None:
    """Render a batch's printable PDF. Safe to run twice: a finished PDF is kept."""
    from .paper_services import batch_render_failed, batch_render_pdf

    try:
        batch_render_pdf(batch_id=batch_id)
    except Exception as error:  # rendering errors are deterministic: record them, don't retry
        logger.exception("Rendering the PDF of batch %s failed", batch_id)
        batch_render_failed(batch_id=batch_id, error=error)
