"""Articles and sources: the workflow (draft → in review → published → withdrawn) runs
through articles.services, from the actions and from the change form alike."""

import functools
import operator
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .. import services
from ..models import (
    LINK_MODELS,
    Article,
    ArticleStatus,
    ArticleTrial,
    DrugConditionReport,
    LinkOrigin,
    LinkStatus,
    Source,
)
from .base import CuratedAdmin, context_window, count_of, mention_context, mention_without_offset
from .importing import import_view, job_view
from .links import admin_url
from .review import (
    ArticleRowForm,
    ArticleRowsInlineMixin,
    CanPublishFormMixin,
    changed_from_saved,
    is_published,
    locked_for,
)


def touches_public(current, target):
    """Publishing or withdrawing: only a reviewer may."""
    return ArticleStatus.PUBLISHED in (current, target)


@admin.register(Source)
class SourceAdmin(CuratedAdmin):
    list_display = ["name", "slug", "homepage", "article_count"]
    search_fields = ["name", "=slug"]
    prepopulated_fields = {"slug": ["name"]}

    def changelist_queryset(self, request, queryset):
        return queryset.annotate(article_count=count_of(Article, "source"))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, source):
        return source.article_count


# --------------------------------------------------------------------------- link inlines


class LinkInline(ArticleRowsInlineMixin, admin.TabularInline):
    extra = 0


class LinkListInline(LinkInline):
    """An article's links of one type, with their status; suggested ones first."""

    template = "admin/edit_inline/tabular.html"

    def get_fields(self, request, obj=None):
        entity = self.model.entity_field
        return [entity, "status", "context_display", "confidence_display", "mention_count", "origin", "reviewed"]

    def get_readonly_fields(self, request, obj=None):
        entity = self.model.entity_field
        return [entity, "context_display", "confidence_display", "mention_count", "origin", "reviewed"]

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        first = Case(
            When(status=LinkStatus.SUGGESTED, then=Value(0)),
            When(status=LinkStatus.CONFIRMED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return (
            super()
            .get_queryset(request)
            .select_related(self.model.entity_field, "reviewed_by")
            .order_by(first, "-mention_count", "pk")
        )

    @admin.display(description="mention in context")
    def context_display(self, link):
        if link.first_offset is None:
            return mention_without_offset(link)
        window, start, more = context_window(link.article.body, link.first_offset, link.matched_text)
        return mention_context(window, start, link.first_offset, link.matched_text, truncated_end=more)

    @admin.display(description="confidence")
    def confidence_display(self, link):
        return f"{link.confidence:.2f}"

    @admin.display(description="reviewed")
    def reviewed(self, link):
        if link.reviewed_at is None:
            return "—"
        who = link.reviewed_by.get_username() if link.reviewed_by_id else "someone"
        return f"{who}, {timezone.localtime(link.reviewed_at):%d %b %Y}"


class NewLinkForm(forms.ModelForm):
    """A link an editor adds is confirmed unless they say otherwise."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].initial = LinkStatus.CONFIRMED

    def clean(self):
        # Django skips the (article, entity) constraint for inline rows: check it here.
        cleaned = super().clean()
        name = self._meta.model.entity_field
        entity = cleaned.get(name)
        links = self._meta.model.objects.filter(article_id=self.instance.article_id, **{name: entity})
        if entity is not None and self.instance.article_id and links.exists():
            self.add_error(name, f"This article is already linked to “{entity}”; change that link’s status instead.")
        return cleaned


class NewLinkInline(LinkInline):
    """Rows for adding links, with an autocomplete for the entity."""

    form = NewLinkForm

    def get_fields(self, request, obj=None):
        return [self.model.entity_field, "status"]

    def get_autocomplete_fields(self, request):
        return [self.model.entity_field]

    def get_queryset(self, request):
        return super().get_queryset(request).none()

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


def link_inlines(link_model):
    noun = link_model._meta.get_field(link_model.entity_field).verbose_name  # "drug class"
    listed = type(
        f"{link_model.__name__}Inline",
        (LinkListInline,),
        {"model": link_model, "verbose_name": f"{noun} link", "verbose_name_plural": f"{noun} links"},
    )
    adding = type(
        f"New{link_model.__name__}Inline",
        (NewLinkInline,),
        {"model": link_model, "verbose_name": f"{noun} link", "verbose_name_plural": f"add {noun} links"},
    )
    return [listed, adding]


class ArticleTrialInline(ArticleRowsInlineMixin, admin.TabularInline):
    model = ArticleTrial
    extra = 0
    fields = ["registry_id"]


# --------------------------------------------------------------------------- articles


class ArticleAdminForm(forms.ModelForm):
    """Status changes are checked against the workflow and the user's role."""

    can_publish = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The status saved now (a revert's instance carries an old one).
        pk = self.instance.pk
        self.saved = Article.objects.filter(pk=pk).first() if pk else None
        self.saved_status = self.saved.status if self.saved else ArticleStatus.DRAFT
        if "status" in self.fields:  # only the steps this user may take from here
            self.fields["status"].choices = [
                (value, label)
                for value, label in ArticleStatus.choices
                if value == self.saved_status
                or (
                    self.saved_status in services.ALLOWED_FROM[value]
                    and (self.can_publish or not touches_public(self.saved_status, value))
                )
            ]
            allowed = ", ".join(label for value, label in self.fields["status"].choices if value != self.saved_status)
            current = ArticleStatus(self.saved_status).label
            self.fields["status"].error_messages["invalid_choice"] = (
                f"A {current} article cannot become “%(value)s” here; you may choose: {allowed or 'no other status'}."
            )

    def clean(self):
        cleaned = super().clean()
        target = cleaned.get("status", self.instance.status)
        if target != self.saved_status and touches_public(self.saved_status, target) and not self.can_publish:
            raise ValidationError("Only a reviewer can publish or withdraw an article.")
        if is_published(self.saved) and not self.can_publish and changed_from_saved(self, self.saved):
            # Review can't be bypassed: what readers see of a published story changes only with a Reviewer.
            raise ValidationError(services.published_needs_reviewer(self.saved))
        if target == self.saved_status:
            return cleaned
        if target == ArticleStatus.PUBLISHED and "published" in self.fields and not cleaned.get("published"):
            # Never today by default: the editor sets the date the source published it.
            self.add_error(
                "published",
                "Set the date the source published it before publishing (a story is never dated today by default).",
            )
            return cleaned
        probe = Article(
            title=cleaned.get("title") or self.instance.title,
            status=self.saved_status,
            published=cleaned.get("published", self.instance.published),
        )
        try:
            services.check_transition(article=probe, status=target)
        except services.WorkflowError as exc:
            self.add_error("status" if "status" in self.fields else None, str(exc))
        return cleaned


class ToReviewFilter(admin.SimpleListFilter):
    title = "links"
    parameter_name = "links"

    def lookups(self, request, model_admin):
        return [("to_review", "with links to review"), ("none", "without any link")]

    def queryset(self, request, queryset):
        if self.value() == "to_review":
            return queryset.filter(self._any_link(status=LinkStatus.SUGGESTED))
        if self.value() == "none":
            return queryset.exclude(self._any_link())
        return queryset

    @staticmethod
    def _any_link(**filters):
        # EXISTS per link table (measured against IN and UNION: as fast on PostgreSQL, far faster on SQLite).
        exists = [Exists(m.objects.filter(article=OuterRef("pk"), **filters)) for m in LINK_MODELS]
        return functools.reduce(operator.or_, exists)


@admin.register(Article)
class ArticleAdmin(CanPublishFormMixin, CuratedAdmin):
    form = ArticleAdminForm
    list_display = ["title", "source", "published", "status", "to_review", "copy_of"]
    list_filter = [
        "status",
        ToReviewFilter,
        ("published", admin.DateFieldListFilter),
        "study_type",
        ("source", admin.RelatedFieldListFilter),
    ]
    search_fields = ["title", "=slug", "=source_url"]
    autocomplete_fields = ["source", "canonical"]
    prepopulated_fields = {"slug": ["title"]}
    actions = ["submit_for_review", "publish_articles", "withdraw_articles", "back_to_draft"]
    inlines = [*(inline for link_model in LINK_MODELS for inline in link_inlines(link_model)), ArticleTrialInline]
    readonly_fields = ["published_by", "status_changed_at", "imported_at", "review_queue"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        ("Source", {"fields": ["source", "source_url", "author", "published", "canonical", "imported_at"]}),
        ("Workflow", {"fields": ["status", "published_by", "status_changed_at", "review_queue"]}),
        (
            "Evidence",
            {"fields": ["study_type", "trial_phase", "participants", "journal", "doi", "regulatory_status"]},
        ),
    ]

    # -- permissions

    def has_publish_permission(self, request):
        return services.may_publish(request.user)

    def has_import_permission(self, request):
        return request.user.has_perm("articles.import_articles")

    def get_urls(self):
        importer = path(
            "import/",
            self.admin_site.admin_view(partial(import_view, self)),
            name="articles_article_import",
        )
        job = path(
            "import/jobs/<int:job_id>/",
            self.admin_site.admin_view(partial(job_view, self)),
            name="articles_article_import_job",
        )
        return [importer, job, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": self.has_import_permission(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if locked_for(request, obj):
            (name, options), *rest = fieldsets
            notice = "Published: only a Reviewer can change this article (ask one, or to have it withdrawn)."
            fieldsets = [(name, {**options, "description": notice}), *rest]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == ArticleStatus.PUBLISHED and not self.has_publish_permission(request):
            fields.append("status")  # only a reviewer may take it out of public view
        return fields

    # -- changelist

    def get_ordering(self, request):
        # Newest first, along an index either way (measured at 100k articles: a status
        # filter with ORDER BY id makes SQLite scan the whole table).
        if request.GET.get("status__exact"):
            return ["-published", "-pk"]
        return ["-pk"]

    def changelist_queryset(self, request, queryset):
        to_review = sum(
            (count_of(link_model, "article", status=LinkStatus.SUGGESTED) for link_model in LINK_MODELS),
            start=Value(0),
        )
        return (
            queryset.select_related("source", "canonical")
            .defer("body", "summary", "canonical__body", "canonical__summary")
            .annotate(to_review=to_review)
        )

    @admin.display(description="links to review", ordering="to_review")
    def to_review(self, article):
        return article.to_review or ""

    @admin.display(description="copy of")
    def copy_of(self, article):
        if article.canonical_id is None:
            return ""
        return format_html('<a href="{}">{}</a>', admin_url(article.canonical), article.canonical.title)

    @admin.display(description="review queue")
    def review_queue(self, article):
        if article.pk is None:
            return "—"
        rows = [
            format_html(
                '<a href="{}?article={}&amp;review=all">{} links</a>',
                reverse(f"admin:articles_{link_model._meta.model_name}_changelist"),
                article.pk,
                link_model._meta.get_field(link_model.entity_field).verbose_name,
            )
            for link_model in LINK_MODELS
        ]
        return format_html_join(" · ", "{}", ((row,) for row in rows))

    # -- saving: status changes go through the workflow service

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        if obj.status != form.saved_status:
            services.set_status(article=obj, status=obj.status, by=request.user)
        else:
            obj.save()

    def save_formset(self, request, form, formset, change):
        if formset.model not in LINK_MODELS:
            return super().save_formset(request, form, formset, change)
        instances = formset.save(commit=False)
        now = timezone.now()
        for link in formset.deleted_objects:
            link.delete()
        reviewed = {id(link) for link in formset.new_objects}
        reviewed |= {id(link) for link, changed in formset.changed_objects if "status" in changed}
        for link in instances:
            if link.pk is None:
                link.origin = LinkOrigin.EDITOR
            if id(link) in reviewed:
                link.reviewed_by, link.reviewed_at = request.user, now
            link.save()
        formset.save_m2m()
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and {"title", "body"} & set(form.changed_data):
            # After the inlines (they hold link rows loaded before the edit).
            services.refresh_link_mentions(article=form.instance, by=request.user)
        # New links get the article's public date (or none) like every other link.
        services.sync_link_dates(article_ids=[form.instance.pk])

    # -- workflow actions

    def _move(self, request, queryset, status, verb):
        done, refused = [], []
        for article in queryset.order_by("pk"):
            try:
                services.change_status(article=article, status=status, by=request.user)
            except (services.WorkflowError, ValidationError) as exc:
                refused.append(exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
            else:
                done.append(article)
        if done:
            noun = "article" if len(done) == 1 else "articles"
            self.message_user(request, f"{len(done)} {noun} {verb}.", messages.SUCCESS)
        if refused:
            shown = " ".join(refused[:10]) + (f" (and {len(refused) - 10} more)" if len(refused) > 10 else "")
            self.message_user(request, f"{len(refused)} not {verb}: {shown}", messages.WARNING)

    @admin.action(description="Submit selected articles for review", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._move(request, queryset, ArticleStatus.REVIEW, "submitted for review")

    @admin.action(description="Publish selected articles", permissions=["publish"])
    def publish_articles(self, request, queryset):
        self._move(request, queryset, ArticleStatus.PUBLISHED, "published")

    @admin.action(description="Withdraw selected articles", permissions=["publish"])
    def withdraw_articles(self, request, queryset):
        self._move(request, queryset, ArticleStatus.WITHDRAWN, "withdrawn")

    @admin.action(description="Send selected articles back to draft", permissions=["change"])
    def back_to_draft(self, request, queryset):
        self._move(request, queryset, ArticleStatus.DRAFT, "sent back to draft")


@admin.register(ArticleTrial)
class ArticleTrialAdmin(CanPublishFormMixin, CuratedAdmin):
    form = ArticleRowForm
    list_display = ["registry_id", "article"]
    list_select_related = ["article"]
    search_fields = ["registry_id"]
    autocomplete_fields = ["article"]

    def changelist_queryset(self, request, queryset):
        return queryset.defer("article__body", "article__summary")


@admin.register(DrugConditionReport)
class DrugConditionReportAdmin(admin.ModelAdmin):
    """An editor confirms that a story reports a drug for a condition (the drug page's "Conditions
    it is reported for"); the machine's rows come from one sentence naming both and are
    recomputed when the story's text changes."""

    list_display = ["drug", "condition", "article", "origin"]
    list_filter = ["origin"]
    list_select_related = ["drug", "condition", "article"]
    autocomplete_fields = ["article", "drug", "condition"]
    readonly_fields = ["origin"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("article__body", "article__summary")
