"""Measure linking on real published news: our annotations of FakeHealth stories.

The stories belong to their outlets, so the project keeps only its annotations
(tests/data/linking/fakehealth.toml: per story the URL that finds it in the corpus and the
gold lists) and reads the texts at run time from ``../shared/corpora/fakehealth/
healthstory.jsonl`` (one JSON object a line: title, body, url, source, published).

Gold names are resolved to entities before they are compared: the entity's own name first,
else a unique alias with that normalised text, so a brand, a salt form or a former name
resolves to whatever entity the vocabulary files it under. A gold condition or drug that does
not resolve is a vocabulary gap and counts as missed; a gold institution that does not resolve
is compared by name with the institutions the import would create. Drug classes are scored
only once the vocabulary has a ``DrugClass`` model and the matcher links classes; until then
they are skipped with a warning. Nothing is written: the run is rolled back.
"""

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import transaction

from ..models import Condition, Drug, Institution
from ..text import normalize
from . import matcher as matcher_module
from .evaluation import Score
from .matcher import CONDITION, DRUG, INSTITUTION, get_matcher
from .pipeline import ImportReport, Linker

DEFAULT_GOLD = Path(settings.BASE_DIR) / "tests" / "data" / "linking" / "fakehealth.toml"
DEFAULT_CORPUS = Path(settings.BASE_DIR).parent / "shared" / "corpora" / "fakehealth" / "healthstory.jsonl"
MIN_BODY = 400  # characters once stripped: shorter bodies are teasers or cut-offs
CLASS = "class"  # the gold type for drug classes (the matcher's own name for it may differ)
GOLD_KEYS = {CONDITION: "conditions", DRUG: "drugs", CLASS: "classes", INSTITUTION: "institutions"}
STORY_KEYS = {"id", "url", *GOLD_KEYS.values()}


class CorpusMissing(FileNotFoundError):
    """The FakeHealth corpus is not where the evaluation looks for it."""


@dataclass
class Story:
    id: str
    url: str
    title: str
    body: str
    gold: dict  # type -> [gold names]


@dataclass
class RealNewsEvaluation:
    scores: dict = field(default_factory=lambda: {t: Score() for t in GOLD_KEYS})
    errors: list = field(default_factory=list)  # (story id, type, "extra"/"missed", name)
    gaps: list = field(default_factory=list)  # (story id, type, gold name, why it did not resolve)
    skipped: dict = field(default_factory=dict)  # type -> why it was not scored
    stories: int = 0


# --------------------------------------------------------------------------- reading


def read_corpus(path=DEFAULT_CORPUS):
    """{url: story dict} from the JSON-lines corpus; a clear error for a missing file or a bad line."""
    path = Path(path)
    if not path.is_file():
        raise CorpusMissing(
            f"{path}: the FakeHealth corpus is not there (healthstory.jsonl from ../shared/corpora/fakehealth/); "
            "pass --corpus to give its path"
        )
    stories = {}
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                story = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}, line {number}: not JSON ({exc.msg})") from exc
            if not isinstance(story, dict) or not all(isinstance(story.get(k), str) for k in ("url", "title", "body")):
                raise ValueError(f"{path}, line {number}: a story needs text fields url, title and body")
            stories.setdefault(story["url"], story)
    return stories


def select_stories(corpus, count=70, *, min_body=MIN_BODY):
    """The annotated set's rule: by SHA-256 of the URL, ascending, skipping short bodies; the first `count`."""
    ordered = sorted(corpus.values(), key=lambda story: hashlib.sha256(story["url"].encode("utf-8")).hexdigest())
    return [story for story in ordered if len(story["body"].strip()) >= min_body][:count]


def load_gold(path=DEFAULT_GOLD):
    """The annotated stories ([[article]] tables), checked: ids and URLs unique, lists of names."""
    with open(path, "rb") as fh:
        entries = tomllib.load(fh).get("article", [])
    if not entries:
        raise ValueError("no [[article]] entries")
    seen = {"id": set(), "url": set()}
    for number, entry in enumerate(entries, 1):
        where = f"article {number} ({entry.get('id', 'no id')})"
        unknown = set(entry) - STORY_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        for key in ("id", "url"):
            if not isinstance(entry.get(key), str) or not entry[key]:
                raise ValueError(f"{where}: `{key}` is required")
            if entry[key] in seen[key]:
                raise ValueError(f"{where}: {key} {entry[key]!r} appears twice")
            seen[key].add(entry[key])
        for key in GOLD_KEYS.values():
            names = entry.get(key, [])
            if not isinstance(names, list) or not all(isinstance(name, str) and name.strip() for name in names):
                raise ValueError(f"{where}: `{key}` must be a list of names")
    return entries


def attach_texts(entries, corpus):
    """Stories with their title and body from the corpus; an error naming every URL it lacks."""
    absent = [entry["id"] for entry in entries if entry["url"] not in corpus]
    if absent:
        raise ValueError(f"{len(absent)} annotated stories are not in the corpus (by url): {', '.join(absent)}")
    return [
        Story(
            entry["id"],
            entry["url"],
            corpus[entry["url"]]["title"],
            corpus[entry["url"]]["body"],
            {t: entry.get(key, []) for t, key in GOLD_KEYS.items()},
        )
        for entry in entries
    ]


def load_stories(gold=DEFAULT_GOLD, corpus=DEFAULT_CORPUS):
    return attach_texts(load_gold(gold), read_corpus(corpus))


# --------------------------------------------------------------------------- resolving gold names


def class_model():
    """The DrugClass model once the vocabulary has one, else None."""
    try:
        return apps.get_model("articles", "DrugClass")
    except LookupError:
        return None


def models_by_type():
    models = {CONDITION: Condition, DRUG: Drug, INSTITUTION: Institution}
    if class_model() is not None:
        models[CLASS] = class_model()
    return models


def resolve(model, name):
    """(entity, None) for a gold name, else (None, why): its own name first, else a unique alias."""
    key = normalize(name)
    candidates = list(model.objects.filter(aliases__normalized=key).distinct())
    named = [entity for entity in candidates if normalize(entity.name) == key]
    if not named:
        named = list(model.objects.filter(name__iexact=name.strip()))
    if len(named) == 1:
        return named[0], None
    if len(candidates) == 1:
        return candidates[0], None
    if candidates:
        return None, "ambiguous: " + "; ".join(sorted(entity.name for entity in candidates))
    return None, "not in the vocabulary"


# --------------------------------------------------------------------------- scoring


def evaluate(stories, *, matcher=None):
    """Run the linker over `stories` and score it against their gold, per type. Writes nothing."""
    result = RealNewsEvaluation()
    models = models_by_type()
    class_type = getattr(matcher_module, "DRUG_CLASS", None)
    if CLASS not in models or class_type is None:
        result.skipped[CLASS] = "the vocabulary has no drug classes yet (no DrugClass model linked by the matcher)"
        del result.scores[CLASS]
    linked_types = {CONDITION: CONDITION, DRUG: DRUG, INSTITUTION: INSTITUTION}
    if CLASS not in result.skipped:
        linked_types[CLASS] = class_type
    with transaction.atomic():
        linker = Linker(matcher or get_matcher(), ImportReport(dry_run=True))
        for story in stories:
            result.stories += 1
            found = linker.find(story.title.strip(), story.body.strip())
            for gold_type, entity_type in linked_types.items():
                _score(story, gold_type, models[gold_type], [i for i in found if i.entity_type == entity_type], result)
        transaction.set_rollback(True)
    return result


def _score(story, gold_type, model, found, result):
    """Compare one type: entities by id, unresolved gold and proposed new institutions by name."""
    ids = [item.entity_id for item in found if item.entity_id]
    names = dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))
    predicted = {("id", pk): names[pk] for pk in ids if pk in names}
    predicted.update((("name", normalize(i.matched_text)), i.matched_text) for i in found if i.entity_id is None)
    expected = {}
    for name in story.gold[gold_type]:
        entity, why = resolve(model, name)
        if entity is not None:
            expected[("id", entity.pk)] = entity.name
        else:
            expected[("name", normalize(name))] = name
            result.gaps.append((story.id, gold_type, name, why))
    extra, missed = sorted(predicted.keys() - expected.keys()), sorted(expected.keys() - predicted.keys())
    score = result.scores[gold_type]
    score.tp += len(predicted.keys() & expected.keys())
    score.fp += len(extra)
    score.fn += len(missed)
    result.errors.extend((story.id, gold_type, "extra", predicted[k]) for k in extra)
    result.errors.extend((story.id, gold_type, "missed", expected[k]) for k in missed)
