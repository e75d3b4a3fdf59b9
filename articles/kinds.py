"""The one registry of entity kinds: their models, alias and link tables, standard id, page
template. Search, the page loader, the public pages, feeds and the API read them here.

Drug classes are linked to articles and shown with them (``LINKED_KINDS``), and a query
may name one (``RESOLVED_KINDS``: "statins" reads the class's links and its members'), but
they have no entity card or facet of their own (``KINDS``).
"""

from dataclasses import dataclass
from functools import cached_property

from .models import (
    ArticleCondition,
    ArticleDrug,
    ArticleDrugClass,
    ArticleInstitution,
    Condition,
    ConditionAlias,
    Drug,
    DrugAlias,
    DrugClass,
    DrugClassAlias,
    Institution,
    InstitutionAlias,
)


@dataclass(frozen=True)
class Kind:
    name: str  # "drug"
    plural: str  # "drugs" (JSON keys, facet names)
    model: type
    alias_model: type
    link_model: type
    standard_id: str | None = None  # the column of its standard identifier ("drugbank_id", "mesh_id")

    @property
    def template(self):
        """Its public page's template."""
        return f"articles/{self.name}_detail.html"

    @property
    def column(self):
        """The link table's entity column ("drug_id")."""
        return f"{self.link_model.entity_field}_id"

    @property
    def link_table(self):
        return self.link_model._meta.db_table

    @property
    def alias_table(self):
        return self.alias_model._meta.db_table

    @property
    def entity_table(self):
        return self.model._meta.db_table

    @cached_property
    def alias_history_table(self):
        """The alias table's history (django-simple-history); its manager is costly to reach."""
        return self.alias_model.history.model._meta.db_table


DRUG = Kind("drug", "drugs", Drug, DrugAlias, ArticleDrug, standard_id="drugbank_id")
CONDITION = Kind("condition", "conditions", Condition, ConditionAlias, ArticleCondition, standard_id="mesh_id")
INSTITUTION = Kind("institution", "institutions", Institution, InstitutionAlias, ArticleInstitution)
KINDS = (DRUG, CONDITION, INSTITUTION)
DRUG_CLASS = Kind("drug_class", "drug_classes", DrugClass, DrugClassAlias, ArticleDrugClass)
LINKED_KINDS = (*KINDS, DRUG_CLASS)
RESOLVED_KINDS = LINKED_KINDS
LINKED_BY_NAME = {kind.name: kind for kind in LINKED_KINDS}
BY_NAME = {kind.name: kind for kind in KINDS}
BY_PLURAL = {kind.plural: kind for kind in KINDS}
