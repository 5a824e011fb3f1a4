"""The working group's pages: request a report, watch its progress, download its files.

Thin (STYLE.md rule 1): each view parses input, calls one service, renders.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys.models import Wave

from . import services, snapshots
from .forms import ReportRequestForm, SnapshotRequestForm
from .models import ReportFile, ReportJob

JOB_QUEUED = _("Your request is queued; this page shows its progress.")
JOB_READY = _("The report is ready.")
JOB_REUSED = _("Nothing has changed since this report was made, so here it is again.")
JOB_REUSED_RUNNING = _("The same report is already being made; this page shows its progress.")
SNAPSHOT_QUEUED = _("The figures of %(wave)s are being published; reports requested from now on show them.")
SNAPSHOT_UNCHANGED = _("Nothing has changed since the figures of %(wave)s were last published.")
FINISHED_PER_PAGE = 25


def reports_user_required(view):
    """Logged in (else to the login page) and an analyst, coordinator or admin (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.can_use_reports(request.user):
            raise PermissionDenied(services.NOT_A_REPORTS_USER)
        return view(request, *args, **kwargs)

    return wrapper


@reports_user_required
@require_http_methods(["GET", "POST"])
def index(request):
    user = request.user
    analyst = services.is_analyst(user)
    report_form = ReportRequestForm(user=user)
    export_form = ReportRequestForm(user=user, exports=True) if analyst else None
    if request.method == "POST":
        exports = request.POST.get("kind") == "export"
        if exports and not analyst:
            raise PermissionDenied(services.EXPORTS_FOR_ANALYSTS)
        form = ReportRequestForm(request.POST, user=user, exports=exports)
        if form.is_valid():
            try:
                job, reused = services.report_request(
                    user=user,
                    scope=form.cleaned_data["scope"],
                    wave=form.cleaned_data["wave"],
                    language=form.cleaned_data["language"],
                    formats=form.cleaned_data["formats"],
                )
            except services.ReportRefused as refused:
                for field, errors in refused.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                job.refresh_from_db(fields=["status"])  # it may have run inline already
                if not reused:
                    messages.info(request, JOB_READY if job.status == ReportJob.Status.DONE else JOB_QUEUED)
                elif job.status == ReportJob.Status.DONE:
                    messages.info(request, JOB_REUSED)
                else:
                    messages.info(request, JOB_REUSED_RUNNING)
                return redirect("reports:job", job.pk)
        if exports:
            export_form = form
        else:
            report_form = form

    visible = services.jobs_visible_to(user)
    active = visible.filter(status__in=[ReportJob.Status.QUEUED, ReportJob.Status.RUNNING]).order_by("created_at")[:20]
    failed = visible.filter(status=ReportJob.Status.FAILED, requested_by=user).order_by("-finished_at")[:5]
    finished = Paginator(
        visible.filter(status=ReportJob.Status.DONE).prefetch_related("files").order_by("-finished_at", "-pk"),
        FINISHED_PER_PAGE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/index.html",
        {
            "report_form": report_form,
            "export_form": export_form,
            "snapshot_form": SnapshotRequestForm() if analyst else None,
            "published": _published_of_open_wave() if analyst else None,
            "min_cell": settings.REPORT_MIN_CELL,
            "active_jobs": active,
            "failed_jobs": failed,
            "finished": finished,
            "status_running": ReportJob.Status.RUNNING,
        },
        status=400 if request.method == "POST" else 200,
    )


def _published_of_open_wave():
    wave = Wave.current()
    return snapshots.latest_snapshot(wave, with_results=False) if wave else None


@reports_user_required
@require_POST
def snapshot_request(request):
    """The analysts' button "Publish the figures now" (METHOD.md §4.10)."""
    form = SnapshotRequestForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("reports:index")
    wave = form.cleaned_data["wave"]
    _snapshot, queued = snapshots.snapshot_request(user=request.user, wave=wave)
    messages.info(request, (SNAPSHOT_QUEUED if queued else SNAPSHOT_UNCHANGED) % {"wave": wave.name})
    return redirect("reports:index")


def _visible_job(request, job_id: int) -> ReportJob:
    return get_object_or_404(services.jobs_visible_to(request.user).prefetch_related("files"), pk=job_id)


@reports_user_required
@require_GET
def job_detail(request, job_id: int):
    job = _visible_job(request, job_id)
    return render(request, "reports/job.html", {"job": job, "status_url": reverse("reports:job-status", args=[job.pk])})


def job_status_data(job: ReportJob, file_url) -> dict:
    """The JSON the progress bar polls (and the API's job body shares its fields)."""
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "progress": job.progress,
        "finished": job.is_finished,
        "error": job.error,
        "files": [
            {"format": f.format, "filename": f.filename, "size": f.size, "url": file_url(f)} for f in job.files.all()
        ],
    }


@reports_user_required
@require_GET
def job_status(request, job_id: int):
    job = _visible_job(request, job_id)
    data = job_status_data(job, lambda f: reverse("reports:download", args=[f.pk]))
    return JsonResponse(data, headers={"Cache-Control": "no-store"})


@reports_user_required
@require_GET
def download(request, file_id: int):
    file = get_object_or_404(ReportFile.objects.select_related("job__district", "job__wave"), pk=file_id)
    if not services.can_see_scope(request.user, file.job.district):
        raise Http404  # do not confirm that another district's file exists
    try:
        handle = services.report_file_download(user=request.user, file=file)
    except FileNotFoundError as missing:
        raise Http404(str(missing)) from None
    return FileResponse(handle, as_attachment=True, filename=file.filename, content_type=file.mimetype)
