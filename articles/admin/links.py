"""The review queue: the machine's suggested links, one changelist per entity type.

An editor filters by confidence, source, article or entity, reads each mention in
its sentence, and confirms or rejects in bulk; who reviewed and when is recorded.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest, Length, Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from .. import services
from ..models import (
    LINK_MODELS,
    ArticleCondition,
    ArticleDrug,
    ArticleDrugClass,
    ArticleInstitution,
    ArticleStatus,
    LinkOrigin,
    LinkStatus,
)
from .base import CONTEXT_CHARS, CuratedAdmin, capped_count, mention_context, mention_without_offset
from .review import ArticleRowForm, CanPublishFormMixin

REVIEW_QUEUE_TEMPLATE = "admin/articles/review_queue.html"


def admin_url(obj, action="change"):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{action}", args=[obj.pk])


# --------------------------------------------------------------------------- filters


class ReviewStatusFilter(admin.SimpleListFilter):
    """Suggested links by default: the queue opens on what is left to review."""

    title = "review status"
    parameter_name = "review"
    default = LinkStatus.SUGGESTED

    def lookups(self, request, model_admin):
        return [
            (LinkStatus.SUGGESTED, "to review (suggested)"),
            (LinkStatus.CONFIRMED, "confirmed"),
            (LinkStatus.REJECTED, "rejected"),
            ("all", "all"),
        ]

    def choices(self, changelist):
        current = self.value() or self.default
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or self.default
        if value == "all":
            return queryset
        if value not in LinkStatus.values:
            raise IncorrectLookupParameters(f"Unknown review status {value!r}.")
        return queryset.filter(status=value)


class ConfidenceFilter(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence"
    BANDS = {
        "high": ("high (0.8 or more)", {"confidence__gte": 0.8}),
        "medium": ("medium (0.5 to 0.8)", {"confidence__gte": 0.5, "confidence__lt": 0.8}),
        "low": ("low (under 0.5)", {"confidence__lt": 0.5}),
    }

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if self.value() not in self.BANDS:
            raise IncorrectLookupParameters(f"Unknown confidence band {self.value()!r}.")
        return queryset.filter(**self.BANDS[self.value()][1])


class OneObjectFilter(admin.SimpleListFilter):
    """Filter by one object given in the URL (links from an article or entity page);
    shown only while it is set, with its name."""

    field = None

    def lookups(self, request, model_admin):
        if self.value() is None:
            return []
        related = model_admin.model._meta.get_field(self.field).related_model
        obj = related.objects.filter(pk=self._pk()).only(*self.shown_fields).first()
        return [(self.value(), str(obj) if obj else f"#{self.value()} (gone)")]

    def _pk(self):
        try:
            return int(self.value())
        except (TypeError, ValueError):
            raise IncorrectLookupParameters(f"{self.title.capitalize()} must be a number.") from None

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        return queryset.filter(**{f"{self.field}_id": self._pk()})


class ArticleFilter(OneObjectFilter):
    title = "article"
    parameter_name = "article"
    field = "article"
    shown_fields = ("title",)


def entity_filter(link_model):
    return type(
        f"{link_model.entity_field.capitalize()}Filter",
        (OneObjectFilter,),
        {
            "title": link_model.entity_field,
            "parameter_name": link_model.entity_field,
            "field": link_model.entity_field,
            "shown_fields": ("name",),
        },
    )


# --------------------------------------------------------------------------- queue


class LinkAdmin(CanPublishFormMixin, CuratedAdmin):
    """A changelist of one link table, opened on the suggested links."""

    form = ArticleRowForm

    change_list_template = REVIEW_QUEUE_TEMPLATE
    list_display = [
        "entity_display",
        "context_display",
        "article_display",
        "confidence_display",
        "mention_count",
        "status",
        "origin",
        "reviewed_display",
    ]
    list_display_links = ["status"]
    search_fields = ["matched_text", "article__title"]
    ordering = ["-confidence", "pk"]  # the order of the (status, confidence) index
    list_per_page = 100
    actions = ["confirm_links", "reject_links"]
    readonly_fields = ["published", "reviewed_by", "reviewed_at", "created_at"]

    def get_list_filter(self, request):
        return [
            ReviewStatusFilter,
            ConfidenceFilter,
            "origin",
            ("article__source", admin.RelatedFieldListFilter),
            ("article__status", admin.ChoicesFieldListFilter),
            ArticleFilter,
            entity_filter(self.model),
        ]

    def get_fields(self, request, obj=None):
        entity = self.model.entity_field
        fields = ["article", entity, "status", "origin", "confidence", "matched_text", "first_offset"]
        return [*fields, "mention_count", "in_title", *self.readonly_fields]

    def get_autocomplete_fields(self, request):
        return ["article", self.model.entity_field]

    def changelist_queryset(self, request, queryset):
        entity = self.model.entity_field
        return queryset.select_related("article__source", entity, "reviewed_by").defer(
            "article__body", "article__summary"
        )

    def decorate_page(self, request, rows):
        # The text around each mention, cut out by the database for the shown rows only:
        # bodies are not loaded, and the changelist's count does not join the articles.
        windows = (
            self.model.objects.filter(pk__in=[row.pk for row in rows])
            .annotate(context_start=Greatest(Coalesce("first_offset", Value(0)) - CONTEXT_CHARS, Value(0)))
            .annotate(
                context_text=Substr("article__body", F("context_start") + 1, Length("matched_text") + 2 * CONTEXT_CHARS)
            )
            .values_list("pk", "context_start", "context_text")
        )
        found = {pk: (start, text) for pk, start, text in windows} if rows else {}
        for row in rows:
            row.context_start, row.context_text = found.get(row.pk, (0, ""))

    @admin.display(description="entity")
    def entity_display(self, link):
        entity = link.entity
        return format_html('<a href="{}">{}</a>', admin_url(entity), entity.name)

    @admin.display(description="mention in context")
    def context_display(self, link):
        if link.first_offset is None:
            return mention_without_offset(link)
        window = link.context_text or ""
        wanted = len(link.matched_text) + 2 * CONTEXT_CHARS
        return mention_context(
            window, link.context_start, link.first_offset, link.matched_text, truncated_end=len(window) >= wanted
        )

    @admin.display(description="article", ordering="article__title")
    def article_display(self, link):
        article = link.article
        source = f" · {article.source.name}" if article.source_id else ""
        return format_html(
            '<a href="{}">{}</a><br><span class="quiet">{}{}</span>',
            admin_url(article),
            article.title,
            article.get_status_display(),
            source,
        )

    @admin.display(description="confidence", ordering="confidence")
    def confidence_display(self, link):
        return f"{link.confidence:.2f}"

    @admin.display(description="reviewed", ordering="reviewed_at")
    def reviewed_display(self, link):
        if link.reviewed_at is None:
            return "—"
        who = link.reviewed_by.get_username() if link.reviewed_by_id else "someone"
        return f"{who}, {timezone.localtime(link.reviewed_at):%d %b %Y %H:%M}"

    def _review(self, request, queryset, status):
        if not services.may_publish(request.user):
            published = queryset.filter(article__status=ArticleStatus.PUBLISHED)
            held = published.count()
            if held:
                queryset = queryset.exclude(pk__in=published.values("pk"))
                self.message_user(
                    request,
                    f"{held} of the selected links belong to published articles and were not changed: only a "
                    "Reviewer (who may publish) can change a published article.",
                    messages.WARNING,
                )
        selected = queryset.count()
        changed = services.review_links(links=queryset, status=status, by=request.user)
        label = LinkStatus(status).label.split(" ")[0]
        self.message_user(request, f"{changed} {'link' if changed == 1 else 'links'} {label}.", messages.SUCCESS)
        if selected > changed:
            self.message_user(request, f"{selected - changed} of the selected links were already {label}.")

    @admin.action(description="Confirm selected links", permissions=["change"])
    def confirm_links(self, request, queryset):
        self._review(request, queryset, LinkStatus.CONFIRMED)

    @admin.action(description="Reject selected links", permissions=["change"])
    def reject_links(self, request, queryset):
        self._review(request, queryset, LinkStatus.REJECTED)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.origin = LinkOrigin.EDITOR
        if not change or "status" in form.changed_data:
            obj.reviewed_by, obj.reviewed_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
        services.sync_link_dates(article_ids=[obj.article_id])

    def changelist_view(self, request, extra_context=None):
        queues = []
        for link_model in LINK_MODELS:
            opts = link_model._meta
            queues.append(
                {
                    "label": link_model._meta.get_field(
                        link_model.entity_field
                    ).related_model._meta.verbose_name_plural.capitalize(),
                    "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
                    "pending": capped_count(link_model.objects.suggested()),
                    "current": link_model is self.model,
                }
            )
        title = f"Review queue: {self.model._meta.get_field(self.model.entity_field).verbose_name} links"
        context = {"review_queues": queues, "title": title, **(extra_context or {})}
        return super().changelist_view(request, context)


@admin.register(ArticleCondition)
class ArticleConditionAdmin(LinkAdmin):
    pass


@admin.register(ArticleDrug)
class ArticleDrugAdmin(LinkAdmin):
    pass


@admin.register(ArticleInstitution)
class ArticleInstitutionAdmin(LinkAdmin):
    pass


@admin.register(ArticleDrugClass)
class ArticleDrugClassAdmin(LinkAdmin):
    pass
