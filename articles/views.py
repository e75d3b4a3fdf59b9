"""Public pages. Function views: queryset -> paginator -> template."""

import string

from django.core.exceptions import BadRequest
from django.core.paginator import InvalidPage, Paginator
from django.db.models import Q
from django.db.models.functions import Left, Lower, Upper
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from . import browse, cautions, mesh, redirects, reports, rows, syndication, timeline
from .filters import PAGE_ERROR, ArticleFilter, page_number_from
from .kinds import BY_NAME
from .models import (
    Article,
    ArticleDrugClass,
    Condition,
    ConditionTreeNumber,
    Drug,
    DrugClass,
    DrugClassAlias,
    Institution,
)
from .search import cache as search_cache
from .search import service as search_service
from .search.query import MAX_QUERY_LENGTH, parse
from .text import normalize

PER_PAGE = 20


def paginate(request, queryset, per_page=PER_PAGE, count=None):
    """The requested page of `queryset`: 400 for a malformed page number, 404 past the end.

    `count`: the number of items when it is already known (no COUNT query then).
    """
    number = page_number(request)
    if number is None:
        raise BadRequest(f"Page: {PAGE_ERROR}")
    paginator = Paginator(queryset, per_page, orphans=3)
    if count is not None:
        paginator.count = count  # a cached property: set, it is not counted again
    try:
        return paginator.page(number)
    except InvalidPage as exc:
        raise Http404(f"There is no page {number}.") from exc


def article_page(request, queryset, per_page=PER_PAGE, count=None):
    """The requested page of an article queryset (as `paginate`), its articles read as plain rows
    with their sources and visible links (4 queries: count, ids, articles, links)."""
    page = paginate(request, queryset.values_list("pk", flat=True), per_page, count=count)
    page.object_list = rows.page_articles(page.object_list, body=False)
    return page


def home(request):
    latest = rows.page_articles(
        Article.objects.published().originals().listing().values_list("pk", flat=True)[:10], body=False
    )
    top_conditions = Condition.objects.having_articles().with_article_count().order_by("-article_count", "name")[:12]
    top_drugs = Drug.objects.having_articles().with_article_count().order_by("-article_count", "name")[:12]
    return render(
        request,
        "articles/home.html",
        {"latest": latest, "top_conditions": top_conditions, "top_drugs": top_drugs},
    )


def page_number(request):
    """The `page` parameter as a positive integer (1 when absent), or None when malformed."""
    return page_number_from(request.GET.get("page"))


def filter_errors(filterset, page):
    """Readable messages for a FilterSet that did not validate (and a malformed page)."""
    messages = []
    if not filterset.is_valid():
        for name, errors in filterset.errors.items():
            label = filterset.filters[name].label if name in filterset.filters else name
            messages.extend(f"{label}: {error}" for error in errors)
    if page is None:
        messages.append(f"Page: {PAGE_ERROR}")
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
    filterset = ArticleFilter(request.GET, queryset=Article.objects.published().listing())
    errors = filter_errors(filterset, page=1)  # a bad page is a 404 here, as on every list page
    if errors:
        return render(request, "articles/article_list.html", {"filterset": filterset, "errors": errors}, status=400)
    page = article_page(request, filterset.qs)
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
    active = active_filters(request, filterset)
    if not parse(data.get("q") or "").tokens and not active:
        # Nothing asked yet: the search page itself, not "0 articles".
        return render(request, "articles/search.html", {"query": query})
    try:
        result = search_service.search(data.get("q") or "", filters=data, page=page, ordering=filterset.search_ordering)
    except search_service.PageOutOfRange as exc:
        raise Http404("There is no such page of results.") from exc
    for values in result.facets.values():
        for facet in values:
            facet.href = query_with(request, **{facet.param: None if facet.selected else facet.value})
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
    return render(request, "articles/article_detail.html", article_context(slug))


def article_context(slug):
    """What the article page shows: the article with its links, trials, copies and related articles
    (6 queries), or 404."""
    article = rows.article_page(slug)
    if article is None:
        raise Http404("No published article has this address.")
    copies = rows.published_copies(article.pk)
    links = [
        *article.public_condition_links,
        *article.public_drug_links,
        *article.public_institution_links,
        *article.public_drug_class_links,
    ]
    # A syndicated copy names the original as its canonical URL: the same story, first published there.
    original = article.canonical if article.canonical_id and article.canonical.is_public else None
    return {
        "article": article,
        "trials": rows.trials(article.pk),
        "copies": copies,
        "original": original,
        "canonical_path": (original or article).get_absolute_url(),
        "cautions": cautions.cautions(article),
        "has_suggested": any(link.is_machine_suggested for link in links),
        "related": browse.related(article, same_story=[copy.pk for copy in copies]),
    }


# --------------------------------------------------------------------------- entity lists

LETTERS = list(string.ascii_uppercase)
OTHER_INITIALS = "0-9"  # names that start with a digit, a symbol or a non-Latin letter


def _initial_groups(request, model, per_page):
    """The A–Z index of entities with published articles: (letter, letter links, page)."""
    letter = request.GET.get("letter", "").upper()
    if letter and letter not in LETTERS and letter != OTHER_INITIALS:
        raise Http404(f"The index has letters A to Z and {OTHER_INITIALS}, not {letter!r}.")
    initial = Upper(Left("name", 1))
    present = set(
        model.objects.having_articles().annotate(initial=initial).values_list("initial", flat=True).distinct()
    )
    letters = [(x, x in present) for x in LETTERS]
    letters.append((OTHER_INITIALS, bool(present - set(LETTERS))))
    entities = model.objects.having_articles().with_article_count().annotate(initial=initial)
    if letter == OTHER_INITIALS:
        entities = entities.exclude(initial__in=LETTERS)
    elif letter:
        entities = entities.filter(initial=letter)
    page = paginate(request, entities.order_by(Lower("name"), "pk"), per_page=per_page)
    for entity in page.object_list:
        entity.group = entity.initial if entity.initial in LETTERS else OTHER_INITIALS
    return letter, letters, page


def condition_list(request):
    letter, letters, page = _initial_groups(request, Condition, per_page=150)
    context = {"letter": letter, "letters": letters, "page": page, "tree": mesh.browse_tree()}
    return render(request, "articles/condition_list.html", context)


def _entity_list(request, model, template):
    letter, letters, page = _initial_groups(request, model, per_page=150)
    return render(request, template, {"letter": letter, "letters": letters, "page": page})


def drug_list(request):
    return _entity_list(request, Drug, "articles/drug_list.html")


def institution_list(request):
    return _entity_list(request, Institution, "articles/institution_list.html")


# --------------------------------------------------------------------------- entity pages


MENTION_SECTIONS = {
    "condition": (
        ("drug", "Drugs mentioned with it"),
        ("institution", "Institutions in these articles"),
        ("condition", "Other conditions in these articles"),
    ),
    "drug": (
        ("condition", "Conditions it is reported for"),
        ("institution", "Institutions in these articles"),
        ("drug", "Other drugs in these articles"),
    ),
    "institution": (
        ("condition", "Top conditions"),
        ("drug", "Top drugs"),
        ("institution", "Other institutions in these articles"),
    ),
}


REPORTED_NOTE = "Named with it in one sentence of a story, or confirmed by an editor; the number is those stories."


def _mention_sections(request, kind, mentions, narrower, reported=None):
    """[(kind, heading, [Mention], note)] for the page's side column; each count links to the filtered
    list. A drug's conditions are those it is reported for (`reported`), counted in stories."""
    sections = []
    for section_kind, heading in MENTION_SECTIONS[kind]:
        if narrower and section_kind == "condition":
            heading = "Conditions in these articles"
        if reported is not None and section_kind == "condition":
            items = [
                browse.Mention("condition", name, slug, n, stories_label=f"{n} stor{'y' if n == 1 else 'ies'}")
                for name, slug, n in reported
            ]
            sections.append((section_kind, heading, items, REPORTED_NOTE))
            continue
        for mention in mentions[section_kind]:
            mention.filter_url = query_with(request, **{section_kind: mention.slug})
        sections.append((section_kind, heading, mentions[section_kind], ""))
    return sections


def _names(kind, entity):
    """(brand names, other names) of an entity as search's entity cards show them: brands apart,
    lay terms first, no inverted MeSH forms, one of each set of words (one query)."""
    aliases = rows.aliases({kind: [entity.pk]}).get((kind, entity.pk), [])
    card = search_service.Card(kind, entity, match=None, article_count=entity.article_count, aliases=aliases)
    return card.brand_names, card.other_names


def _combination_context(drug):
    """A combination's ingredients and the combinations a drug is in, A–Z (one query)."""
    through = type(drug).ingredients.through
    rows = through.objects.filter(Q(from_drug=drug) | Q(to_drug=drug)).select_related("from_drug", "to_drug")
    ingredients = sorted((r.to_drug for r in rows if r.from_drug_id == drug.pk), key=lambda d: d.name.lower())
    contained_in = sorted((r.from_drug for r in rows if r.to_drug_id == drug.pk), key=lambda d: d.name.lower())
    return {"ingredients": ingredients, "contained_in": contained_in}


ENTITY_PREFETCH = {"condition": ("tree_numbers",)}


def entity_context(request, kind, slug):
    """What an entity's page shows: (context, status), or the redirect of a merged-away slug.

    Its names and ids, its articles (shared FilterSet), what they mention, a timeline
    and, for a condition, its place in the MeSH tree; a 400 context names bad filters.
    """
    model = BY_NAME[kind].model
    try:
        entity = model.objects.with_article_count().prefetch_related(*ENTITY_PREFETCH.get(kind, ())).get(slug=slug)
    except model.DoesNotExist:
        return redirects.to_survivor(request, model, slug), None
    include = syndication.narrower_param(request) if kind == "condition" else False
    # A condition's page includes its narrower conditions by default, as search and its feed do
    # (one query; none below it: its own articles, as "only"). The branch, the tree, the side
    # lists and the timeline are cached per content stamp (articles.search.cache).
    branch = []
    if include:
        below = search_cache.cached("branch", (entity.pk,), lambda: ConditionTreeNumber.branches([entity.pk]))
        branch = [pk for pk, _, _ in below[entity.pk]]
    narrower = bool(branch)
    base = Article.objects.published().listing()
    filterset = browse.entity_filterset(kind, entity, request.GET, base, branch=branch)
    brand_names, other_names = _names(kind, entity)
    context = {
        "entity": entity,
        "kind": kind,
        "brand_names": brand_names,
        "other_names": other_names,
        **(_combination_context(entity) if kind == "drug" else {}),
        "narrower": narrower,
        "only": kind == "condition" and include is False,
        "feed_query": "?narrower=0" if kind == "condition" and include is False else "",
    }
    errors = filter_errors(filterset, page=1)
    if include is None:
        errors.append("Narrower conditions: use narrower=0 for this condition only, or leave it out to include them.")
    if errors:
        return {**context, "errors": errors}, 400
    # The page's own entity is a filter only behind the scenes: not listed, not repeated in the form.
    own = not narrower and request.GET.get(kind) in (None, "", entity.slug)
    active = [f for f in active_filters(request, filterset) if not (own and f[0] == kind)]
    filtered = bool(active or filterset.form.cleaned_data.get("q"))
    tree = None
    if kind == "condition":
        tree = search_cache.cached("tree", (entity.pk,), lambda: mesh.neighbourhood(entity))
    # Unfiltered, the page lists exactly the entity's public articles (or its branch's): counted already.
    count = None if filtered else (tree.count if narrower else entity.article_count)
    if narrower and not filtered and not filterset.form.cleaned_data.get("ordering"):
        # The branch's articles from its links' index alone (the article table is not scanned).
        page = paginate(request, browse.BranchArticleIds([entity.pk, *branch]), count=count)
        page.object_list = rows.page_articles(page.object_list, body=False)
    else:
        page = article_page(request, filterset.qs, count=count)
    ids = [entity.pk, *branch]
    mentions = browse.mentioned_with(kind, entity.pk, ids)
    links = BY_NAME[kind].link_model.objects.filter(**{f"{kind}__in": ids})
    months = search_cache.cached(
        "timeline", (kind, tuple(ids)), lambda: timeline.month_counts(links, distinct=bool(narrower))
    )
    context.update(
        {
            "page": page,
            "articles": page.object_list,
            "active_filters": active,
            "filtered": filtered,
            "hidden_filters": [
                (name, request.GET[name])
                for name in ("condition", "drug", "institution", "source", "year")
                if request.GET.get(name) and not (own and name == kind)
            ],
            "tree": tree,
            "mentions": mentions,
            "mention_sections": _mention_sections(
                request, kind, mentions, narrower, reported=reports.reported_for(entity) if kind == "drug" else None
            ),
            "timeline": timeline.build(entity.name, months),
        }
    )
    return context, 200


def _entity_detail(request, kind, slug):
    context, status = entity_context(request, kind, slug)
    if isinstance(context, HttpResponse):
        return context
    return render(request, BY_NAME[kind].template, context, status=status)


def condition_detail(request, slug):
    return _entity_detail(request, "condition", slug)


def drug_detail(request, slug):
    context, status = entity_context(request, "drug", slug)
    if isinstance(context, HttpResponse):
        return context
    context["drug_classes"] = context["entity"].classes.order_by(Lower("name"))  # one query
    return render(request, BY_NAME["drug"].template, context, status=status)


def institution_detail(request, slug):
    return _entity_detail(request, "institution", slug)


# --------------------------------------------------------------------------- drug classes


def drug_class_list(request):
    """Every drug class as a tree (broader classes first), with member and article counts (one query)."""
    classes = list(
        DrugClass.objects.with_article_count().with_member_count().order_by(Lower("name"), "pk").defer("description")
    )
    children = {}
    for drug_class in classes:
        children.setdefault(drug_class.parent_id, []).append(drug_class)
    for drug_class in classes:
        drug_class.subclasses = children.get(drug_class.pk, [])
    known = {drug_class.pk for drug_class in classes}
    roots = [c for c in classes if c.parent_id is None or c.parent_id not in known]
    return render(request, "articles/drug_class_list.html", {"roots": roots, "total": len(classes)})


def drug_class_detail(request, slug):
    """A class: its names, broader and narrower classes, member drugs and the articles that name it
    (7 queries: class, names, subclasses, members, article ids, articles, their links)."""
    try:
        drug_class = DrugClass.objects.with_article_count().with_member_count().select_related("parent").get(slug=slug)
    except DrugClass.DoesNotExist:
        return redirects.to_survivor(request, DrugClass, slug)
    own = normalize(drug_class.name)
    names = sorted(
        {
            alias.text
            for alias in DrugClassAlias.objects.filter(drug_class=drug_class, is_ambiguous=False).only(
                "text", "normalized"
            )
            if alias.normalized != own
        },
        key=str.lower,
    )
    subclasses = drug_class.children.with_article_count().with_member_count().order_by(Lower("name"))
    members = Drug.objects.filter(class_memberships__drug_class=drug_class).with_article_count().order_by(Lower("name"))
    links = (
        ArticleDrugClass.objects.public()
        .filter(drug_class=drug_class)
        .order_by("-published", "-article_id")
        .values_list("article_id", flat=True)
    )
    page = paginate(request, links, count=drug_class.article_count)
    page.object_list = rows.page_articles(page.object_list, body=False)
    context = {
        "entity": drug_class,
        "other_names": names,
        "subclasses": list(subclasses),
        "members": list(members),
        "page": page,
        "articles": page.object_list,
    }
    return render(request, "articles/drug_class_detail.html", context)


# --------------------------------------------------------------------------- site


def robots_txt(request):
    """Crawlers may read the public site, not the admin or search result pages; where the sitemap is."""
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        f"Disallow: {reverse('articles:search')}",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
