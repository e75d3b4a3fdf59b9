"""Import from the admin: upload files or paste text/HTML. The same pipeline, and so the
same messages, as ``manage.py import_articles`` (articles.ingest).

An import of more than ``BACKGROUND_BYTES`` does not run in the request (a large upload
would outlast the server's timeout): it becomes an ImportJob run by a background worker
(``articles.tasks``, ``manage.py db_worker``), and the editor is sent to the job's page,
which shows its progress and, when it ends, the same report.
"""

from datetime import timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from .. import tasks
from ..ingest import pipeline
from ..ingest.extract import DETECT, HTML, PLAIN, SUPPORTED, Record, read_pasted, read_upload
from ..models import Article, Condition, ImportJob, ImportJobStatus

MAX_FILES = 50
MAX_FILE_BYTES = 20 * 1024 * 1024
BACKGROUND_BYTES = 256 * 1024  # larger imports run as background jobs
STALLED_AFTER = timedelta(minutes=2)  # a running job without progress this long may be resumed


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(sorted(SUPPORTED))}))
        kwargs.setdefault("allow_empty_file", True)  # the pipeline says "the file is empty", as the command does
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class ImportForm(forms.Form):
    files = MultipleFileField(
        required=False,
        help_text=f"{', '.join(sorted(SUPPORTED))}; up to {MAX_FILES} files of {MAX_FILE_BYTES // 2**20} MB each.",
    )
    text = forms.CharField(
        label="Or paste a story",
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 100}),
        help_text="Plain text (first line the title) or the HTML of a news page.",
    )
    kind = forms.ChoiceField(
        label="The pasted story is",
        choices=[
            (DETECT, "HTML if it starts with markup and closes a tag, else plain text"),
            (PLAIN, "Plain text: every character kept as written (“P<.001” stays)"),
            (HTML, "HTML: the story's text is extracted from the markup"),
        ],
        initial=DETECT,
        required=False,
        widget=forms.RadioSelect,
    )
    source = forms.CharField(
        label="Outlet",
        required=False,
        max_length=200,
        help_text="The outlet, for stories that do not name one (e.g. BBC News).",
    )
    published = forms.DateField(
        label="Date published",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the outlet published it, for stories that state no date (YYYY-MM-DD). A date in the "
        "story (its dateline, or the page's meta tags) is used when present.",
    )
    url = forms.URLField(
        label="Source URL",
        required=False,
        assume_scheme="https",
        help_text="The story's address, for a single pasted story or file that does not give one.",
    )
    publish = forms.BooleanField(
        required=False,
        help_text="Publish at once (default: draft, for review). A story with no date, here or in its text, "
        "stays a draft marked “date unknown”: it is never dated today.",
    )
    dry_run = forms.BooleanField(
        label="Dry run", required=False, help_text="Check everything and report, but save nothing."
    )

    def __init__(self, *args, can_publish=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_publish:
            del self.fields["publish"]

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(f"{len(files)} files chosen; import at most {MAX_FILES} at a time.")
        for upload in files:
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    f"{upload.name} is {upload.size / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB a file."
                )
        return files

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("files") and not cleaned.get("text", "").strip():
            raise forms.ValidationError("Choose files to upload or paste a story.")
        return cleaned

    def size(self):
        return sum(upload.size for upload in self.cleaned_data["files"]) + len(self.cleaned_data["text"].encode())

    def records(self):
        """The records read, each given the form's date and URL where it has none."""
        records = []
        for upload in self.cleaned_data["files"]:
            records.extend(read_upload(upload.name, upload))
        if self.cleaned_data["text"].strip():
            records.extend(read_pasted(self.cleaned_data["text"], kind=self.cleaned_data.get("kind") or DETECT))
        date, url = self.cleaned_data.get("published"), self.cleaned_data.get("url")
        stories = [record for record in records if isinstance(record, Record)]
        for record in stories:
            record.default_published = date
            if url and not record.url and len(stories) == 1:
                record.url = url
        return records

    def clean_url(self):
        return self.cleaned_data["url"] or ""


def import_view(model_admin, request):
    """GET: the form. POST: import, then the same page with what was created and what failed."""
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    can_publish = model_admin.has_publish_permission(request)
    report = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, can_publish=can_publish)
        if form.is_valid() and not Condition.objects.exists():
            form.add_error(None, "The vocabulary is empty: run `python manage.py load_vocabulary` first.")
        if form.is_valid() and form.size() > BACKGROUND_BYTES:
            job = tasks.create_job(
                [(upload.name, upload.read()) for upload in form.cleaned_data["files"]],
                text=form.cleaned_data["text"],
                kind=form.cleaned_data.get("kind") or DETECT,
                publish=form.cleaned_data.get("publish", False),
                source=form.cleaned_data["source"].strip(),
                dry_run=form.cleaned_data["dry_run"],
                user=request.user,
            )
            return redirect(reverse("admin:articles_article_import_job", args=[job.pk]))
        if form.is_valid():
            report = pipeline.import_records(
                form.records(),
                publish=form.cleaned_data.get("publish", False),
                source=form.cleaned_data["source"].strip(),
                dry_run=form.cleaned_data["dry_run"],
                user=request.user,
            )
            form = ImportForm(can_publish=can_publish, initial={"source": form.cleaned_data["source"]})
    else:
        form = ImportForm(can_publish=can_publish)
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Import articles",
        "opts": opts,
        "form": form,
        "report": report,
        "groups": _groups(report) if report else [],
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/articles/import.html", context)


def job_view(model_admin, request, job_id):
    """An import job: its progress while a worker runs it, then its report. POST resumes a
    job whose worker died (no progress for STALLED_AFTER) or that failed."""
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    job = get_object_or_404(ImportJob, pk=job_id)
    finished = job.status == ImportJobStatus.DONE
    stalled = job.status == ImportJobStatus.FAILED or (not finished and timezone.now() - job.updated_at > STALLED_AFTER)
    if request.method == "POST" and stalled:
        tasks.resume(job)
        return redirect(request.path)
    report = tasks.report_of(job)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Import job {job.pk}",
        "opts": model_admin.model._meta,
        "job": job,
        "finished": finished,
        "stalled": stalled,
        "report": report if finished else None,
        "progress": report.summary(),
        "groups": _groups(report),
        "import_url": reverse("admin:articles_article_import"),
    }
    return TemplateResponse(request, "admin/articles/import_job.html", context)


GROUPS = [
    (pipeline.FAILED, "Failed", "Not imported; nothing of them was saved."),
    (pipeline.CREATED, "Created", "New articles (drafts unless published), with suggested links to review."),
    (
        pipeline.SYNDICATED,
        "Syndicated copies",
        "The same story as one already here, from another outlet or address; kept as its copy.",
    ),
    (pipeline.UPDATED, "Updated", "Same address as an article already here; its text was updated."),
    (pipeline.UNCHANGED, "Unchanged", "Already here, nothing new."),
    (pipeline.DUPLICATE, "Duplicates", "Same text and outlet as an article already here; not imported again."),
    (pipeline.SKIPPED, "Skipped", ""),
]


def _groups(report):
    """The report's items by outcome, each with its article's title (one query for all)."""
    ids = {item.article_id for item in report.items if item.article_id}
    titles = dict(Article.objects.filter(pk__in=ids).values_list("pk", "title")) if ids else {}
    return [
        {
            "status": status,
            "title": title,
            "help": help_text,
            "items": [{"item": item, "title": titles.get(item.article_id, "")} for item in report.of(status)],
        }
        for status, title, help_text in GROUPS
        if report.of(status)
    ]
