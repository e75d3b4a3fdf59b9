"""The editors' workplace. Every foreign key to a big table is an autocomplete."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleInstitution,
    ArticleTrial,
    Condition,
    ConditionAlias,
    ConditionTreeNumber,
    Drug,
    DrugAlias,
    EntityRedirect,
    Institution,
    InstitutionAlias,
    Source,
)


@admin.register(Source)
class SourceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "slug", "homepage"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class LinkInline(admin.TabularInline):
    extra = 0
    fields = ["status", "origin", "confidence", "matched_text", "mention_count", "in_title"]
    readonly_fields = ["origin", "matched_text", "mention_count", "in_title"]
    show_change_link = False


class ArticleConditionInline(LinkInline):
    model = ArticleCondition
    autocomplete_fields = ["condition"]
    fields = ["condition", *LinkInline.fields]


class ArticleDrugInline(LinkInline):
    model = ArticleDrug
    autocomplete_fields = ["drug"]
    fields = ["drug", *LinkInline.fields]


class ArticleInstitutionInline(LinkInline):
    model = ArticleInstitution
    autocomplete_fields = ["institution"]
    fields = ["institution", *LinkInline.fields]


class ArticleTrialInline(admin.TabularInline):
    model = ArticleTrial
    extra = 0


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ["title", "source", "published", "status", "canonical"]
    list_filter = ["status", "study_type", "source"]
    list_select_related = ["source", "canonical"]
    search_fields = ["title", "source_url"]
    date_hierarchy = "published"
    autocomplete_fields = ["source", "canonical"]
    prepopulated_fields = {"slug": ["title"]}
    show_full_result_count = False
    inlines = [ArticleConditionInline, ArticleDrugInline, ArticleInstitutionInline, ArticleTrialInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        ("Source", {"fields": ["source", "source_url", "author", "published", "canonical"]}),
        ("Workflow", {"fields": ["status"]}),
        (
            "Evidence",
            {"fields": ["study_type", "trial_phase", "participants", "journal", "doi", "regulatory_status"]},
        ),
    ]


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


class TreeNumberInline(admin.TabularInline):
    model = ConditionTreeNumber
    extra = 0
    fields = ["number"]


class EntityAdmin(SimpleHistoryAdmin):
    search_fields = ["name", "aliases__normalized"]
    prepopulated_fields = {"slug": ["name"]}
    show_full_result_count = False
    list_filter = ["origin"]


@admin.register(Condition)
class ConditionAdmin(EntityAdmin):
    list_display = ["name", "mesh_id", "origin"]
    search_fields = ["name", "mesh_id", "aliases__normalized"]
    inlines = [ConditionAliasInline, TreeNumberInline]


@admin.register(Drug)
class DrugAdmin(EntityAdmin):
    list_display = ["name", "drugbank_id", "medlineplus_id", "drug_class", "origin"]
    search_fields = ["name", "drugbank_id", "aliases__normalized"]
    inlines = [DrugAliasInline]


@admin.register(Institution)
class InstitutionAdmin(EntityAdmin):
    list_display = ["name", "kind", "country", "origin"]
    list_filter = ["kind", "origin"]
    inlines = [InstitutionAliasInline]


class AliasAdmin(SimpleHistoryAdmin):
    list_display = ["text", "kind", "is_brand", "match_case", "is_ambiguous", "origin"]
    list_filter = ["kind", "is_brand", "is_ambiguous", "origin"]
    search_fields = ["normalized"]
    show_full_result_count = False


@admin.register(ConditionAlias)
class ConditionAliasAdmin(AliasAdmin):
    list_display = [*AliasAdmin.list_display, "condition"]
    list_select_related = ["condition"]
    autocomplete_fields = ["condition"]


@admin.register(DrugAlias)
class DrugAliasAdmin(AliasAdmin):
    list_display = [*AliasAdmin.list_display, "drug"]
    list_select_related = ["drug"]
    autocomplete_fields = ["drug"]


@admin.register(InstitutionAlias)
class InstitutionAliasAdmin(AliasAdmin):
    list_display = [*AliasAdmin.list_display, "institution"]
    list_select_related = ["institution"]
    autocomplete_fields = ["institution"]


class LinkAdmin(SimpleHistoryAdmin):
    list_display = ["article", "status", "origin", "confidence", "matched_text", "mention_count"]
    list_filter = ["status", "origin"]
    search_fields = ["article__title", "matched_text"]
    autocomplete_fields = ["article"]
    show_full_result_count = False


@admin.register(ArticleCondition)
class ArticleConditionAdmin(LinkAdmin):
    list_display = [*LinkAdmin.list_display, "condition"]
    list_select_related = ["article", "condition"]
    autocomplete_fields = ["article", "condition"]


@admin.register(ArticleDrug)
class ArticleDrugAdmin(LinkAdmin):
    list_display = [*LinkAdmin.list_display, "drug"]
    list_select_related = ["article", "drug"]
    autocomplete_fields = ["article", "drug"]


@admin.register(ArticleInstitution)
class ArticleInstitutionAdmin(LinkAdmin):
    list_display = [*LinkAdmin.list_display, "institution"]
    list_select_related = ["article", "institution"]
    autocomplete_fields = ["article", "institution"]


@admin.register(ConditionTreeNumber)
class ConditionTreeNumberAdmin(admin.ModelAdmin):
    list_display = ["number", "condition", "parent_number"]
    list_select_related = ["condition"]
    search_fields = ["number"]
    autocomplete_fields = ["condition"]


@admin.register(ArticleTrial)
class ArticleTrialAdmin(admin.ModelAdmin):
    list_display = ["registry_id", "article"]
    list_select_related = ["article"]
    search_fields = ["registry_id"]
    autocomplete_fields = ["article"]


@admin.register(EntityRedirect)
class EntityRedirectAdmin(admin.ModelAdmin):
    list_display = ["entity_type", "old_slug", "old_name", "target_id", "created_at"]
    list_filter = ["entity_type"]
    search_fields = ["old_slug", "old_name"]
