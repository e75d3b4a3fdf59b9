"""One definition of a branch count (issue 14, item 8): articles linked to a condition or any
narrower one — narrower below ANY of its places, and so on down — each article once. The tree,
the condition page and its parent and child lists all show that number, so a node never counts
more than its parent and a condition counts the same on every path.

The shape is the issue's: a weight condition at two places (under a phenomena branch and a
nutrition branch), with a narrower condition only under its second place."""

import pytest

from articles import mesh

from .factories import ConditionFactory
from .searchkit import story

pytestmark = pytest.mark.django_db


@pytest.fixture
def weights():
    phenomena = ConditionFactory(name="Testphenomena", tree_numbers=["G07.100"])
    weight = ConditionFactory(name="Testweight", tree_numbers=["G07.100.200", "C18.300.400"])
    heavy = ConditionFactory(name="Testheavy", tree_numbers=["C18.300.400.500"])  # narrower, second place only
    story("Weight one", "A story.", links=[(weight, {})])
    for i in range(3):
        story(f"Heavy {i}", "A story.", links=[(heavy, {})])
    story("Both", "A story.", links=[(weight, {}), (heavy, {})])
    return phenomena, weight, heavy


def walk(nodes):
    for node in nodes:
        yield node
        yield from walk(node.children)


def test_a_child_never_counts_more_than_its_parent_and_a_node_counts_the_same_everywhere(weights):
    phenomena, weight, _heavy = weights
    nodes = [n for _, _, roots in mesh.browse_tree() for n in walk(roots)]

    def check(node):
        for child in node.children:
            assert child.count <= node.count, (node.name, node.count, child.name, child.count)
            check(child)

    for _, _, roots in mesh.browse_tree():
        for root in roots:
            check(root)
    counts = {}
    for node in nodes:
        if node.slug:
            counts.setdefault(node.slug, set()).add(node.count)
    assert counts[weight.slug] == {5}  # 1 + 3 + 1 under either path, each article once
    assert counts[phenomena.slug] == {5}  # includes the weight condition's narrower one
    assert all(len(c) == 1 for c in counts.values()), counts


def test_the_condition_page_lists_show_the_tree_count(client, weights):
    phenomena, weight, heavy = weights
    tree = {n.slug: n.count for _, _, roots in mesh.browse_tree() for n in walk(roots) if n.slug}
    around = mesh.neighbourhood(weight)
    assert around.count == tree[weight.slug] == 5
    assert {p.slug: p.count for p in around.parents if p.slug} == {phenomena.slug: tree[phenomena.slug]}
    assert [(c.slug, c.count) for c in around.children] == [(heavy.slug, 4)]
    page = client.get(phenomena.get_absolute_url()).content.decode()
    assert weight.get_absolute_url() in page
    assert mesh.neighbourhood(phenomena).children[0].count == 5
