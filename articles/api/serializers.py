"""JSON shapes of the public API (DESIGN.md, "Public interface").

Article objects: slug, title, url, source_url, source, published, summary, drugs,
conditions, institutions (links a reader may see: not rejected; "suggested" marks a
link no editor has checked); detail adds body, evidence, canonical and copies;
search results add snippet (HTML: escaped text with <mark>) and why.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Article, Condition, Drug, DrugClass, Institution


class LinkedDrugSerializer(serializers.Serializer):
    name = serializers.CharField(source="drug.name")
    slug = serializers.CharField(source="drug.slug")
    drugbank_id = serializers.CharField(source="drug.drugbank_id", allow_null=True)
    suggested = serializers.BooleanField(source="is_machine_suggested")


class LinkedConditionSerializer(serializers.Serializer):
    name = serializers.CharField(source="condition.name")
    slug = serializers.CharField(source="condition.slug")
    mesh_id = serializers.CharField(source="condition.mesh_id", allow_null=True)
    suggested = serializers.BooleanField(source="is_machine_suggested")


class LinkedInstitutionSerializer(serializers.Serializer):
    name = serializers.CharField(source="institution.name")
    slug = serializers.CharField(source="institution.slug")
    suggested = serializers.BooleanField(source="is_machine_suggested")


class AbsoluteUrlField(serializers.Field):
    """The absolute URL of the object's public page."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj):
        url = obj.get_absolute_url()
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


extend_schema_field({"type": "string", "format": "uri"})(AbsoluteUrlField)


class ArticleSerializer(serializers.ModelSerializer):
    url = AbsoluteUrlField()
    source = serializers.CharField(source="source.name", default=None, allow_null=True)
    source_slug = serializers.CharField(source="source.slug", default=None, allow_null=True)
    drugs = LinkedDrugSerializer(source="public_drug_links", many=True, read_only=True)
    conditions = LinkedConditionSerializer(source="public_condition_links", many=True, read_only=True)
    institutions = LinkedInstitutionSerializer(source="public_institution_links", many=True, read_only=True)

    class Meta:
        model = Article
        fields = [
            "slug",
            "title",
            "url",
            "source_url",
            "source",
            "source_slug",
            "published",
            "summary",
            "drugs",
            "conditions",
            "institutions",
        ]


class EvidenceSerializer(serializers.Serializer):
    study_type = serializers.CharField(allow_null=True)
    participants = serializers.IntegerField(allow_null=True)
    journal = serializers.CharField(allow_null=True)
    trial_ids = serializers.ListField(child=serializers.CharField())
    doi = serializers.CharField(allow_null=True)
    pmid = serializers.CharField(
        allow_null=True, help_text="The study's PubMed id (https://pubmed.ncbi.nlm.nih.gov/<pmid>/)."
    )


class CopySerializer(serializers.Serializer):
    slug = serializers.CharField()
    source = serializers.CharField(source="source.name", default=None, allow_null=True)


class ArticleDetailSerializer(ArticleSerializer):
    evidence = serializers.SerializerMethodField()
    canonical = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The original's slug when this is a syndicated copy, else null.",
    )
    copies = CopySerializer(many=True, read_only=True)

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body", "evidence", "canonical", "copies"]

    @extend_schema_field(EvidenceSerializer)
    def get_evidence(self, article):
        return {
            "study_type": article.study_type or None,
            "participants": article.participants,
            "journal": article.journal or None,
            "trial_ids": [trial.registry_id for trial in article.trials.all()],
            "doi": article.doi or None,
            "pmid": article.pmid or None,
        }


class SearchHitSerializer(ArticleSerializer):
    snippet = serializers.CharField(help_text="HTML: the text around the match, escaped, matched words in <mark>.")
    why = serializers.CharField(help_text="Why this article matched, in words.")
    score = serializers.FloatField()
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="The parts of the query (as typed) this article does not match; empty when it matches all.",
    )

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "snippet", "why", "score", "missing"]

    def to_representation(self, hit):
        if not hasattr(self, "_article_serializer"):
            self._article_serializer = ArticleSerializer(context=self.context)
        data = self._article_serializer.to_representation(hit.article)
        data["snippet"] = str(hit.snippet)
        data["why"] = hit.why
        data["score"] = round(hit.score, 4)
        data["missing"] = list(hit.missing)
        return data


# --------------------------------------------------------------------------- entities


class AliasSerializer(serializers.Serializer):
    text = serializers.CharField()
    kind = serializers.CharField()
    is_brand = serializers.BooleanField()


class EntitySerializer(serializers.ModelSerializer):
    url = AbsoluteUrlField()
    article_count = serializers.IntegerField(read_only=True, help_text="Published articles linked (not rejected).")


class DrugSerializer(EntitySerializer):
    class Meta:
        model = Drug
        fields = ["name", "slug", "url", "drugbank_id", "medlineplus_id", "drug_class", "article_count"]


class ConditionSerializer(EntitySerializer):
    class Meta:
        model = Condition
        fields = ["name", "slug", "url", "mesh_id", "article_count"]


class InstitutionSerializer(EntitySerializer):
    class Meta:
        model = Institution
        fields = ["name", "slug", "url", "kind", "country", "ror_id", "homepage", "article_count"]


class EntityDetailMixin(serializers.Serializer):
    aliases = serializers.SerializerMethodField()
    brand_names = serializers.SerializerMethodField()

    @extend_schema_field(AliasSerializer(many=True))
    def get_aliases(self, entity):
        return [{"text": a.text, "kind": a.kind, "is_brand": a.is_brand} for a in entity.other_names()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_brand_names(self, entity):
        return [a.text for a in entity.other_names() if a.is_brand]


class DrugRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Drug
        fields = ["name", "slug", "drugbank_id"]


class DrugClassRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = DrugClass
        fields = ["name", "slug"]


class DrugDetailSerializer(EntityDetailMixin, DrugSerializer):
    ingredients = DrugRefSerializer(
        many=True, read_only=True, help_text="A combination product's active ingredients (empty for a single drug)."
    )
    contained_in = DrugRefSerializer(
        many=True, read_only=True, help_text="Combination products that contain this drug."
    )
    classes = DrugClassRefSerializer(many=True, read_only=True, help_text="The drug classes it belongs to.")

    class Meta(DrugSerializer.Meta):
        fields = [
            *DrugSerializer.Meta.fields,
            "description",
            "aliases",
            "brand_names",
            "ingredients",
            "contained_in",
            "classes",
        ]


class ConditionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Condition
        fields = ["name", "slug", "mesh_id"]


class ConditionDetailSerializer(EntityDetailMixin, ConditionSerializer):
    tree_numbers = serializers.SerializerMethodField()
    parents = ConditionRefSerializer(many=True, read_only=True)
    children = ConditionRefSerializer(many=True, read_only=True)

    class Meta(ConditionSerializer.Meta):
        fields = [*ConditionSerializer.Meta.fields, "description", "tree_numbers", "parents", "children", "aliases"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_tree_numbers(self, condition):
        return condition.tree_number_list()


class InstitutionDetailSerializer(EntityDetailMixin, InstitutionSerializer):
    class Meta(InstitutionSerializer.Meta):
        fields = [*InstitutionSerializer.Meta.fields, "description", "aliases"]


# --------------------------------------------------------------------------- drug classes


class DrugClassSerializer(EntitySerializer):
    parent = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Slug of the broader class, if any."
    )
    member_count = serializers.IntegerField(read_only=True, help_text="Drugs in the class.")
    article_count = serializers.IntegerField(read_only=True, help_text="Published articles that name the class.")

    class Meta:
        model = DrugClass
        fields = ["name", "slug", "url", "parent", "member_count", "article_count"]


class DrugClassMemberSerializer(serializers.ModelSerializer):
    url = AbsoluteUrlField()

    class Meta:
        model = Drug
        fields = ["name", "slug", "url", "drugbank_id"]


class ClassAliasSerializer(serializers.Serializer):
    text = serializers.CharField()
    kind = serializers.CharField()


class DrugClassDetailSerializer(DrugClassSerializer):
    children = DrugClassRefSerializer(many=True, read_only=True, help_text="Narrower classes.")
    members = DrugClassMemberSerializer(many=True, read_only=True, help_text="The drugs in the class, A–Z.")
    aliases = serializers.SerializerMethodField()

    class Meta(DrugClassSerializer.Meta):
        fields = [*DrugClassSerializer.Meta.fields, "description", "children", "members", "aliases"]

    @extend_schema_field(ClassAliasSerializer(many=True))
    def get_aliases(self, drug_class):
        """Other names news uses for the class (words that are also something else left out)."""
        return [{"text": a.text, "kind": a.kind} for a in drug_class.other_names() if not a.is_ambiguous]


# --------------------------------------------------------------------------- search


class MatchedEntitySerializer(serializers.Serializer):
    """An entity the query named (an entity card)."""

    type = serializers.CharField(source="kind")
    name = serializers.CharField(source="entity.name")
    slug = serializers.CharField(source="entity.slug")
    url = serializers.SerializerMethodField()
    drugbank_id = serializers.CharField(source="entity.drugbank_id", default=None, allow_null=True)
    mesh_id = serializers.CharField(source="entity.mesh_id", default=None, allow_null=True)
    you_searched = serializers.CharField(source="match.typed")
    matched_name = serializers.CharField(source="match.alias")
    matched_name_kind = serializers.CharField(source="match.alias_kind")
    is_brand = serializers.BooleanField(source="match.is_brand")
    typo_corrected = serializers.BooleanField(source="match.fuzzy")
    explanation = serializers.CharField(source="note", allow_null=True)
    article_count = serializers.IntegerField()
    brand_names = serializers.ListField(child=serializers.CharField())
    narrower = serializers.SerializerMethodField(help_text="Narrower conditions whose articles are included.")

    def get_url(self, card) -> str:
        request = self.context.get("request")
        url = card.entity.get_absolute_url()
        return request.build_absolute_uri(url) if request else url

    members = serializers.SerializerMethodField(help_text="A drug class's member drugs, whose articles are included.")
    narrower_classes = serializers.SerializerMethodField(
        help_text="The classes below a drug class, whose articles are included."
    )

    @extend_schema_field(ConditionRefSerializer(many=True))
    def get_narrower(self, card):
        return [{"name": name, "slug": slug} for _, name, slug in card.narrower]

    @extend_schema_field(DrugRefSerializer(many=True))
    def get_members(self, card):
        return [{"name": name, "slug": slug} for _, name, slug in card.members]

    @extend_schema_field(DrugClassRefSerializer(many=True))
    def get_narrower_classes(self, card):
        return [{"name": name, "slug": slug} for _, name, slug in card.subclasses]


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The value of the filter parameter (a slug, or a year).")
    name = serializers.CharField(source="label")
    count = serializers.IntegerField()
    selected = serializers.BooleanField()


class FacetsSerializer(serializers.Serializer):
    conditions = FacetValueSerializer(source="condition", many=True)
    drugs = FacetValueSerializer(source="drug", many=True)
    institutions = FacetValueSerializer(source="institution", many=True)
    sources = FacetValueSerializer(source="source", many=True)
    years = FacetValueSerializer(source="year", many=True)


class MatchedSerializer(serializers.Serializer):
    drugs = MatchedEntitySerializer(many=True)
    conditions = MatchedEntitySerializer(many=True)
    institutions = MatchedEntitySerializer(many=True)
    drug_classes = MatchedEntitySerializer(many=True)


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    count = serializers.IntegerField()
    count_capped = serializers.BooleanField(
        help_text="True when more articles match than were counted (a very large result): count is a lower bound."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    results = SearchHitSerializer(source="hits", many=True)
    matched = MatchedSerializer()
    suggestion = serializers.CharField(allow_null=True, help_text="The query with typos corrected, if any.")
    corrected = serializers.BooleanField(help_text="Whether the results are for the suggestion.")
    notes = serializers.ListField(child=serializers.CharField())
    facets = FacetsSerializer()
    facets_as_of = serializers.DateTimeField(
        allow_null=True, help_text="When precomputed facet counts were taken; null when counted live."
    )


class AutocompleteItemSerializer(serializers.Serializer):
    type = serializers.CharField(source="kind")
    name = serializers.CharField()
    slug = serializers.CharField()
    url = serializers.SerializerMethodField()
    label = serializers.CharField(help_text="What to show: 'Jakafi → Ruxolitinib' for another name.")
    search = serializers.CharField(source="alias", help_text="The name that matched; what to search for.")
    matched_name_kind = serializers.CharField(source="alias_kind")
    is_brand = serializers.BooleanField()
    article_count = serializers.IntegerField()
    article_count_capped = serializers.BooleanField(source="count_capped")

    def get_url(self, suggestion) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(suggestion.url) if request else suggestion.url


class AutocompleteResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    results = AutocompleteItemSerializer(many=True)
