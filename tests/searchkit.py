"""A small, fully known world for the search tests: real vocabulary entities (with their
real brand names and lay terms) and articles written for these tests."""

import datetime
from types import SimpleNamespace

from articles import reports, services
from articles.models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleInstitution,
    ArticleStatus,
    Condition,
    Drug,
    Institution,
    LinkStatus,
)

from .factories import ArticleFactory, SourceFactory

NOW = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)

DRUGS = ["Ruxolitinib", "Baricitinib", "Semaglutide", "Deuruxolitinib"]
CONDITIONS = ["Alopecia", "Alopecia Areata", "Myocardial Infarction", "Alzheimer Disease", "Obesity"]
INSTITUTIONS = ["Columbia University", "U.S. Food and Drug Administration"]

LINK_MODELS = {Drug: ArticleDrug, Condition: ArticleCondition, Institution: ArticleInstitution}


def story(title, body, *, days_ago=1, source=None, links=(), status=ArticleStatus.PUBLISHED, **fields):
    """An article with links; each link is (entity, {status, in_title, mention_count, ...})."""
    article = ArticleFactory(
        title=title,
        body=body,
        summary=fields.pop("summary", ""),
        published=NOW - datetime.timedelta(days=days_ago),
        source=source or SourceFactory(name="The Health Ledger", slug="the-health-ledger"),
        **fields,
    )
    for entity, options in links:
        options = {"status": LinkStatus.CONFIRMED, **options}
        text = options.pop("text", entity.name)
        offset = body.lower().find(text.lower())
        LINK_MODELS[type(entity)].objects.create(
            article=article,
            **{LINK_MODELS[type(entity)].entity_field: entity},
            matched_text=text if offset >= 0 else "",
            first_offset=offset if offset >= 0 else None,
            mention_count=options.pop("mention_count", max(body.lower().count(text.lower()), 1)),
            in_title=options.pop("in_title", text.lower() in title.lower()),
            **options,
        )
    if status == ArticleStatus.PUBLISHED:
        services.publish(article=article)
    elif status != ArticleStatus.DRAFT:
        services.set_status(article=article, status=status)
    services.sync_link_dates(article_ids=[article.pk])
    reports.sync(article_ids=[article.pk])  # as the importer does after linking
    return Article.objects.get(pk=article.pk)


def build_world(load_vocabulary_subset):
    load_vocabulary_subset(drugs=DRUGS, conditions=CONDITIONS, institutions=INSTITUTIONS)
    w = SimpleNamespace()
    w.rux = Drug.objects.get(name="Ruxolitinib")
    w.bari = Drug.objects.get(name="Baricitinib")
    w.sema = Drug.objects.get(name="Semaglutide")
    w.alopecia = Condition.objects.get(name="Alopecia")
    w.areata = Condition.objects.get(name="Alopecia Areata")
    w.mi = Condition.objects.get(name="Myocardial Infarction")
    w.alz = Condition.objects.get(name="Alzheimer Disease")
    w.obesity = Condition.objects.get(name="Obesity")
    w.columbia = Institution.objects.get(name="Columbia University")
    w.fda = Institution.objects.get(name="U.S. Food and Drug Administration")
    w.ledger = SourceFactory(name="The Health Ledger", slug="the-health-ledger")
    w.wire = SourceFactory(name="Clinical Wire", slug="clinical-wire")
    w.desk = SourceFactory(name="Copy Desk", slug="copy-desk")

    w.jakafi_story = story(
        "Jakafi regrows hair in people with alopecia areata",
        "Three people with alopecia areata regrew their hair on Jakafi, the bone-marrow drug.\n\n"
        "Researchers at Columbia University gave ruxolitinib by mouth for five months. "
        "Ruxolitinib blocks JAK enzymes. The team now plans a larger trial of ruxolitinib.",
        days_ago=10,
        source=w.wire,
        summary="A bone-marrow drug regrew hair in a small study.",
        links=[
            (w.rux, {"text": "Jakafi", "mention_count": 4}),
            (w.areata, {}),
            (w.columbia, {"status": LinkStatus.SUGGESTED, "confidence": 0.7}),
        ],
    )
    w.cream_story = story(
        "A cream for vitiligo shows promise",
        "A cream form of ruxolitinib helped people with vitiligo in a trial run by Incyte.",
        days_ago=400,
        source=w.ledger,
        links=[(w.rux, {"status": LinkStatus.SUGGESTED, "confidence": 0.8, "mention_count": 1})],
    )
    w.copy_story = story(
        "Jakafi regrows hair in people with alopecia areata",
        w.jakafi_story.body,
        days_ago=9,
        source=w.desk,
        canonical=w.jakafi_story,
        links=[(w.rux, {"text": "Jakafi", "mention_count": 4}), (w.areata, {})],
    )
    w.draft_story = story(
        "Ruxolitinib draft about hair",
        "This ruxolitinib draft is not public.",
        status=ArticleStatus.DRAFT,
        links=[(w.rux, {})],
    )
    w.rejected_story = story(
        "Goals of care in the clinic",
        "An essay about goals of care; an editor rejected the machine's ruxolitinib link.",
        days_ago=5,
        links=[(w.rux, {"status": LinkStatus.REJECTED})],
    )
    w.olumiant_story = story(
        "Olumiant approved for severe alopecia areata",
        "Regulators approved baricitinib, sold as Olumiant, for severe alopecia areata in adults.",
        days_ago=30,
        source=w.ledger,
        links=[(w.bari, {"text": "baricitinib"}), (w.areata, {}), (w.fda, {"text": "Regulators"})],
    )
    w.alopecia_story = story(
        "What causes alopecia?",
        "Alopecia, or hair loss, has many causes, from genes to stress.",
        days_ago=60,
        source=w.ledger,
        links=[(w.alopecia, {})],
    )
    w.heart_story = story(
        "Heart attack care improves",
        "Fewer people die after a heart attack than twenty years ago, doctors report.",
        days_ago=20,
        source=w.wire,
        links=[(w.mi, {"text": "heart attack"})],
    )
    w.alzheimer_story = story(
        "New blood test for Alzheimer’s",
        "A blood test spots Alzheimer’s disease years before symptoms, a study found.",
        days_ago=15,
        source=w.wire,
        links=[(w.alz, {"text": "Alzheimer"})],
    )
    w.wegovy_story = story(
        "Wegovy cuts heart risk in people with obesity",
        "Semaglutide, sold as Wegovy, lowered the risk of heart attack in people with obesity.",
        days_ago=25,
        source=w.ledger,
        links=[(w.sema, {"text": "Semaglutide"}), (w.obesity, {}), (w.mi, {"text": "heart attack"})],
    )
    w.withdrawn_story = story(
        "Semaglutide story withdrawn",
        "A semaglutide story that was withdrawn.",
        status=ArticleStatus.WITHDRAWN,
        links=[(w.sema, {})],
    )
    w.zelvitra_story = story(
        "Zelvitra, a new brand, reaches pharmacies",
        "Zelvitra is a brand no vocabulary knows yet; it reached pharmacies this week.",
        days_ago=3,
        source=w.wire,
    )
    return w
