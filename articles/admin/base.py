"""Pieces every NewsBase admin shares: history with a server-side revert check, lean
changelists, counts as subqueries, and mentions shown in context."""

from django import forms
from django.contrib.admin.utils import NestedObjects
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db import models, router
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from ..text import normalize, squash_spaces, unify_newlines

CONTEXT_CHARS = 70  # characters shown each side of a mention


class NewlineCharField(forms.CharField):
    """A text field whose line endings are LF whatever the browser posts (CRLF from a
    textarea): saving a form unchanged changes nothing, and offsets into the text hold."""

    def to_python(self, value):
        return unify_newlines(super().to_python(value))


class LeanChangeList(ChangeList):
    """A changelist whose queryset the admin may trim or annotate (changelist only:
    the change form still loads every field). Annotations are made before filters
    and sorting, so a column of counts can be sorted."""

    def get_queryset(self, request, exclude_parameters=None):
        if not getattr(self, "_prepared", False):
            self.root_queryset = self.model_admin.changelist_queryset(request, self.root_queryset)
            self._prepared = True
        return super().get_queryset(request, exclude_parameters)

    def get_results(self, request):
        super().get_results(request)
        self.result_list = list(self.result_list)
        self.model_admin.decorate_page(request, self.result_list)


class CuratedAdmin(SimpleHistoryAdmin):
    """Admin for a model with history: viewable by whoever may view, revertible only
    by whoever may change (checked here, not only by hiding the button)."""

    show_full_result_count = False
    list_per_page = 50
    formfield_overrides = {
        models.URLField: {"assume_scheme": "https"},
        models.TextField: {"form_class": NewlineCharField},
    }

    def get_changelist(self, request, **kwargs):
        return LeanChangeList

    def changelist_queryset(self, request, queryset):
        """The changelist's rows, before filters and sorting (annotate counts here)."""
        return queryset

    def decorate_page(self, request, rows):
        """Add what only the shown rows need (one query for the page, not a join for every row)."""

    def get_deleted_objects(self, objs, request):
        """Django's delete confirmation, but an entity with thousands of links lists some and
        counts the rest (the summary counts all), and only the listed rows are formatted
        (a link's name reads its article: formatting them all was a query per link)."""
        try:
            first = objs[0]
        except IndexError:
            return [], {}, set(), []
        collector = NestedObjects(using=router.db_for_write(first._meta.model), origin=objs)
        collector.collect(objs)
        perms_needed = set()

        def describe(obj):
            opts = obj._meta
            model_admin = self.admin_site._registry.get(type(obj))
            if model_admin is not None and not model_admin.has_delete_permission(request, obj):
                perms_needed.add(opts.verbose_name)

            def render():
                if model_admin is None:
                    return conditional_escape(f"{capfirst(opts.verbose_name)}: {obj}")
                url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
                return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)

            return LazyHTML(render)

        model_count = {model._meta.verbose_name_plural: len(rows) for model, rows in collector.model_objs.items()}
        protected = [describe(obj) for obj in collector.protected]
        return shorten(collector.nested(describe)), model_count, perms_needed, protected

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class LazyHTML:
    """HTML made only when shown."""

    def __init__(self, render):
        self.render = render

    def __html__(self):
        return self.render()

    __str__ = __html__


def shorten(items, limit=20):
    """The delete confirmation's nested list ([obj, [its related...], obj, ...]), at most
    `limit` entries a level, with a line saying how many more."""
    out, kept, skipped, keep_children = [], 0, 0, False
    for item in items:
        if isinstance(item, list):
            if keep_children:
                out.append(shorten(item, limit))
            continue
        keep_children = kept < limit
        if keep_children:
            out.append(item)
            kept += 1
        else:
            skipped += 1
    if skipped:
        out.append(f"… and {skipped} more (see the summary above)")
    return out


def capped_count(queryset, cap=1000):
    """How many rows, as text, counting no further than `cap` ("1,000+"): cheap at any size."""
    n = queryset.order_by()[: cap + 1].count()
    return f"{cap:,}+" if n > cap else f"{n:,}"


def count_of(model, field, **filters):
    """Subquery counting `model` rows whose `field` is the outer row (0 when none)."""
    rows = (
        model.objects.filter(**{field: OuterRef("pk")}, **filters)
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def mention_context(text, start, offset, matched_text, *, truncated_end=False):
    """HTML of `text` (a window of an article starting at `start`) with the mention at
    `offset` marked. Every piece is escaped; the mark is only set where the text there
    really is the matched text."""
    relative = offset - start
    length = len(matched_text)
    found = text[relative : relative + length]
    if not matched_text or relative < 0 or normalize(found) != normalize(matched_text):
        return format_html("{}", squash_spaces(text)[: 2 * CONTEXT_CHARS] or matched_text)
    before, after = text[:relative], text[relative + length :]
    if start > 0 and " " in before:  # drop the cut word at the start
        before = before.split(" ", 1)[1]
    if truncated_end and " " in after:
        after = after.rsplit(" ", 1)[0]
    return format_html(
        '{}{}<mark class="mention">{}</mark>{}{}',
        "…" if start > 0 else "",
        squash_spaces(before) + (" " if before[-1:].isspace() else ""),
        found,
        (" " if after[:1].isspace() else "") + squash_spaces(after),
        "…" if truncated_end else "",
    )


def context_window(body, offset, matched_text):
    """(window, start, truncated_end) of `body` around a mention at `offset`."""
    start = max(offset - CONTEXT_CHARS, 0)
    end = offset + len(matched_text) + CONTEXT_CHARS
    return body[start:end], start, end < len(body)


def mention_without_offset(link):
    """What to show for a link with no mention in the body: in the title, or an editor's."""
    if link.in_title and link.matched_text:
        return format_html("in the title: “{}”", link.matched_text)
    return format_html("<em>{}</em>", link.matched_text or "added by an editor")
