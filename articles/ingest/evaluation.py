"""Measure linking against hand-annotated stories (tests/data/linking/articles.toml).

For every story the linker's entities (by name) are compared with the gold names; per
entity type this gives true positives, false positives and false negatives, hence
precision, recall and F1. Institutions the linker would create are compared by name.
A combination product is annotated as its ingredients: a link to the combination entity
itself is not scored (neither way) when its ingredients are linked.
Nothing is written: the run is rolled back.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ..models import Condition, Drug, Institution
from ..text import normalize
from .matcher import CONDITION, DRUG, INSTITUTION, get_matcher
from .pipeline import ImportReport, Linker

DEFAULT_GOLD = Path(settings.BASE_DIR) / "tests" / "data" / "linking" / "articles.toml"
GOLD_KEYS = {CONDITION: "conditions", DRUG: "drugs", INSTITUTION: "institutions"}
MODELS = {CONDITION: Condition, DRUG: Drug, INSTITUTION: Institution}
# The entity types the gold stories annotate (drug classes are not annotated; README.md there).
ENTITY_TYPES = tuple(GOLD_KEYS)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self):
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self):
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self):
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    scores: dict = field(default_factory=lambda: {t: Score() for t in ENTITY_TYPES})
    errors: list = field(default_factory=list)  # (article id, type, "extra"/"missed", name)
    non_medical_links: dict = field(default_factory=dict)  # article id -> [names]
    unknown_gold: list = field(default_factory=list)
    articles: int = 0


def load_gold(path=DEFAULT_GOLD):
    with open(path, "rb") as fh:
        return tomllib.load(fh).get("article", [])


def evaluate(gold=None, *, matcher=None):
    gold = load_gold() if gold is None else gold
    result = Evaluation()
    with transaction.atomic():
        linker = Linker(matcher or get_matcher(), ImportReport(dry_run=True))
        for story in gold:
            _score_story(story, linker, result)
        transaction.set_rollback(True)
    return result


def _score_story(story, linker, result):
    result.articles += 1
    title, body = story["title"].strip(), story["body"].strip()
    found = linker.find(title, body)
    ids = {t: [item.entity_id for item in found if item.entity_type == t and item.entity_id] for t in ENTITY_TYPES}
    for entity_type in ENTITY_TYPES:
        names = dict(MODELS[entity_type].objects.filter(pk__in=ids[entity_type]).values_list("pk", "name"))
        predicted = {normalize(names[pk]): names[pk] for pk in ids[entity_type] if pk in names}
        unscored = _combinations_with_ingredients(ids[DRUG]) if entity_type == DRUG else set()
        predicted = {key: name for key, name in predicted.items() if key not in unscored}
        if entity_type == INSTITUTION:  # ones the import would create, by the name it would give them
            predicted.update((normalize(i.matched_text), i.matched_text) for i in found if i.new_institution)
        expected = {normalize(name): name for name in story.get(GOLD_KEYS[entity_type], [])}
        expected = {key: name for key, name in expected.items() if key not in unscored}
        for key, name in expected.items():
            known = MODELS[entity_type].objects.filter(aliases__normalized=key).exists()
            if not known and entity_type != INSTITUTION:
                result.unknown_gold.append((story["id"], entity_type, name))
        score = result.scores[entity_type]
        score.tp += len(predicted.keys() & expected.keys())
        score.fp += len(predicted.keys() - expected.keys())
        score.fn += len(expected.keys() - predicted.keys())
        result.errors.extend((story["id"], entity_type, "extra", predicted[k]) for k in predicted.keys() - expected)
        result.errors.extend((story["id"], entity_type, "missed", expected[k]) for k in expected.keys() - predicted)
        if story.get("kind") == "non_medical" and predicted:
            result.non_medical_links.setdefault(story["id"], []).extend(predicted.values())


def _combinations_with_ingredients(drug_ids):
    """Normalised names of the linked combinations whose ingredients are all linked too."""
    linked = set(drug_ids)
    through = Drug.ingredients.through
    ingredients = {}
    for combination, ingredient in through.objects.filter(from_drug_id__in=linked).values_list(
        "from_drug_id", "to_drug_id"
    ):
        ingredients.setdefault(combination, set()).add(ingredient)
    done = [pk for pk, parts in ingredients.items() if parts <= linked]
    return {normalize(name) for name in Drug.objects.filter(pk__in=done).values_list("name", flat=True)}
