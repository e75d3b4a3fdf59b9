"""The helpers behind the public pages: the SVG timeline, evidence cautions, MeSH branches."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import cautions, mesh, timeline
from articles.models import Article, ArticleCondition, ArticleStatus, FacetSnapshot, LinkStatus, StudyType
from articles.search import facets

from .factories import ConditionFactory
from .searchkit import story

D = datetime.date


# --------------------------------------------------------------------------- timeline


def test_build_fills_every_month_up_to_this_one():
    chart = timeline.build("Gout", [(D(2025, 1, 1), 2), (D(2025, 3, 1), 1)], today=D(2025, 4, 10))
    assert chart.months == [(D(2025, 1, 1), 2), (D(2025, 2, 1), 0), (D(2025, 3, 1), 1), (D(2025, 4, 1), 0)]
    assert chart.total == 3 and chart.busiest == (D(2025, 1, 1), 2) and chart.earlier == 0
    assert chart.active_months == [(D(2025, 3, 1), 1, D(2025, 3, 31)), (D(2025, 1, 1), 2, D(2025, 1, 31))]
    assert chart.summary == "3 articles about Gout from Jan 2025 to Mar 2025; the busiest month was Jan 2025 with 2."


def test_busiest_month_is_the_latest_of_equals_and_one_month_reads_simply():
    chart = timeline.build("Gout", [(D(2024, 11, 1), 2), (D(2024, 12, 1), 2)], today=D(2025, 2, 1))
    assert chart.busiest == (D(2024, 12, 1), 2)
    assert chart.active_months[-1] == (D(2024, 11, 1), 2, D(2024, 11, 30))
    assert timeline.build("Gout", [(D(2024, 2, 1), 1)], today=D(2024, 2, 9)).summary == (
        "1 article about Gout, in Feb 2024."
    )


def test_long_history_is_cut_at_max_months_and_said_so():
    counts = [(D(1990, 5, 1), 4), (D(2024, 12, 1), 1)]
    chart = timeline.build("Gout", counts, today=D(2025, 1, 15))
    assert len(chart.months) == timeline.MAX_MONTHS
    assert chart.months[-1] == (D(2025, 1, 1), 0) and chart.months[0][0] == D(2005, 2, 1)
    assert chart.earlier == 4
    assert chart.summary.endswith("The chart starts in Feb 2005; 4 older ones are not drawn.")
    assert len(re.findall(r'<rect class="bar"', str(chart.svg()))) == 1


def bars(svg):
    """[(height, title)] of the bars of a drawn chart."""
    return [
        (float(h), title)
        for h, title in re.findall(
            r'<rect class="bar" x="[^"]+" y="[^"]+" width="[^"]+" height="([^"]+)"[^>]*>'
            r"<title>([^<]+)</title>",
            str(svg),
        )
    ]


def test_bars_are_proportional_to_the_busiest_month():
    chart = timeline.build("Gout", [(D(2025, 1, 1), 4), (D(2025, 2, 1), 2), (D(2025, 4, 1), 1)], today=D(2025, 4, 1))
    plot = timeline.HEIGHT - timeline.TOP - timeline.BOTTOM
    assert bars(chart.svg()) == [
        (plot, "Jan 2025: 4 articles"),
        (plot / 2, "Feb 2025: 2 articles"),
        (plot / 4, "Apr 2025: 1 article"),
    ]
    wide, narrow = str(chart.svg()), str(chart.svg_narrow())
    assert 'viewBox="0 0 720 190"' in wide and 'viewBox="0 0 340 190"' in narrow
    assert 'id="timeline-wide-title"' in wide and 'id="timeline-narrow-title"' in narrow  # ids differ on one page
    # A short span is labelled by month, a long one by year.
    assert ">Jan 25</text>" in wide
    long = timeline.build("Gout", [(D(2015, 1, 1), 1)], today=D(2025, 6, 1))
    assert ">2015</text>" in str(long.svg()) and ">Jan 15</text>" not in str(long.svg())


def test_no_articles_draw_nothing_and_say_so():
    chart = timeline.build("Gout", [])
    assert chart.svg() == "" and chart.total == 0 and chart.active_months == []
    assert chart.summary == "No articles about Gout yet."


def test_every_text_in_the_chart_is_escaped():
    svg = str(timeline.build('<script>alert("x")</script> & co', [(D(2025, 1, 1), 1)], today=D(2025, 1, 2)).svg())
    assert "<script>" not in svg
    assert "Articles per month about &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</title>" in svg
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert not re.search(r"(?:href|src)=", svg)  # nothing fetched: no link, no image, no font


@pytest.mark.django_db
def test_month_counts_count_public_links_only_and_distinct_when_asked():
    a, b = ConditionFactory(), ConditionFactory()
    for day, links in (
        (D(2025, 1, 5), [(a, {}), (b, {})]),
        (D(2025, 1, 20), [(a, {"status": LinkStatus.SUGGESTED})]),
        (D(2025, 3, 2), [(b, {})]),
    ):
        story(f"On {day}", "Text.", days_ago=(D(2026, 1, 15) - day).days, links=links)
    story("Draft", "Text.", status=ArticleStatus.DRAFT, links=[(a, {})])
    story("Rejected", "Text.", days_ago=300, links=[(a, {"status": LinkStatus.REJECTED})])
    story("Withdrawn", "Text.", status=ArticleStatus.WITHDRAWN, links=[(b, {})])
    assert timeline.month_counts(ArticleCondition.objects.filter(condition=a)) == [(D(2025, 1, 1), 2)]
    both = ArticleCondition.objects.filter(condition__in=[a, b])
    assert timeline.month_counts(both) == [(D(2025, 1, 1), 3), (D(2025, 3, 1), 1)]
    assert timeline.month_counts(both, distinct=True) == [(D(2025, 1, 1), 2), (D(2025, 3, 1), 1)]


# --------------------------------------------------------------------------- cautions


def caution_texts(**facts):
    return [(c.text, c.thin) for c in cautions.cautions(Article(**facts))]


def test_case_series_of_three_patients_is_thin_evidence():
    [(text, thin)] = caution_texts(study_type=StudyType.CASE_SERIES, participants=3)
    assert thin and text.startswith("This describes 3 people treated without a comparison group")
    [(text, _)] = caution_texts(study_type=StudyType.CASE_SERIES)
    assert "a small group of patients" in text


@pytest.mark.parametrize(
    ("study_type", "participants", "start"),
    [
        (StudyType.ANIMAL, 12, "This was a study in animals, not people."),  # 12 mice: not "only 12 people"
        (StudyType.IN_VITRO, 12, "This was a laboratory study of cells"),
        (StudyType.CASE_REPORT, 1, "This describes a single patient."),
        (StudyType.MODELLING, None, "This is a modelling study"),
        (StudyType.CLINICAL_TRIAL, 240, "Patients were not randomly assigned"),
    ],
)
def test_thin_study_types_get_a_plain_caution(study_type, participants, start):
    [(text, thin)] = caution_texts(study_type=study_type, participants=participants)
    assert thin and text.startswith(start)


def test_small_and_phase_1_trials_are_cautioned_but_a_large_rct_is_not():
    assert caution_texts(study_type=StudyType.RCT, participants=1200, trial_phase=3) == []
    assert caution_texts() == []
    [(text, thin)] = caution_texts(study_type=StudyType.RCT, participants=24)
    assert thin and text.startswith("Only 24 people took part.")
    texts = [t for t, _ in caution_texts(study_type=StudyType.RCT, participants=1, trial_phase=1)]
    assert texts[0].startswith("Phase 1 trials test safety") and texts[1].startswith("Only one person took part.")


def test_observational_study_is_context_not_a_warning():
    [(text, thin)] = caution_texts(study_type=StudyType.COHORT, participants=9764)
    assert not thin and "observational study" in text and "9,764" not in text


# --------------------------------------------------------------------------- MeSH helpers


def test_category_names_and_ancestors():
    assert mesh.category_name("C17.800.329") == "Skin and Connective Tissue Diseases"
    assert mesh.category_name("F03") == "Mental Disorders"
    assert mesh.category_name("C99.100") == "MeSH branch C99"
    assert mesh.letter_name("C04") == "Diseases"
    assert mesh.ancestors("C17.800.329") == ["C17", "C17.800"]
    assert mesh.ancestors("C17") == []


@pytest.fixture
def branch():
    """C04 (no descriptor) > Tumour (two places, the descriptors between them not loaded) > two kinds."""
    tumour = ConditionFactory(name="Tumour", tree_numbers=["C04.100.200", "C04.300.400"])
    first = ConditionFactory(name="First kind", tree_numbers=["C04.100.200.001"])
    second = ConditionFactory(name="Second kind", tree_numbers=["C04.300.400.001"])
    quiet = ConditionFactory(name="Quiet kind", tree_numbers=["C04.300.400.002"])
    stories = [
        story("Tumour", "T.", links=[(tumour, {})]),
        story("First", "F.", links=[(first, {})]),
        story("Both", "B.", links=[(first, {}), (tumour, {})]),
        story("Second", "S.", links=[(second, {"status": LinkStatus.SUGGESTED})]),
        story("Draft", "D.", status=ArticleStatus.DRAFT, links=[(second, {})]),
        story("Rejected", "R.", links=[(first, {"status": LinkStatus.REJECTED})]),
    ]
    return tumour, first, second, quiet, stories


@pytest.mark.django_db
def test_branch_counts_count_each_public_article_once(branch):
    tumour, *_, quiet, _ = branch
    counts = mesh.branch_counts(
        numbers=["C04", "C04.100.200", "C04.300.400", "C99"], condition_ids=[tumour.pk, quiet.pk]
    )
    assert counts == {
        ("number", "C04"): 4,
        # Either place of Tumour counts Tumour with all its narrower kinds, under either place
        # (one definition of a branch, issue 14): a suggested link counts, a draft's or a
        # rejected one does not.
        ("number", "C04.100.200"): 4,
        ("number", "C04.300.400"): 4,
        ("condition", tumour.pk): 4,
    }
    assert mesh.branch_counts() == {}


@pytest.mark.django_db
def test_branch_counts_of_a_large_branch_come_from_its_fresh_snapshot(branch):
    """A condition whose branch has a facet snapshot (one of many articles) is not recounted
    while the snapshot is young; an old one is ignored and the branch counted live."""
    tumour, first, *_ = branch
    assert facets.refresh_snapshots(min_articles=2).snapshots >= 1
    snapshot = FacetSnapshot.objects.get(kind="condition", entity_id=tumour.pk, narrower=True)
    assert snapshot.total == 4  # the same number the live count gives (the test above)
    FacetSnapshot.objects.filter(pk=snapshot.pk).update(total=40)  # tell the two apart
    with CaptureQueriesContext(connection) as captured:
        counts = mesh.branch_counts(numbers=["C04"], condition_ids=[tumour.pk, first.pk])
    assert len(captured) == 1
    assert counts == {("number", "C04"): 4, ("condition", tumour.pk): 40, ("condition", first.pk): 2}
    FacetSnapshot.objects.filter(pk=snapshot.pk).update(built_at=timezone.now() - datetime.timedelta(days=2))
    assert mesh.branch_counts(condition_ids=[tumour.pk])[("condition", tumour.pk)] == 4


@pytest.mark.django_db
def test_a_leaf_branch_counts_from_its_own_snapshot_but_a_parent_never_does(branch):
    """A condition with nothing below it has only its own snapshot (narrower=False): that is
    its branch's total. A condition with narrower ones is never counted by its own articles'."""
    tumour, first, *_ = branch
    facets.refresh_snapshots(min_articles=1)
    assert not FacetSnapshot.objects.filter(entity_id=first.pk, narrower=True).exists()
    FacetSnapshot.objects.filter(kind="condition", entity_id=first.pk).update(total=20)
    FacetSnapshot.objects.filter(kind="condition", entity_id=tumour.pk, narrower=True).delete()
    own = FacetSnapshot.objects.get(kind="condition", entity_id=tumour.pk, narrower=False)
    FacetSnapshot.objects.filter(pk=own.pk).update(total=30)
    counts = mesh.branch_counts(condition_ids=[tumour.pk, first.pk])
    assert counts == {("condition", tumour.pk): 4, ("condition", first.pk): 20}


@pytest.mark.django_db
def test_browse_tree_merges_the_places_of_one_condition_under_one_parent(branch):
    tumour, *_ = branch
    [(letter, letter_name, roots)] = mesh.browse_tree()
    assert (letter, letter_name) == ("C", "Diseases")
    [neoplasms] = roots
    assert (neoplasms.name, neoplasms.url, neoplasms.count) == ("Neoplasms", "", 4)
    [node] = neoplasms.children  # one node for both places, counted over both
    assert (node.name, node.url, node.count) == ("Tumour", tumour.get_absolute_url(), 4)
    assert [(c.name, c.count) for c in node.children] == [("First kind", 2), ("Second kind", 1)]
    # With room for the top level only, the narrower branches are counted, once.
    [(_, _, [top])] = mesh.browse_tree(budget=1)
    assert top.children == [] and top.more == 1


@pytest.mark.django_db
def test_neighbourhood_parents_children_and_quiet_children(branch):
    tumour, *_, quiet, _ = branch
    tumour = type(tumour).objects.prefetch_related("tree_numbers").get(pk=tumour.pk)
    place = mesh.neighbourhood(tumour)
    assert [(p.name, p.slug, p.count) for p in place.parents] == [("Neoplasms", "", 4)]
    assert [(c.name, c.count) for c in place.children] == [("First kind", 2), ("Second kind", 1)]
    assert [c.name for c in place.quiet_children] == ["Quiet kind"]
    assert place.count == 4
    assert [[n.name for n in p.path] for p in place.places] == [["Neoplasms"], ["Neoplasms"]]
    quiet = type(quiet).objects.prefetch_related("tree_numbers").get(pk=quiet.pk)
    assert [(p.name, p.url, p.count) for p in mesh.neighbourhood(quiet).parents] == [
        ("Tumour", tumour.get_absolute_url(), 4)
    ]
    no_tree = ConditionFactory()
    assert mesh.neighbourhood(type(no_tree).objects.prefetch_related("tree_numbers").get(pk=no_tree.pk)).parents == []
