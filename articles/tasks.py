"""Background work (django-tasks, run by ``manage.py db_worker``): admin imports too large
to finish within a request.

``run_import(job_id)`` imports an ImportJob's files through the same pipeline as
``import_articles`` (``pipeline.import_records``). The pipeline commits each batch of
records (articles with their links, history and index rows, all or nothing); after each
batch the job's progress marker (records done, counts, kept items) is saved. A worker
killed mid-job thus leaves whole batches only; run again (``resume``), the job skips the
records its marker says are done, and since an import is idempotent, a batch committed
just before the marker is reported as duplicates rather than written twice.
"""

import io
import itertools
from collections import Counter

from django.db import transaction
from django_tasks import task

from .ingest import pipeline
from .ingest.extract import read_pasted, read_upload
from .ingest.matcher import get_matcher
from .models import ImportJob, ImportJobFile, ImportJobStatus

ITEMS_KEPT = 1000  # per job: the first items of each outcome shown on the job page


def create_job(files, *, text="", kind="detect", publish=False, source="", dry_run=False, user=None):
    """An ImportJob holding the uploads (name, bytes) and pasted text, queued for a worker."""
    with transaction.atomic():
        job = ImportJob.objects.create(created_by=user, publish=publish, source=source, dry_run=dry_run)
        ImportJobFile.objects.bulk_create(ImportJobFile(job=job, name=name, data=data) for name, data in files)
        if text.strip():
            ImportJobFile.objects.create(job=job, name="pasted text", kind=kind, data=text.encode("utf-8"))
    enqueue(job)
    return job


def enqueue(job):
    """Queue the job (again: a job resumes from its progress marker)."""
    transaction.on_commit(lambda: run_import.enqueue(job.pk))


def resume(job):
    """Queue an unfinished job again (its worker died): it goes on from its marker."""
    if job.status in (ImportJobStatus.DONE,):
        return False
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJobStatus.QUEUED)
    enqueue(job)
    return True


def job_records(job):
    for part in job.files.all():
        data = bytes(part.data)
        if part.kind == "file":
            yield from read_upload(part.name, io.BytesIO(data))
        else:
            yield from read_pasted(data.decode("utf-8"), kind=part.kind)


def report_of(job):
    """An ImportReport rebuilt from the job's saved counts and items (for the job page)."""
    report = pipeline.ImportReport(dry_run=job.dry_run, links=job.links)
    report.tally.update(job.counts)
    for status, where, message, slug in job.items:
        report.items.append(pipeline.ItemResult(status, where, message, slug))
    return report


@task()
def run_import(job_id):
    return run_job(job_id)


def run_job(job_id):
    """Import (the rest of) a job; returns its summary."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status == ImportJobStatus.DONE:
        return "already done"
    done_before = job.processed
    counts = Counter(job.counts)
    kept = Counter(status for status, *_ in job.items)
    job.status, job.error = ImportJobStatus.RUNNING, ""
    job.attempts += 1
    job.save(update_fields=["status", "error", "attempts", "updated_at"])

    def save_marker(n):
        job.processed = done_before + n
        job.counts = dict(counts)
        job.save(update_fields=["processed", "counts", "items", "links", "updated_at"])

    def progress(n, item):
        counts[item.status] += 1
        if kept[item.status] < ITEMS_KEPT:
            kept[item.status] += 1
            job.items.append([item.status, item.where, item.message, item.slug])
        if n % pipeline.BATCH_SIZE == 0 and not job.dry_run:  # this batch is committed
            job.links = links_before + report_links()
            save_marker(n)

    links_before = job.links
    state = {}

    def report_links():
        return state["report"].links if "report" in state else 0

    records = itertools.islice(job_records(job), done_before, None)
    try:
        report = pipeline.import_records(
            records,
            publish=job.publish,
            source=job.source,
            dry_run=job.dry_run,
            user=job.created_by,
            progress=progress,
            matcher=get_matcher(),
            report_holder=state,
        )
    except Exception as exc:
        job.status, job.error = ImportJobStatus.FAILED, f"{type(exc).__name__}: {exc}"
        job.save(update_fields=["status", "error", "updated_at"])
        raise
    job.links = links_before + report.links
    job.status = ImportJobStatus.DONE
    save_marker(report.tally.total())
    job.save(update_fields=["status", "updated_at"])
    return report_of(job).summary()


@task()
def poll_feed_task(feed_id):
    """Poll one feed (queued by the scheduler, ``manage.py poll_feeds``, or "fetch now")."""
    from .ingest.feeds.poll import poll_feed

    return poll_feed(feed_id).summary()
