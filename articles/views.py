"""Public pages. Function views: queryset -> paginator -> template."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render

from .filters import ArticleFilter
from .models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleInstitution,
    Condition,
    ConditionAlias,
    Drug,
    DrugAlias,
    EntityRedirect,
    Institution,
    InstitutionAlias,
)
from .search import service as search_service
from .search.query import MAX_QUERY_LENGTH

PER_PAGE = 20


def paginate(request, queryset, per_page=PER_PAGE):
    """The requested page of `queryset`; 404 for a page that does not exist."""
    paginator = Paginator(queryset, per_page, orphans=3)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except Exception as exc:  # InvalidPage and its subclasses
        raise Http404(f"No such page: {number!r}.") from exc


def home(request):
    latest = Article.objects.published().originals().listing().with_public_links()[:10]
    top_conditions = Condition.objects.having_articles().with_article_count().order_by("-article_count", "name")[:12]
    top_drugs = Drug.objects.having_articles().with_article_count().order_by("-article_count", "name")[:12]
    return render(
        request,
        "articles/home.html",
        {"latest": latest, "top_conditions": top_conditions, "top_drugs": top_drugs},
    )


def page_number(request):
    """The `page` parameter as a positive integer (1 when absent), or None when malformed."""
    value = request.GET.get("page", "").strip() or "1"
    return int(value) if value.isascii() and value.isdigit() and int(value) >= 1 else None


def filter_errors(filterset, page):
    """Readable messages for a FilterSet that did not validate (and a malformed page)."""
    messages = []
    if not filterset.is_valid():
        for name, errors in filterset.errors.items():
            label = filterset.filters[name].label if name in filterset.filters else name
            messages.extend(f"{label}: {error}" for error in errors)
    if page is None:
        messages.append("Page: a page number is a whole number from 1.")
    return messages


def query_with(request, **changes):
    """The current query string with parameters set (or removed, for None); page reset."""
    params = request.GET.copy()
    params.pop("page", None)
    for name, value in changes.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    return f"?{params.urlencode()}" if params else "?"


def active_filters(request, filterset):
    """[(parameter, label, value, URL without it)] of the filters in use."""
    return [
        (name, label, value, query_with(request, **{name: None})) for name, label, value in filterset.active_filters()
    ]


def article_list(request):
    filterset = ArticleFilter(request.GET, queryset=Article.objects.published().listing().with_public_links())
    errors = filter_errors(filterset, page=1)  # a bad page is a 404 here, as on every list page
    if errors:
        return render(request, "articles/article_list.html", {"filterset": filterset, "errors": errors}, status=400)
    page = paginate(request, filterset.qs)
    active = active_filters(request, filterset)
    context = {"page": page, "articles": page.object_list, "filterset": filterset, "active_filters": active}
    return render(request, "articles/article_list.html", context)


def search(request):
    """Search by drug, brand, condition or institution name: results, why, facets, entity cards."""
    filterset = ArticleFilter(request.GET, queryset=Article.objects.none())
    page = page_number(request)
    errors = filter_errors(filterset, page)
    query = request.GET.get("q", "")[:MAX_QUERY_LENGTH]
    if errors:
        return render(request, "articles/search.html", {"errors": errors, "query": query}, status=400)
    data = filterset.form.cleaned_data
    try:
        result = search_service.search(data.get("q") or "", filters=data, page=page, ordering=filterset.search_ordering)
    except search_service.PageOutOfRange as exc:
        raise Http404("There is no such page of results.") from exc
    for values in result.facets.values():
        for facet in values:
            facet.href = query_with(request, **{facet.param: None if facet.selected else facet.value})
    active = active_filters(request, filterset)
    context = {
        "result": result,
        "query": result.query,
        "active_filters": active,
        "sort_links": [
            (label, query_with(request, ordering=value), result.ordering == name)
            for name, label, value in (("relevance", "Best match", None), ("newest", "Newest", "-published"))
        ],
        "previous_url": query_with(request, page=str(page - 1)) if result.has_previous else "",
        "next_url": query_with(request, page=str(page + 1)) if result.has_next else "",
    }
    return render(request, "articles/search.html", context)


def article_detail(request, slug):
    article = get_object_or_404(
        Article.objects.published()
        .select_related("source", "canonical__source")
        .prefetch_related(
            "trials",
            Prefetch("copies", queryset=Article.objects.published().select_related("source")),
        )
        .with_public_links(),
        slug=slug,
    )
    return render(request, "articles/article_detail.html", {"article": article})


def _entity_list(request, model, template):
    entities = model.objects.having_articles().with_article_count().order_by("-article_count", "name")
    page = paginate(request, entities, per_page=60)
    return render(request, template, {"page": page, "entities": page.object_list})


def condition_list(request):
    return _entity_list(request, Condition, "articles/condition_list.html")


def drug_list(request):
    return _entity_list(request, Drug, "articles/drug_list.html")


def institution_list(request):
    return _entity_list(request, Institution, "articles/institution_list.html")


def _merged_entity_redirect(request, model, slug):
    """The old address of a merged-away entity answers 301 to the survivor; anything else 404."""
    redirect = EntityRedirect.objects.filter(entity_type=model._meta.model_name, old_slug=slug).first()
    target = redirect and model.objects.filter(pk=redirect.target_id).only("slug").first()
    if target is None:
        raise Http404(f"No {model._meta.verbose_name} at this address.")
    query = request.GET.urlencode()
    return HttpResponsePermanentRedirect(target.get_absolute_url() + (f"?{query}" if query else ""))


def _entity_detail(request, model, link_model, alias_model, slug, template, extra_prefetch=()):
    try:
        entity = model.objects.prefetch_related(
            Prefetch("aliases", queryset=alias_model.objects.order_by("-is_brand", "kind", "text")),
            *extra_prefetch,
        ).get(slug=slug)
    except model.DoesNotExist:
        return _merged_entity_redirect(request, model, slug)
    links = (
        link_model.objects.public()
        .filter(**{link_model.entity_field: entity})
        .select_related("article__source")
        .defer("article__body")
        .order_by("-published", "-pk")
    )
    page = paginate(request, links)
    context = {
        "entity": entity,
        "page": page,
        "articles": [link.article for link in page.object_list],
        "article_count": page.paginator.count,
    }
    return render(request, template, context)


def condition_detail(request, slug):
    return _entity_detail(
        request,
        Condition,
        ArticleCondition,
        ConditionAlias,
        slug,
        "articles/condition_detail.html",
        extra_prefetch=("tree_numbers",),
    )


def drug_detail(request, slug):
    return _entity_detail(request, Drug, ArticleDrug, DrugAlias, slug, "articles/drug_detail.html")


def institution_detail(request, slug):
    return _entity_detail(
        request, Institution, ArticleInstitution, InstitutionAlias, slug, "articles/institution_detail.html"
    )
