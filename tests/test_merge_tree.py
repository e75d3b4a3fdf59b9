"""Merging a condition with its own ancestor or descendant: a warning, and a tree without nesting."""

import pytest
from django.urls import reverse

from articles import services
from articles.models import ConditionTreeNumber

from .factories import ConditionFactory

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

MERGE_URL = reverse("admin:articles_condition_merge")


@pytest.fixture
def family():
    parent = ConditionFactory(name="Hair diseases", slug="hair-diseases", tree_numbers=["C17.800.329"])
    child = ConditionFactory(name="Alopecia", slug="alopecia", tree_numbers=["C17.800.329.937", "C23.888.885.375"])
    grandchild = ConditionFactory(name="Alopecia Areata", slug="alopecia-areata", tree_numbers=["C17.800.329.937.122"])
    return parent, child, grandchild


def numbers(condition):
    return sorted(ConditionTreeNumber.objects.filter(condition=condition).values_list("number", flat=True))


def assert_no_nesting(condition):
    held = numbers(condition)
    assert not [(a, b) for a in held for b in held if a.startswith(b + ".")], held


def test_merging_a_descendant_into_its_ancestor_warns_and_drops_the_nested_numbers(family):
    parent, child, grandchild = family
    plan = services.plan_merge(survivor=parent, others=[child])
    assert any("narrower term of “Hair diseases”" in warning for warning in plan.warnings)
    assert [number.number for number, _ in plan.tree_numbers_dropped] == ["C17.800.329.937"]
    services.merge_entities(survivor=parent, others=[child])
    assert numbers(parent) == ["C17.800.329", "C23.888.885.375"]
    assert_no_nesting(parent)
    assert grandchild in parent.descendants()  # still below the survivor
    assert parent.parents().count() == 0 and list(grandchild.parents()) == []


def test_merging_an_ancestor_into_its_descendant_keeps_the_higher_position(family):
    parent, child, grandchild = family
    plan = services.plan_merge(survivor=grandchild, others=[parent])
    assert any("broader term of “Alopecia Areata”" in warning for warning in plan.warnings)
    services.merge_entities(survivor=grandchild, others=[parent])
    assert numbers(grandchild) == ["C17.800.329"]
    assert_no_nesting(grandchild)
    assert child in grandchild.children()


def test_unrelated_conditions_merge_without_a_warning(family):
    parent, _child, _grandchild = family
    other = ConditionFactory(name="Baldness", slug="baldness", tree_numbers=["C99.001"])
    plan = services.plan_merge(survivor=parent, others=[other])
    assert plan.warnings == [] and plan.tree_numbers_dropped == []


def test_the_preview_shows_the_warning(reviewer_client, family):
    parent, child, _grandchild = family
    response = reviewer_client.get(MERGE_URL, {"ids": [parent.pk, child.pk], "survivor": parent.pk})
    html = response.content.decode()
    assert 'class="merge-warnings"' in html
    assert "narrower term of “Hair diseases”" in html and "C17.800.329.937 (below C17.800.329)" in html
