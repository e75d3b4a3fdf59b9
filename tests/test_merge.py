"""Merging entities (services.plan_merge / merge_entities) and the redirects it leaves."""

import pytest
from django.contrib.auth import get_user_model

from articles import services
from articles.models import (
    AliasKind,
    ArticleCondition,
    ArticleDrug,
    Condition,
    ConditionAlias,
    ConditionTreeNumber,
    DrugAlias,
    EntityRedirect,
    Institution,
    LinkOrigin,
    LinkStatus,
)

from .factories import ArticleFactory, ConditionFactory, DrugFactory, InstitutionFactory, link, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return get_user_model().objects.create_user("rita", password="x")


@pytest.fixture
def pair(editor):
    """Survivor "Hair loss" and "Alopecia" to merge into it, with overlapping links and aliases."""
    survivor = ConditionFactory(name="Hair loss", slug="hair-loss", mesh_id=None, aliases=["baldness"])
    other = ConditionFactory(
        name="Alopecia",
        slug="alopecia",
        mesh_id="D000505",
        description="Loss of hair.",
        aliases=["Baldness", "alopecias"],
        tree_numbers=["C17.800.329.937", "C23.888.885.375"],
    )
    Condition.objects.filter(pk=other.pk).update(vocabulary_key="mesh:D000505")
    other.refresh_from_db()
    both, only_survivor, only_other = ArticleFactory.create_batch(3)
    for article in (both, only_survivor, only_other):
        publish(article)
    link(both, survivor, status=LinkStatus.SUGGESTED, mention_count=2, confidence=0.6, first_offset=40)
    link(
        both,
        other,
        status=LinkStatus.CONFIRMED,
        mention_count=5,
        confidence=0.9,
        first_offset=10,
        matched_text="alopecia",
        reviewed_by=editor,
    )
    link(only_survivor, survivor, status=LinkStatus.CONFIRMED)
    link(only_other, other, status=LinkStatus.REJECTED, origin=LinkOrigin.EDITOR)
    return survivor, other, {"both": both, "only_survivor": only_survivor, "only_other": only_other}


def test_merge_moves_links_without_duplicates_keeping_the_stronger_link(pair, editor):
    survivor, other, articles = pair
    services.merge_entities(survivor=survivor, others=[other], by=editor)

    assert not Condition.objects.filter(pk=other.pk).exists()
    links = {row.article_id: row for row in ArticleCondition.objects.filter(condition=survivor)}
    assert set(links) == {a.pk for a in articles.values()}
    assert ArticleCondition.objects.count() == 3  # nothing dangling, nothing doubled
    collapsed = links[articles["both"].pk]
    assert collapsed.status == LinkStatus.CONFIRMED
    assert collapsed.reviewed_by == editor
    assert (collapsed.mention_count, collapsed.confidence) == (5, 0.9)
    assert (collapsed.first_offset, collapsed.matched_text) == (10, "alopecia")
    # A rejected link stays rejected, an editor's link stays the editor's.
    moved = links[articles["only_other"].pk]
    assert (moved.status, moved.origin) == (LinkStatus.REJECTED, LinkOrigin.EDITOR)
    # The copied publication date travels with the link: the survivor's public count is right.
    assert survivor.public_article_count() == 2


def test_merge_moves_aliases_tree_numbers_and_fills_empty_fields(pair, editor):
    survivor, other, _ = pair
    services.merge_entities(survivor=survivor, others=[other], by=editor)

    aliases = {a.normalized: a for a in ConditionAlias.objects.filter(condition=survivor)}
    assert sorted(aliases) == ["alopecia", "alopecias", "baldness", "hair loss"]
    # The merged-away preferred name is now a synonym; the survivor keeps its own name.
    assert aliases["alopecia"].kind == AliasKind.SYNONYM
    assert aliases["hair loss"].kind == AliasKind.NAME
    assert sorted(ConditionTreeNumber.objects.filter(condition=survivor).values_list("number", flat=True)) == [
        "C17.800.329.937",
        "C23.888.885.375",
    ]
    survivor.refresh_from_db()
    assert (survivor.mesh_id, survivor.description) == ("D000505", "Loss of hair.")
    assert (survivor.name, survivor.slug) == ("Hair loss", "hair-loss")


def test_merge_keeps_the_survivors_own_values(editor):
    survivor = ConditionFactory(name="Keep", mesh_id="D000001", description="Mine.")
    other = ConditionFactory(name="Drop", mesh_id="D000002", description="Theirs.")
    plan = services.merge_entities(survivor=survivor, others=[other], by=editor)
    survivor.refresh_from_db()
    assert (survivor.mesh_id, survivor.description) == ("D000001", "Mine.")
    assert plan.fields_filled == {}


def test_merge_leaves_a_redirect_and_retires_the_vocabulary_key(pair, editor, client):
    survivor, other, _ = pair
    services.merge_entities(survivor=survivor, others=[other], by=editor)

    redirect = EntityRedirect.objects.get(entity_type="condition", old_slug="alopecia")
    assert (redirect.target_id, redirect.old_name, redirect.vocabulary_key) == (
        survivor.pk,
        "Alopecia",
        "mesh:D000505",
    )
    response = client.get("/conditions/alopecia/?page=1")
    assert response.status_code == 301
    assert response["Location"] == "/conditions/hair-loss/?page=1"
    assert client.get("/conditions/no-such-thing/").status_code == 404
    # The same slug under another entity type is not redirected.
    assert client.get("/drugs/alopecia/").status_code == 404


def test_merge_moves_history_and_records_who_merged(pair, editor):
    survivor, other, _ = pair
    Condition.objects.get(pk=other.pk).save()  # one ordinary edit in the other's history
    services.merge_entities(survivor=survivor, others=[other], by=editor)

    assert not Condition.history.filter(id=other.pk).exists()
    records = list(Condition.history.filter(id=survivor.pk).order_by("history_date", "history_id"))
    assert "Alopecia" in {r.name for r in records}
    deletion = next(r for r in records if r.history_type == "-")
    assert deletion.history_change_reason == f"merge into “Hair loss” (#{survivor.pk})"
    latest = records[-1]
    assert latest.history_user == editor
    assert latest.history_change_reason == f"merged in: “Alopecia” (#{other.pk})"
    moved = ArticleCondition.history.filter(condition_id=survivor.pk, history_type="~").first()
    assert moved.history_user == editor
    assert moved.history_change_reason == deletion.history_change_reason


def test_plan_is_a_true_preview_and_changes_nothing(pair):
    survivor, other, articles = pair
    before = list(ArticleCondition.objects.values_list("pk", "condition_id", "status", "mention_count"))
    plan = services.plan_merge(survivor=survivor, others=[other])
    assert list(ArticleCondition.objects.values_list("pk", "condition_id", "status", "mention_count")) == before
    assert Condition.objects.filter(pk=other.pk).exists()

    assert [link.article_id for link in plan.links_moved] == [articles["only_other"].pk]
    assert [(c.kept.article_id, c.status_before, c.kept.status) for c in plan.links_collapsed] == [
        (articles["both"].pk, LinkStatus.SUGGESTED, LinkStatus.CONFIRMED)
    ]
    assert sorted(a.text for a in plan.aliases_moved) == ["Alopecia", "alopecias"]
    assert [a.text for a in plan.aliases_dropped] == ["Baldness"]
    assert plan.redirects == [("alopecia", "Alopecia", "mesh:D000505")]
    assert set(plan.fields_filled) == {"mesh_id", "description"}

    done = services.merge_entities(survivor=survivor, others=[other])
    assert len(done.links_moved) == len(plan.links_moved)
    assert len(done.links_collapsed) == len(plan.links_collapsed)
    assert "1 link moved, 1 duplicate link collapsed, 2 aliases moved (1 duplicate dropped)" in done.summary()


def test_three_way_merge_collapses_links_between_the_others_too():
    survivor, second, third = ConditionFactory.create_batch(3)
    article = ArticleFactory()
    link(article, second, status=LinkStatus.SUGGESTED, mention_count=1)
    link(article, third, status=LinkStatus.REJECTED, mention_count=3)
    services.merge_entities(survivor=survivor, others=[second, third])
    row = ArticleCondition.objects.get()
    assert (row.condition_id, row.status, row.mention_count) == (survivor.pk, LinkStatus.REJECTED, 3)
    assert Condition.objects.count() == 1
    assert EntityRedirect.objects.filter(target_id=survivor.pk).count() == 2


def test_chained_merges_redirect_straight_to_the_last_survivor(client):
    first, second, third = ConditionFactory.create_batch(3)
    services.merge_entities(survivor=second, others=[third])
    services.merge_entities(survivor=first, others=[second])
    assert set(EntityRedirect.objects.values_list("old_slug", "target_id")) == {
        (second.slug, first.pk),
        (third.slug, first.pk),
    }
    response = client.get(f"/conditions/{third.slug}/")
    assert (response.status_code, response["Location"]) == (301, first.get_absolute_url())


def test_drugs_and_institutions_merge_the_same_way():
    rux = DrugFactory(name="Ruxolitinib", drugbank_id=None, aliases=["Jakafi"])
    brand = DrugFactory(name="Jakavi", drugbank_id="DB08877", aliases=["jakafi"])
    article = ArticleFactory()
    link(article, rux)
    link(article, brand)
    services.merge_entities(survivor=rux, others=[brand])
    rux.refresh_from_db()
    assert rux.drugbank_id == "DB08877"
    assert ArticleDrug.objects.filter(article=article).count() == 1
    assert sorted(DrugAlias.objects.filter(drug=rux).values_list("normalized", flat=True)) == [
        "jakafi",
        "jakavi",
        "ruxolitinib",
    ]
    a, b = InstitutionFactory(country=""), InstitutionFactory(country="US")
    services.merge_entities(survivor=a, others=[b])
    a.refresh_from_db()
    assert a.country == "US"
    assert Institution.objects.count() == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("itself", "cannot be merged into itself"),
        ("nothing", "Choose at least two conditions"),
        ("mixed", "Only conditions can be merged"),
    ],
)
def test_bad_merges_are_refused_with_a_clear_message(case, message):
    survivor = ConditionFactory()
    others = {"itself": [survivor], "nothing": [], "mixed": [DrugFactory()]}[case]
    with pytest.raises(services.MergeError, match=message):
        services.merge_entities(survivor=survivor, others=others)
    assert Condition.objects.filter(pk=survivor.pk).exists()


def test_merge_of_an_entity_deleted_meanwhile_is_refused():
    survivor, other = ConditionFactory.create_batch(2)
    Condition.objects.filter(pk=other.pk).delete()
    with pytest.raises(services.MergeError, match=f"#{other.pk} no longer exists"):
        services.merge_entities(survivor=survivor, others=[other])


def test_merge_is_one_transaction(pair, monkeypatch):
    survivor, other, _ = pair

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(EntityRedirect.objects, "update_or_create", fail)
    before = sorted(ArticleCondition.objects.values_list("pk", "condition_id", "status"))
    with pytest.raises(RuntimeError):
        services.merge_entities(survivor=survivor, others=[other])
    assert sorted(ArticleCondition.objects.values_list("pk", "condition_id", "status")) == before
    assert ConditionAlias.objects.filter(condition=other).count() == 3
    assert Condition.objects.filter(pk=other.pk).exists()


def test_load_vocabulary_does_not_bring_a_merged_entity_back(load_vocabulary_subset):
    load_vocabulary_subset(conditions={"Alopecia", "Alopecia Areata"})
    survivor = Condition.objects.get(name="Alopecia Areata")
    other = Condition.objects.get(name="Alopecia")
    services.merge_entities(survivor=survivor, others=[other])

    load_vocabulary_subset(conditions={"Alopecia", "Alopecia Areata"})
    assert not Condition.objects.filter(name="Alopecia").exists()
    assert Condition.objects.count() == 1
    assert ConditionAlias.objects.filter(condition=survivor, normalized="alopecia").exists()
