"""Read-only JSON API: articles, entities, search, autocomplete (OpenAPI at /api/schema/).

Lists are DRF pages ({"count", "next", "previous", "results"}) of at most 100 items;
every list and detail runs a fixed number of queries, whatever the page holds.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import rows
from ..filters import ArticleFilter
from ..models import Article, Condition, Drug, DrugClass, Institution
from ..redirects import to_survivor
from ..search import autocomplete, service
from . import serializers
from .pagination import ArticlePagination, positive_page


class ArticleList(generics.ListAPIView):
    """Published articles, newest first; filter with q, condition, drug, institution, source, dates."""

    queryset = Article.objects.published().listing()
    serializer_class = serializers.ArticleSerializer
    filterset_class = ArticleFilter

    def paginate_queryset(self, queryset):
        """The page's ids, then its articles read as the HTML lists read theirs (``rows``)."""
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True))
        return None if ids is None else rows.page_articles(ids, body=False)


class ArticleDetail(generics.RetrieveAPIView):
    """One published article with its body, evidence facts and syndicated copies."""

    lookup_field = "slug"
    serializer_class = serializers.ArticleDetailSerializer
    queryset = (
        Article.objects.published()
        .select_related("source", "canonical")
        .prefetch_related(
            "trials",
            Prefetch("copies", queryset=Article.objects.published().select_related("source").only("slug", "source")),
        )
        .with_public_links()
    )


def _with_article_count(model):
    """Entities A–Z with their public article count (the entity querysets' one definition)."""
    return model.objects.with_article_count().order_by("name", "pk")


def _with_aliases(queryset):
    alias_model = queryset.model.aliases.rel.related_model
    return queryset.prefetch_related(
        Prefetch("aliases", queryset=alias_model.objects.order_by("-is_brand", "kind", "text"))
    )


class DrugList(generics.ListAPIView):
    """Every drug in the vocabulary, A–Z, with its number of published articles."""

    queryset = _with_article_count(Drug)
    serializer_class = serializers.DrugSerializer


class MergedRedirectMixin:
    """A merged-away entity's old slug answers 301 with the survivor's address."""

    def retrieve(self, request, *args, **kwargs):
        try:
            return super().retrieve(request, *args, **kwargs)
        except Http404:
            return to_survivor(request, self.queryset.model, kwargs["slug"])


class DrugDetail(MergedRedirectMixin, generics.RetrieveAPIView):
    """A drug with its other names (brands first) and article count."""

    lookup_field = "slug"
    queryset = _with_aliases(_with_article_count(Drug)).prefetch_related(
        Prefetch("ingredients", queryset=Drug.objects.order_by("name")),
        Prefetch("contained_in", queryset=Drug.objects.order_by("name")),
        Prefetch("classes", queryset=DrugClass.objects.order_by("name")),
    )
    serializer_class = serializers.DrugDetailSerializer


class ConditionList(generics.ListAPIView):
    """Every condition (MeSH), A–Z, with its number of published articles."""

    queryset = _with_article_count(Condition)
    serializer_class = serializers.ConditionSerializer


class ConditionDetail(MergedRedirectMixin, generics.RetrieveAPIView):
    """A condition with its MeSH tree numbers, parents, children and other names."""

    lookup_field = "slug"
    queryset = _with_aliases(_with_article_count(Condition)).prefetch_related("tree_numbers")
    serializer_class = serializers.ConditionDetailSerializer


class InstitutionList(generics.ListAPIView):
    """Every institution news cites, A–Z, with its number of published articles."""

    queryset = _with_article_count(Institution)
    serializer_class = serializers.InstitutionSerializer


class InstitutionDetail(MergedRedirectMixin, generics.RetrieveAPIView):
    """An institution with its other names and article count."""

    lookup_field = "slug"
    queryset = _with_aliases(_with_article_count(Institution))
    serializer_class = serializers.InstitutionDetailSerializer


class DrugClassList(generics.ListAPIView):
    """Every drug class, A–Z, with its parent, number of drugs and number of published articles that name it."""

    queryset = (
        DrugClass.objects.with_article_count()
        .with_member_count()
        .select_related("parent")
        .defer("description", "parent__description")
        .order_by("name", "pk")
    )
    serializer_class = serializers.DrugClassSerializer


class DrugClassDetail(MergedRedirectMixin, generics.RetrieveAPIView):
    """A drug class with its description, narrower classes, member drugs and other names."""

    lookup_field = "slug"
    queryset = (
        DrugClass.objects.with_article_count()
        .with_member_count()
        .select_related("parent")
        .prefetch_related(
            Prefetch("children", queryset=DrugClass.objects.order_by("name")),
            Prefetch("members", queryset=Drug.objects.order_by("name")),
            "aliases",
        )
    )
    serializer_class = serializers.DrugClassDetailSerializer


SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Drug (generic or brand), condition, institution or words."),
    OpenApiParameter("condition", OpenApiTypes.STR, description="Only articles linked to this condition (slug)."),
    OpenApiParameter("drug", OpenApiTypes.STR, description="Only articles linked to this drug (slug)."),
    OpenApiParameter("institution", OpenApiTypes.STR, description="Only articles linked to this institution (slug)."),
    OpenApiParameter("source", OpenApiTypes.STR, description="Only articles from this source (slug)."),
    OpenApiParameter("published_after", OpenApiTypes.DATE),
    OpenApiParameter("published_before", OpenApiTypes.DATE),
    OpenApiParameter("year", OpenApiTypes.INT),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=["relevance", "-published", "published"]),
    OpenApiParameter("page", {"type": "integer", "minimum": 1}),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="At most 100 (larger is capped)."),
]


class SearchView(APIView):
    """Search: entity resolution (brand names, typos), ranked results with snippet and why, facets."""

    @extend_schema(parameters=SEARCH_PARAMETERS, responses=serializers.SearchResponseSerializer)
    def get(self, request):
        filterset = ArticleFilter(request.query_params, queryset=Article.objects.none())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        page = positive_page(request.query_params.get("page"))
        page_size = ArticlePagination().get_page_size(request)
        data = filterset.form.cleaned_data
        try:
            result = service.search(
                data.get("q") or "", filters=data, page=page, page_size=page_size, ordering=filterset.search_ordering
            )
        except service.PageOutOfRange as exc:
            raise NotFound("There is no such page of results.") from exc
        result.next = self._page_url(request, page + 1) if result.has_next else None
        result.previous = self._page_url(request, page - 1) if result.has_previous else None
        serializer = serializers.SearchResponseSerializer(result, context={"request": request})
        return Response(serializer.data)

    @staticmethod
    def _page_url(request, page):
        params = request.query_params.copy()
        params["page"] = str(page)
        return request.build_absolute_uri(request.path) + "?" + urlencode(params, doseq=True)


class AutocompleteView(APIView):
    """Entities whose names start with q (any kind), best first: "jak" → Jakafi → Ruxolitinib."""

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, description="What was typed so far.")],
        responses=serializers.AutocompleteResponseSerializer,
    )
    def get(self, request):
        query = request.query_params.get("q", "")
        if "\x00" in query:
            raise ValidationError({"q": ["Null characters are not allowed."]})
        suggestions = autocomplete.suggest(query)
        serializer = serializers.AutocompleteResponseSerializer(
            {"query": query[: autocomplete.MAX_INPUT], "results": suggestions}, context={"request": request}
        )
        return Response(serializer.data)


class ApiDocs(SpectacularSwaggerSplitView):
    """/api/docs/: the HTML reference (Swagger UI from drf-spectacular-sidecar, no CDN).

    Split view: the page and its init script are two answers from this view, so nothing is
    inline and the site's Content-Security-Policy applies unchanged.
    """

    template_name = "api/docs.html"
    title = "NewsBase API reference"
    url_name = "api:schema"


# The endpoints /api/ lists: (name, URL name, what it answers).
ENDPOINTS = [
    ("articles", "api:article-list", "Published articles, newest first, with filters."),
    ("search", "api:search", "Ranked search with snippets, why each matched, and facets."),
    ("autocomplete", "api:autocomplete", "Entities whose names start with what was typed."),
    ("drugs", "api:drug-list", "Drugs A–Z with their article counts."),
    ("conditions", "api:condition-list", "Conditions (MeSH) A–Z with their article counts."),
    ("drug_classes", "api:drug-class-list", "Drug classes A–Z."),
    ("institutions", "api:institution-list", "Institutions A–Z with their article counts."),
    ("schema", "api:schema", "The OpenAPI 3 schema (YAML; ?format=json for JSON)."),
    ("docs", "api:docs", "This reference as an HTML page (Swagger UI)."),
]


class ApiRoot(APIView):
    """/api/: the endpoints, each with its absolute URL and what it answers."""

    @extend_schema(exclude=True)
    def get(self, request):
        return Response(
            {
                "name": "NewsBase API",
                "docs": request.build_absolute_uri(reverse("api:docs")),
                "endpoints": [
                    {"name": name, "url": request.build_absolute_uri(reverse(url_name)), "description": text}
                    for name, url_name, text in ENDPOINTS
                ],
            }
        )
