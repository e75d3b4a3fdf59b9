"""Measure condition linking on BC5CDR, the field's standard disease-normalisation benchmark.

BC5CDR (BioCreative V, chemical-disease relations) ships PubMed abstracts in PubTator
format: per document a title line ``PMID|t|text``, an abstract line ``PMID|a|text``, then
one tab-separated line per annotated mention ``PMID start end text type ids`` (and relation
lines ``PMID CID chemical disease``, which are not used here), and a blank line.

The measure is the challenge's document-level one: per abstract, the set of disease MeSH
ids the linker finds in title and abstract against the gold set of ``Disease`` ids; ids
``-1`` (no MeSH concept) are ignored and a composite ``D1|D2`` counts each id. True
positives, false positives and false negatives are summed over all documents (micro
average). The linker is the import pipeline's own (``pipeline.Linker`` over the process's
matcher); nothing is written.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from ..models import Condition
from .evaluation import Score
from .matcher import CONDITION, get_matcher
from .pipeline import ImportReport, Linker


class PubTatorError(ValueError):
    """The file is not in PubTator format; the message names the line."""


@dataclass
class Document:
    pmid: str
    title: str = ""
    abstract: str = ""
    diseases: set = field(default_factory=set)  # gold disease MeSH ids
    mentions: list = field(default_factory=list)  # (text, ids) of every disease mention


@dataclass
class DocumentResult:
    pmid: str
    predicted: set
    gold: set

    @property
    def false_positives(self):
        return self.predicted - self.gold

    @property
    def false_negatives(self):
        return self.gold - self.predicted


@dataclass
class Benchmark:
    score: Score = field(default_factory=Score)
    documents: list = field(default_factory=list)  # DocumentResult per abstract

    @property
    def count(self):
        return len(self.documents)

    def commonest_errors(self, n=20):
        """([(id, count)] false positives, [(id, count)] false negatives), most frequent first."""
        fps, fns = Counter(), Counter()
        for doc in self.documents:
            fps.update(doc.false_positives)
            fns.update(doc.false_negatives)
        return fps.most_common(n), fns.most_common(n)


def disease_ids(field_text):
    """The MeSH ids of one annotation's id column: '-1' dropped, 'D1|D2' split."""
    return {part.strip() for part in field_text.split("|") if part.strip() and part.strip() != "-1"}


def read_pubtator(lines, *, name="PubTator text"):
    """Documents from PubTator lines (any iterable of str); raises PubTatorError naming the line."""
    documents, current = [], None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            current = None
            continue
        head = line.split("|", 2)
        if len(head) == 3 and head[1] in ("t", "a") and "\t" not in head[0]:
            pmid, part, text = head
            if current is None or current.pmid != pmid:
                if part != "t":
                    raise PubTatorError(f"{name}, line {number}: abstract of {pmid} without a title line before it")
                current = Document(pmid)
                documents.append(current)
            if part == "t":
                current.title = text
            else:
                current.abstract = text
            continue
        columns = line.split("\t")
        if current is None or columns[0] != current.pmid:
            raise PubTatorError(f"{name}, line {number}: not a title, abstract or annotation of the current document")
        if len(columns) >= 2 and columns[1] in ("CID", "CIR"):
            continue  # a chemical-disease relation
        if len(columns) < 6 or not (columns[1].isdigit() and columns[2].isdigit()):
            raise PubTatorError(f"{name}, line {number}: an annotation needs six tab-separated columns")
        if columns[4] == "Disease":
            ids = disease_ids(columns[5])
            current.diseases |= ids
            current.mentions.append((columns[3], ids))
    return documents


def read_file(path):
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as fh:
            documents = read_pubtator(fh, name=str(path))
    except UnicodeDecodeError as exc:
        raise PubTatorError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    if not documents:
        raise PubTatorError(f"{path}: no documents (expected PubTator 'PMID|t|title' lines)")
    return documents


def score(results):
    """Micro-averaged Score over DocumentResults."""
    total = Score()
    for doc in results:
        total.tp += len(doc.predicted & doc.gold)
        total.fp += len(doc.false_positives)
        total.fn += len(doc.false_negatives)
    return total


def evaluate(documents, *, matcher=None, progress=None):
    """Run the import's linker over every abstract (title + abstract) and score the disease ids."""
    benchmark = Benchmark()
    mesh_of = dict(Condition.objects.exclude(mesh_id=None).values_list("pk", "mesh_id"))
    with transaction.atomic():
        linker = Linker(matcher or get_matcher(), ImportReport(dry_run=True))
        for n, doc in enumerate(documents, start=1):
            found = linker.find(doc.title.strip(), doc.abstract.strip())
            predicted = {mesh_of[i.entity_id] for i in found if i.entity_type == CONDITION and i.entity_id in mesh_of}
            benchmark.documents.append(DocumentResult(doc.pmid, predicted, set(doc.diseases)))
            if progress and n % 100 == 0:
                progress(n)
        transaction.set_rollback(True)
    benchmark.score = score(benchmark.documents)
    return benchmark
