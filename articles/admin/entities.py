"""Conditions, drugs, institutions and drug classes: found by any of their names, counted, merged
(drug classes are edited, not merged)."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Length
from django.http import HttpResponseRedirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .. import services
from ..models import (
    ALIAS_MODELS,
    PUBLIC_LINK_STATUSES,
    Condition,
    ConditionAlias,
    ConditionTreeNumber,
    Drug,
    DrugAlias,
    DrugClass,
    DrugClassAlias,
    DrugClassMember,
    EntityRedirect,
    Institution,
    InstitutionAlias,
    LinkStatus,
)
from ..text import normalize
from .base import CuratedAdmin, count_of
from .links import admin_url

MAX_MERGE = 20  # entities in one merge


def link_model_of(model):
    return model._meta.get_field("article_links").related_model


# --------------------------------------------------------------------------- inlines


class AliasInline(admin.TabularInline):
    extra = 1
    fields = ["text", "kind", "is_brand", "match_case", "is_ambiguous", "origin"]
    readonly_fields = ["origin"]


class ConditionAliasInline(AliasInline):
    model = ConditionAlias


class DrugAliasInline(AliasInline):
    model = DrugAlias


class InstitutionAliasInline(AliasInline):
    model = InstitutionAlias


class DrugClassAliasInline(AliasInline):
    model = DrugClassAlias
    fields = ["text", "kind", "match_case", "is_ambiguous", "origin"]


class DrugClassMemberInline(admin.TabularInline):
    model = DrugClassMember
    extra = 1
    fields = ["drug", "origin"]
    readonly_fields = ["origin"]
    autocomplete_fields = ["drug"]
    verbose_name = "member drug"
    verbose_name_plural = "member drugs"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("drug")


class TreeNumberInline(admin.TabularInline):
    model = ConditionTreeNumber
    extra = 0
    fields = ["number", "parent_number"]
    readonly_fields = ["parent_number"]


# --------------------------------------------------------------------------- filters


class ArticlesFilter(admin.SimpleListFilter):
    title = "articles"
    parameter_name = "articles"

    def lookups(self, request, model_admin):
        return [
            ("yes", "with public articles"),
            ("no", "without public articles"),
            ("to_review", "with links to review"),
        ]

    def queryset(self, request, queryset):
        link_model = link_model_of(queryset.model)
        links = link_model.objects.filter(**{link_model.entity_field: OuterRef("pk")})
        if self.value() == "yes":
            return queryset.filter(Exists(links.public()))
        if self.value() == "no":
            return queryset.exclude(Exists(links.public()))
        if self.value() == "to_review":
            return queryset.filter(Exists(links.suggested()))
        return queryset


class MeshBranchFilter(admin.SimpleListFilter):
    """The top of the MeSH tree: C04 Neoplasms, C10 Nervous System Diseases, F03 ..."""

    title = "MeSH branch"
    parameter_name = "branch"

    def lookups(self, request, model_admin):
        tops = ConditionTreeNumber.objects.filter(parent_number="").select_related("condition").order_by("number")
        return [(top.number, f"{top.number} {top.condition.name}") for top in tops]

    def queryset(self, request, queryset):
        branch = self.value()
        if branch is None:
            return queryset
        if "." in branch or not ConditionTreeNumber.is_valid(branch):
            raise IncorrectLookupParameters(f"{branch!r} is not a top-level MeSH tree number such as C04.")
        numbers = ConditionTreeNumber.objects.filter(Q(number=branch) | ConditionTreeNumber.below_q([branch]))
        return queryset.filter(Exists(numbers.filter(condition=OuterRef("pk"))))


# --------------------------------------------------------------------------- entities


class EntityAdmin(CuratedAdmin):
    """Shared by the three entity admins: search by any alias, counts, merge."""

    id_fields = ()  # searched exactly, e.g. "D000506"
    search_fields = ["name"]  # for the search box and autocomplete; see get_search_results
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]
    actions = ["merge_selected"]
    readonly_fields = ["vocabulary_key", "links_summary", "created_at", "updated_at"]

    # Which text the public sees and which it never does (the model's fields carry no help).
    FIELD_HELP = {
        "description": ("Public description", "Public: shown on the site's page and in the API."),
        "notes": ("Internal notes", "Internal: for editors only; never shown on the site or in the API."),
    }

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and db_field.name in self.FIELD_HELP:
            field.label, field.help_text = self.FIELD_HELP[db_field.name]
        return field

    # -- search: the term is normalised like every alias, so "Jakafi", "JAKAFI" and
    # "jakafi®" find ruxolitinib; identifiers match exactly.

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        alias_model = ALIAS_MODELS[self.model]
        key = normalize(term)
        match = Q(name__icontains=term)
        if key:
            aliases = alias_model.objects.filter(normalized__contains=key).values(alias_model.entity_field)
            match |= Q(pk__in=aliases)
        for name in self.id_fields:
            match |= Q(**{f"{name}__iexact": term})
        return queryset.filter(match).order_by(*self.relevance(term)), False

    def relevance(self, term):
        """Best matches first: the name itself, then an alias, then a name or alias starting so."""
        alias_model = ALIAS_MODELS[self.model]
        key = normalize(term)
        field = alias_model.entity_field
        exact = alias_model.objects.filter(normalized=key).values(field)
        prefix = alias_model.objects.filter(normalized__startswith=key).values(field)
        rank = Case(
            When(name__iexact=term, then=Value(0)),
            When(pk__in=exact, then=Value(1)),
            When(Q(name__istartswith=term) | Q(pk__in=prefix), then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
        return [rank.asc(), Length("name").asc(), "name", "pk"]

    # -- changelist

    def get_list_display(self, request):
        return ["name", *self.id_fields, *self.extra_columns, "article_count", "to_review", "origin"]

    extra_columns = ()

    def changelist_queryset(self, request, queryset):
        link_model = link_model_of(self.model)
        field = link_model.entity_field
        queryset = queryset.annotate(
            article_count=count_of(
                link_model, field, published__isnull=False, status__in=[s.value for s in PUBLIC_LINK_STATUSES]
            ),
            to_review=count_of(link_model, field, status=LinkStatus.SUGGESTED),
        )
        return queryset

    def get_ordering(self, request):
        term = request.GET.get("q", "").strip()
        if term and "o" not in request.GET:  # searching, no column chosen: best match first
            return self.relevance(term)
        return super().get_ordering(request)

    @admin.display(description="public articles", ordering="article_count")
    def article_count(self, entity):
        return entity.article_count

    @admin.display(description="links to review", ordering="to_review")
    def to_review(self, entity):
        if not entity.to_review:
            return ""
        return format_html('<a href="{}">{}</a>', self.review_url(entity), entity.to_review)

    def review_url(self, entity, review=LinkStatus.SUGGESTED):
        link_model = link_model_of(self.model)
        url = reverse(f"admin:articles_{link_model._meta.model_name}_changelist")
        return f"{url}?{urlencode({link_model.entity_field: entity.pk, 'review': review})}"

    @admin.display(description="links")
    def links_summary(self, entity):
        if entity.pk is None:
            return "—"
        link_model = link_model_of(self.model)
        links = link_model.objects.filter(**{link_model.entity_field: entity})
        public, pending = links.public().count(), links.suggested().count()
        return format_html(
            '{} public article{} · <a href="{}">{} link{} to review</a> · <a href="{}">all links</a>',
            public,
            pluralize(public),
            self.review_url(entity),
            pending,
            pluralize(pending),
            self.review_url(entity, "all"),
        )

    def save_model(self, request, obj, form, change):
        old_slug = form.initial.get("slug") if change else None
        super().save_model(request, obj, form, change)
        if old_slug and old_slug != obj.slug:
            # Readers' bookmarks keep working after a rename.
            EntityRedirect.objects.update_or_create(
                entity_type=self.model._meta.model_name,
                old_slug=old_slug,
                defaults={"old_name": form.initial.get("name", "")[:255], "target_id": obj.pk},
            )

    # -- merge

    def has_merge_permission(self, request):
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.merge_{opts.model_name}")

    def get_urls(self):
        opts = self.model._meta
        merge = path(
            "merge/",
            self.admin_site.admin_view(self.merge_view),
            name=f"{opts.app_label}_{opts.model_name}_merge",
        )
        return [merge, *super().get_urls()]

    def merge_url(self):
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_merge")

    @admin.action(description="Merge selected %(verbose_name_plural)s…", permissions=["merge"])
    def merge_selected(self, request, queryset):
        ids = list(queryset.order_by().values_list("pk", flat=True)[: MAX_MERGE + 1])
        problem = self._merge_count_problem(len(ids))
        if problem:
            self.message_user(request, problem, messages.ERROR)
            return None
        return HttpResponseRedirect(f"{self.merge_url()}?{urlencode([('ids', pk) for pk in ids])}")

    def _merge_count_problem(self, count):
        plural = self.model._meta.verbose_name_plural
        if count < 2:
            return f"Select at least two {plural} to merge."
        if count > MAX_MERGE:
            return f"Merge at most {MAX_MERGE} {plural} at a time."
        return None

    def merge_view(self, request):
        """Choose the survivor, preview what will change, confirm (POST) to merge."""
        if not self.has_merge_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        data = request.POST if request.method == "POST" else request.GET
        try:
            ids = sorted({int(value) for value in data.getlist("ids")})
        except ValueError:
            self.message_user(request, "The selection is not a list of ids; select again.", messages.ERROR)
            return HttpResponseRedirect(changelist)
        problem = self._merge_count_problem(len(ids))
        link_model, alias_model = link_model_of(self.model), ALIAS_MODELS[self.model]
        entities = list(
            self.model.objects.filter(pk__in=ids)
            .annotate(
                link_count=count_of(link_model, link_model.entity_field),
                alias_count=count_of(alias_model, alias_model.entity_field),
            )
            .order_by("name", "pk")
        )
        if not problem and len(entities) < len(ids):
            gone = len(ids) - len(entities)
            problem = f"{gone} of the selected {opts.verbose_name_plural} no longer exist; select again."
        if problem:
            self.message_user(request, problem, messages.ERROR)
            return HttpResponseRedirect(changelist)

        by_pk = {entity.pk: entity for entity in entities}
        try:
            survivor = by_pk.get(int(data.get("survivor", "")))
        except ValueError:
            survivor = None
        if survivor is None:  # default: the best-linked, a vocabulary entity before an editor's
            survivor = max(entities, key=lambda e: (e.link_count, bool(e.vocabulary_key), -e.pk))
        others = [entity for entity in entities if entity.pk != survivor.pk]

        if request.method == "POST":
            try:
                plan = services.merge_entities(survivor=survivor, others=others, by=request.user)
            except services.MergeError as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return HttpResponseRedirect(changelist)
            self.log_change(request, survivor, plan.summary())
            self.message_user(request, plan.summary(), messages.SUCCESS)
            return HttpResponseRedirect(admin_url(survivor))

        plan = services.plan_merge(survivor=survivor, others=others)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {opts.verbose_name_plural}",
            "opts": opts,
            "entities": entities,
            "survivor": survivor,
            "plan": plan,
            "ids": ids,
            "is_condition": self.model is Condition,
            "dropped_ids": [
                (name, getattr(other, name), other)
                for other in others
                for name in self.id_fields
                if getattr(other, name) and getattr(survivor, name) and getattr(other, name) != getattr(survivor, name)
            ],
            "preview_limit": 25,
        }
        return TemplateResponse(request, "admin/articles/merge.html", context)


@admin.register(Condition)
class ConditionAdmin(EntityAdmin):
    id_fields = ("mesh_id",)
    list_filter = [ArticlesFilter, MeshBranchFilter, "origin"]
    inlines = [ConditionAliasInline, TreeNumberInline]


@admin.register(Drug)
class DrugAdmin(EntityAdmin):
    id_fields = ("drugbank_id",)
    extra_columns = ("drug_class",)
    list_filter = [ArticlesFilter, "origin"]
    inlines = [DrugAliasInline]
    autocomplete_fields = ["ingredients"]  # a combination's ingredients, picked by name among 20k drugs


@admin.register(DrugClass)
class DrugClassAdmin(EntityAdmin):
    """A class: its names, its broader class and its member drugs (added by name, found by any alias)."""

    actions = []  # classes are few and curated: edited, not merged
    extra_columns = ("parent", "member_count")
    list_filter = [ArticlesFilter, "origin"]
    autocomplete_fields = ["parent"]
    inlines = [DrugClassAliasInline, DrugClassMemberInline]

    def changelist_queryset(self, request, queryset):
        return (
            super()
            .changelist_queryset(request, queryset)
            .annotate(member_count=count_of(DrugClassMember, "drug_class"))
            .select_related("parent")
        )

    @admin.display(description="drugs", ordering="member_count")
    def member_count(self, drug_class):
        return drug_class.member_count


@admin.register(Institution)
class InstitutionAdmin(EntityAdmin):
    id_fields = ("ror_id",)
    extra_columns = ("kind", "country")
    list_filter = [ArticlesFilter, "kind", "origin"]
    inlines = [InstitutionAliasInline]


# --------------------------------------------------------------------------- aliases, tree numbers


class AliasAdmin(CuratedAdmin):
    list_filter = ["kind", "is_brand", "is_ambiguous", "origin"]
    search_fields = ["normalized"]
    readonly_fields = ["normalized", "origin"]

    def get_list_display(self, request):
        return ["text", self.model.entity_field, "kind", "is_brand", "match_case", "is_ambiguous", "origin"]

    def get_autocomplete_fields(self, request):
        return [self.model.entity_field]

    def changelist_queryset(self, request, queryset):
        return queryset.select_related(self.model.entity_field)

    def get_search_results(self, request, queryset, search_term):
        key = normalize(search_term)
        if not key:
            return queryset, False
        return queryset.filter(normalized__contains=key), False


@admin.register(ConditionAlias)
class ConditionAliasAdmin(AliasAdmin):
    pass


@admin.register(DrugAlias)
class DrugAliasAdmin(AliasAdmin):
    pass


@admin.register(InstitutionAlias)
class InstitutionAliasAdmin(AliasAdmin):
    pass


@admin.register(DrugClassAlias)
class DrugClassAliasAdmin(AliasAdmin):
    pass


@admin.register(ConditionTreeNumber)
class ConditionTreeNumberAdmin(CuratedAdmin):
    list_display = ["number", "condition", "parent_number"]
    search_fields = ["number"]
    autocomplete_fields = ["condition"]
    ordering = ["number"]

    def changelist_queryset(self, request, queryset):
        return queryset.select_related("condition")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().upper()
        if not term:
            return queryset, False
        return queryset.filter(number__startswith=term), False


@admin.register(EntityRedirect)
class EntityRedirectAdmin(admin.ModelAdmin):
    """Written by merges and renames; read here."""

    list_display = ["old_slug", "entity_type", "old_name", "vocabulary_key", "target", "created_at"]
    list_filter = ["entity_type"]
    search_fields = ["old_slug", "old_name", "vocabulary_key"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="now at")
    def target(self, redirect):
        model = {"condition": Condition, "drug": Drug, "institution": Institution, "drugclass": DrugClass}[
            redirect.entity_type
        ]
        url = reverse(f"admin:articles_{model._meta.model_name}_change", args=[redirect.target_id])
        return format_html('<a href="{}">{} #{}</a>', url, model._meta.verbose_name, redirect.target_id)
