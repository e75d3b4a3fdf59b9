"""Import from the admin: upload files or paste text/HTML. The same pipeline, and so the
same messages, as ``manage.py import_articles`` (articles.ingest)."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from ..ingest import pipeline
from ..ingest.extract import SUPPORTED, read_pasted, read_upload
from ..models import Condition

MAX_FILES = 50
MAX_FILE_BYTES = 20 * 1024 * 1024


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
    source = forms.CharField(
        label="Source",
        required=False,
        max_length=200,
        help_text="The outlet, for stories that do not name one (e.g. BBC News).",
    )
    publish = forms.BooleanField(required=False, help_text="Publish at once (default: draft, for review).")
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

    def records(self):
        for upload in self.cleaned_data["files"]:
            yield from read_upload(upload.name, upload.read())
        if self.cleaned_data["text"].strip():
            yield from read_pasted(self.cleaned_data["text"])


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


GROUPS = [
    (pipeline.FAILED, "Failed", "Not imported; nothing of them was saved."),
    (pipeline.CREATED, "Created", "New articles (drafts unless published), with suggested links to review."),
    (pipeline.SYNDICATED, "Syndicated copies", "Near-identical to an article from another outlet; linked to it."),
    (pipeline.UPDATED, "Updated", "Same address as an article already here; its text was updated."),
    (pipeline.UNCHANGED, "Unchanged", "Already here, nothing new."),
    (pipeline.DUPLICATE, "Duplicates", "Same text as an article already here; not imported again."),
    (pipeline.SKIPPED, "Skipped", ""),
]


def _groups(report):
    return [
        {"status": status, "title": title, "help": help_text, "items": report.of(status)}
        for status, title, help_text in GROUPS
        if report.of(status)
    ]
