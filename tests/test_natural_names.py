"""MeSH inverted names read in natural order in comma lists (issue 14, item 9)."""

import pytest

from articles.mesh import natural_order

from .factories import ConditionFactory
from .searchkit import story


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Mucinosis, Follicular", "Follicular Mucinosis"),
        ("Leukemia, Myeloid, Acute", "Acute Myeloid Leukemia"),
        ("Alopecia Areata", "Alopecia Areata"),
        ("Congenital, Hereditary, and Neonatal Diseases", "Congenital, Hereditary, and Neonatal Diseases"),
        ("1,2-Dimethylhydrazine", "1,2-Dimethylhydrazine"),
    ],
)
def test_natural_order(name, shown):
    assert natural_order(name) == shown


@pytest.mark.django_db
def test_a_quiet_children_list_cannot_be_misread(client):
    parent = ConditionFactory(name="Testhair Disease", tree_numbers=["C17.900"])
    ConditionFactory(name="Testrash, Follicular", tree_numbers=["C17.900.100"])
    ConditionFactory(name="Testloss Syndrome", tree_numbers=["C17.900.200"])
    story("A story", "Text.", links=[(parent, {})])
    html = client.get(parent.get_absolute_url()).content.decode()
    assert "Follicular Testrash</a>" in html and "Testrash, Follicular" not in html
