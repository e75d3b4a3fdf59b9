"""The MeSH tree as readers browse it: category names, paths, branches with counts.

A condition sits at one or more MeSH tree numbers (C17.800.329.937.122.147); its
parents and children follow from the numbers. The vocabulary does not hold every
number: the packages leave out most top-level categories outside C and F (A03,
G05, N02...), a partial load holds only what it was asked for, and a few
descriptors are missing in the middle of a branch. So a node hangs under its
nearest ancestor that exists, and a top-level number without a descriptor is
labelled with its MeSH category name.

Counts on the tree are distinct published articles in a whole branch — the
condition itself and everything below it, an article counted once however many of
the branch's conditions it mentions — read through the link tables' (condition,
published) index: the published date is on a link only while its article is
public, and rejected links never count.
"""

# SQL here is assembled from constant fragments (table names); values are parameters.
# ruff: noqa: S608

import datetime
import itertools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from .models import ArticleCondition, Condition, ConditionTreeNumber, public_link_sql
from .search.retrieval import SNAPSHOT_MAX_AGE, SNAPSHOT_TABLE

# MeSH 2025 top-level categories (https://meshb.nlm.nih.gov/treeView).
CATEGORY_NAMES = {
    "A01": "Body Regions",
    "A02": "Musculoskeletal System",
    "A03": "Digestive System",
    "A04": "Respiratory System",
    "A05": "Urogenital System",
    "A06": "Endocrine System",
    "A07": "Cardiovascular System",
    "A08": "Nervous System",
    "A09": "Sense Organs",
    "A10": "Tissues",
    "A11": "Cells",
    "A12": "Fluids and Secretions",
    "A13": "Animal Structures",
    "A14": "Stomatognathic System",
    "A15": "Hemic and Immune Systems",
    "A16": "Embryonic Structures",
    "A17": "Integumentary System",
    "C01": "Infections",
    "C04": "Neoplasms",
    "C05": "Musculoskeletal Diseases",
    "C06": "Digestive System Diseases",
    "C07": "Stomatognathic Diseases",
    "C08": "Respiratory Tract Diseases",
    "C09": "Otorhinolaryngologic Diseases",
    "C10": "Nervous System Diseases",
    "C11": "Eye Diseases",
    "C12": "Urogenital Diseases",
    "C14": "Cardiovascular Diseases",
    "C15": "Hemic and Lymphatic Diseases",
    "C16": "Congenital, Hereditary, and Neonatal Diseases and Abnormalities",
    "C17": "Skin and Connective Tissue Diseases",
    "C18": "Nutritional and Metabolic Diseases",
    "C19": "Endocrine System Diseases",
    "C20": "Immune System Diseases",
    "C21": "Disorders of Environmental Origin",
    "C22": "Animal Diseases",
    "C23": "Pathological Conditions, Signs and Symptoms",
    "C24": "Occupational Diseases",
    "C25": "Chemically-Induced Disorders",
    "C26": "Wounds and Injuries",
    "D27": "Chemical Actions and Uses",
    "E01": "Diagnosis",
    "E02": "Therapeutics",
    "E03": "Anesthesia and Analgesia",
    "E04": "Surgical Procedures, Operative",
    "E05": "Investigative Techniques",
    "E06": "Dentistry",
    "E07": "Equipment and Supplies",
    "F01": "Behavior and Behavior Mechanisms",
    "F02": "Psychological Phenomena",
    "F03": "Mental Disorders",
    "F04": "Behavioral Disciplines and Activities",
    "G01": "Physical Phenomena",
    "G02": "Chemical Phenomena",
    "G03": "Metabolism",
    "G04": "Cell Physiological Phenomena",
    "G05": "Genetic Phenomena",
    "G06": "Microbiological Phenomena",
    "G07": "Physiological Phenomena",
    "G08": "Reproductive and Urinary Physiological Phenomena",
    "G09": "Circulatory and Respiratory Physiological Phenomena",
    "G10": "Digestive System and Oral Physiological Phenomena",
    "G11": "Musculoskeletal and Neural Physiological Phenomena",
    "G12": "Immune System Phenomena",
    "G13": "Integumentary System Physiological Phenomena",
    "G14": "Ocular Physiological Phenomena",
    "G15": "Plant Physiological Phenomena",
    "G16": "Biological Phenomena",
    "G17": "Mathematical Concepts",
    "H01": "Natural Science Disciplines",
    "H02": "Health Occupations",
    "I01": "Social Sciences",
    "I02": "Education",
    "I03": "Human Activities",
    "J01": "Technology, Industry, and Agriculture",
    "J02": "Food and Beverages",
    "J03": "Non-Medical Public and Private Facilities",
    "K01": "Humanities",
    "L01": "Information Science",
    "M01": "Persons",
    "N01": "Population Characteristics",
    "N02": "Health Care Facilities, Manpower, and Services",
    "N03": "Health Care Economics and Organizations",
    "N04": "Health Services Administration",
    "N05": "Health Care Quality, Access, and Evaluation",
    "N06": "Environment and Public Health",
}
LETTER_NAMES = {
    "A": "Anatomy",
    "B": "Organisms",
    "C": "Diseases",
    "D": "Chemicals and Drugs",
    "E": "Techniques and Equipment",
    "F": "Psychiatry and Psychology",
    "G": "Phenomena and Processes",
    "H": "Disciplines and Occupations",
    "I": "Anthropology, Education, Sociology, and Social Phenomena",
    "J": "Technology, Industry, and Agriculture",
    "K": "Humanities",
    "L": "Information Science",
    "M": "Named Groups",
    "N": "Health Care",
    "V": "Publication Characteristics",
    "Z": "Geographicals",
}
# Nodes shown on /conditions/: whole levels of the pruned tree are added while they fit.
TREE_BUDGET = 400

LINK_TABLE = ArticleCondition._meta.db_table
TREE_TABLE = ConditionTreeNumber._meta.db_table
PUBLIC_LINK = public_link_sql("l")


def category_name(number):
    """The MeSH category name of a tree number's top level ("C17" → "Skin and Connective Tissue Diseases")."""
    top = number[:3]
    return CATEGORY_NAMES.get(top, f"MeSH branch {top}")


def letter_name(number):
    return LETTER_NAMES.get(number[:1], number[:1])


def ancestors(number):
    """Tree numbers above `number`, top first ("C17.800.329" → ["C17", "C17.800"])."""
    parts = number.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


# Conditions at or below tree number k.number: [N, N/) is N and every number below it,
# as "." sorts just before "/" and the parts of a tree number are digits.
BELOW = f"JOIN {TREE_TABLE} t ON t.number >= k.number AND t.number < k.number || '/'"


def branch_counts(*, numbers=(), condition_ids=(), now=None):
    """Distinct public articles in branches of the tree (one query; absent means none).

    {("number", tree number): count} for each of `numbers` — which need not exist in
    the vocabulary (a MeSH category) — and {("condition", id): count} for each
    condition of `condition_ids`: it and every narrower condition — below any of its
    places, and again below any place of those — each article once (one without tree
    numbers counts its own). The one definition of a branch count: the tree, the
    condition pages and their parent and child lists all read it. A condition whose
    branch is large has a facet snapshot (refresh_search_facets; a condition with
    nothing below it has its own articles' one): while that is younger than
    SNAPSHOT_MAX_AGE its total is the count, and the branch's links — thousands,
    for "Infections" — are not read.
    """
    numbers, condition_ids = sorted(set(numbers)), sorted(set(condition_ids))
    parts, params, head, head_params, tail = [], [], "", [], ""
    if numbers:
        keys = " UNION ALL ".join(["SELECT CAST(%s AS varchar(80)) AS number"] * len(numbers))
        parts.append(f"SELECT 'number' AS kind, k.number AS key, t.condition_id AS member FROM ({keys}) k {BELOW}")
        params.extend(numbers)
    if condition_ids:
        placeholders = ", ".join(["%s"] * len(condition_ids))
        oldest = (now or datetime.datetime.now(datetime.UTC)) - SNAPSHOT_MAX_AGE
        # A branch's total is the snapshot of the condition with its narrower ones, or, for a
        # condition with nothing below it (no tree number has one of its numbers as parent),
        # the snapshot of its own articles.
        snapshots = (
            f"SELECT entity_id, total FROM {SNAPSHOT_TABLE} WHERE kind = 'condition' AND built_at >= %s "
            f"AND entity_id IN ({placeholders}) AND narrower = %s"
        )
        parents = (
            f"SELECT k.condition_id FROM {TREE_TABLE} k JOIN {TREE_TABLE} t ON t.parent_number = k.number "
            f"WHERE k.condition_id IN ({placeholders}) AND t.condition_id <> k.condition_id"
        )
        head = f"fresh AS ({snapshots} UNION ALL {snapshots} AND entity_id NOT IN ({parents})), "
        when = connection.ops.adapt_datetimefield_value(oldest)
        head_params = [when, *condition_ids, True, when, *condition_ids, False, *condition_ids]
        parts.append(
            f"SELECT 'condition' AS kind, CAST(id AS varchar(80)) AS key, id AS member FROM {Condition._meta.db_table} "
            f"WHERE id IN ({placeholders}) AND id NOT IN (SELECT entity_id FROM fresh)"
        )
        params.extend(condition_ids)
        tail = " UNION ALL SELECT 'condition', CAST(entity_id AS varchar(80)), total FROM fresh"
    if not parts:
        return {}
    # The branch is closed over conditions: a member's narrower conditions (below ANY of its
    # places, not only the place on this path) are members too. So a node never counts more
    # than its parent, and a condition counts the same on every path. UNION (not ALL) keeps
    # each (key, member) once, which also ends the recursion.
    closure = (
        f"branch(kind, key, member) AS ({' UNION '.join(parts)} UNION "
        f"SELECT m.kind, m.key, t.condition_id FROM branch m JOIN {TREE_TABLE} k ON k.condition_id = m.member "
        f"JOIN {TREE_TABLE} t ON t.number > k.number AND t.number < k.number || '/')"
    )
    sql = (
        f"WITH RECURSIVE {head}{closure} SELECT m.kind, m.key, COUNT(DISTINCT l.article_id) FROM branch m "
        f"{_member_links()} GROUP BY m.kind, m.key{tail}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*head_params, *params])
        rows = cursor.fetchall()
    return {(kind, key if kind == "number" else int(key)): count for kind, key, count in rows}


def _member_links():
    """The public links of each branch member ``m.member``, one index range per member.

    PostgreSQL cannot estimate how many conditions a range of tree numbers holds (it
    guesses thousands for a dozen), and would then merge-join the whole link index:
    LATERAL keeps it to the members' own rows, which is what SQLite does unasked.
    """
    if connection.vendor == "postgresql":
        return (
            f"CROSS JOIN LATERAL (SELECT l.article_id FROM {LINK_TABLE} l "
            f"WHERE l.condition_id = m.member AND {PUBLIC_LINK} OFFSET 0) l"  # OFFSET 0: not flattened
        )
    return f"JOIN {LINK_TABLE} l ON l.condition_id = m.member WHERE {PUBLIC_LINK}"


@dataclass
class Node:
    """One position in the tree: a condition at a tree number, or a category without one."""

    number: str
    name: str
    slug: str = ""  # empty for a category the vocabulary has no descriptor for
    count: int = 0
    children: list = field(default_factory=list)
    more: int = 0  # branches below with articles that are not shown at this depth

    @property
    def url(self):
        return Condition(slug=self.slug).get_absolute_url() if self.slug else ""


def browse_tree(budget=TREE_BUDGET):
    """[(letter, letter name, [root Node, ...])] of branches with published articles (three queries).

    Whole levels are added while the tree stays within `budget` nodes; deeper
    branches are counted in their parent's ``more`` (a condition's page shows them).
    Places of one condition that end up side by side under one parent (the
    descriptors between them are not loaded) are one node, counted as the condition
    with everything below any of its places.
    """
    rows = ConditionTreeNumber.objects.values_list("number", "condition_id", "condition__name", "condition__slug")
    positions = {number: (pk, name, slug) for number, pk, name, slug in rows}
    with_articles = set(
        ConditionTreeNumber.objects.filter(condition__in=Condition.objects.having_articles().values("pk")).values_list(
            "number", flat=True
        )
    )
    parent_of = {}
    shown = set()
    for number in with_articles:
        chain = [top for top in ancestors(number) if top in positions or "." not in top] + [number]
        for parent, child in itertools.pairwise(chain):
            parent_of[child] = parent
        shown.update(chain)
    children = {}
    for number in shown:
        if number in parent_of:
            children.setdefault(parent_of[number], []).append(number)
    roots = sorted(number for number in shown if number not in parent_of)

    visible, level = [], roots
    while level and len(visible) + len(level) <= budget:
        visible.extend(level)
        level = [child for number in level for child in children.get(number, [])]
    if not visible:
        visible = roots  # every category, whatever the budget

    keys = {}

    def key(number):
        """What a place is shown as: the node of its parent, and its condition (or category)."""
        if number not in keys:
            parent = parent_of.get(number)
            keys[number] = (
                key(parent) if parent else number[:1],
                positions[number][0] if number in positions else number,
            )
        return keys[number]

    def group(numbers):
        """`numbers` in lists of the places shown as one node, in their order."""
        groups = {}
        for number in numbers:
            groups.setdefault(key(number), []).append(number)
        return list(groups.values())

    # Every condition node is counted as the condition (the same on every path, as on its
    # page); a category without a descriptor as the branch below its number.
    counts = branch_counts(
        numbers=[number for number in visible if number not in positions],
        condition_ids={positions[number][0] for number in visible if number in positions},
    )
    visible = set(visible)

    def build(numbers):
        """The node of one condition's places `numbers` (usually one), or of a category."""
        first = numbers[0]
        pk, name, slug = positions.get(first, (None, category_name(first), ""))
        count = counts.get(("condition", pk) if pk else ("number", first), 0)
        node = Node(number=first, name=name, slug=slug, count=count)
        below = [child for number in numbers for child in children.get(number, [])]
        node.more = len({key(child) for child in below if child not in visible})
        node.children = sorted(
            (build(same) for same in group(c for c in below if c in visible)), key=lambda n: n.name.lower()
        )
        return node

    letters = {}
    for same in group(roots):
        letters.setdefault(same[0][:1], []).append(build(same))
    return [(letter, LETTER_NAMES.get(letter, letter), nodes) for letter, nodes in sorted(letters.items())]


@dataclass
class Place:
    """One of a condition's places in the tree: its number and the way down to it."""

    number: str
    path: list  # [Node] from the top category to the nearest existing parent


@dataclass
class Neighbourhood:
    places: list = field(default_factory=list)  # [Place]
    parents: list = field(default_factory=list)  # [Node] one level up (a category when none exists)
    children: list = field(default_factory=list)  # [Node] one level down with published articles, most first
    quiet_children: list = field(default_factory=list)  # [Node] one level down without any yet
    count: int = 0  # distinct public articles about the condition or a narrower one


def neighbourhood(condition):
    """Where `condition` sits in MeSH, with branch counts (two queries; none without tree numbers).

    Uses the condition's prefetched ``tree_numbers``.
    """
    numbers = condition.tree_number_list()
    result = Neighbourhood()
    if not numbers:
        return result
    above = {number for own in numbers for number in ancestors(own)}
    rows = (
        ConditionTreeNumber.objects.filter(Q(number__in=above) | Q(parent_number__in=numbers))
        .exclude(condition=condition)
        .values_list("number", "parent_number", "condition_id", "condition__name", "condition__slug")
    )
    existing = {}
    children = {}
    for number, parent_number, pk, name, slug in rows:
        if number in above:
            existing[number] = (pk, name, slug)
        if parent_number in numbers:
            children.setdefault(pk, (number, name, slug))
    parents = {}  # key → (number, pk or None, name, slug)
    for own in sorted(numbers):
        path = []
        for number in ancestors(own):
            if number in existing:
                pk, name, slug = existing[number]
                path.append(Node(number=number, name=name, slug=slug))
            elif "." not in number:
                path.append(Node(number=number, name=category_name(number)))
        result.places.append(Place(number=own, path=path))
        if path:
            top = path[-1]
            pk = existing[top.number][0] if top.slug else None
            parents.setdefault(pk or top.number, (top.number, pk, top.name, top.slug))
    counts = branch_counts(
        numbers=[number for number, pk, _, _ in parents.values() if pk is None],
        condition_ids=[condition.pk, *children, *(pk for _, pk, _, _ in parents.values() if pk)],
    )
    result.count = counts.get(("condition", condition.pk), 0)
    for number, pk, name, slug in parents.values():
        key = ("condition", pk) if pk else ("number", number)
        result.parents.append(Node(number=number, name=name, slug=slug, count=counts.get(key, 0)))
    for pk, (number, name, slug) in children.items():
        node = Node(number=number, name=name, slug=slug, count=counts.get(("condition", pk), 0))
        (result.children if node.count else result.quiet_children).append(node)
    result.parents.sort(key=lambda n: n.name.lower())
    result.children.sort(key=lambda n: (-n.count, n.name.lower()))
    result.quiet_children.sort(key=lambda n: n.name.lower())
    return result


def natural_order(name):
    """A MeSH name in reading order, for lists where its commas would read as separators:
    "Mucinosis, Follicular" → "Follicular Mucinosis", "Leukemia, Myeloid, Acute" → "Acute
    Myeloid Leukemia". A name whose commas are a real enumeration ("… Diseases, and …") or
    that has no comma is left as it is."""
    parts = [part.strip() for part in name.split(", ")]  # "1,2-Dihydroxy…": no space, not inverted
    if len(parts) < 2 or any(not part or part.split()[0].lower() in {"and", "or"} for part in parts):
        return name
    return " ".join(reversed(parts))
