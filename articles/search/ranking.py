"""How results are ordered: link strength, recency and text rank, blended.

Stage one, in SQL over every matching link row (``retrieval``):

    score = Σ over query parts of the article's best link strength  + recency

    link strength = 1.0 if an editor confirmed the link, else 0.5 + 0.3 × confidence
                  + 0.8 if the name is in the title
                  + 0.08 × mentions (at most 8)
                  + 0.3 if the body names it in its lead (first LEAD_CHARS characters)
                  × 0.8 when the link is to a narrower condition than the one searched
    recency       = 0.8 / (1 + age in days / 365)

Stage two, in Python over the best CANDIDATES of stage one: a candidate that matched
the names in its text alone gains their full-text rank (normalised to 0–1 by the best
such candidate, × TEXT_STRENGTH); every candidate gains the full-text rank
of the words typed (normalised to 0–1 by the best candidate, × TEXT_WEIGHT), so an
article that says "Jakafi" ranks above one that only says "ruxolitinib" for the query
"Jakafi"; then syndicated copies go after every original in the window, so that copies of
one story do not crowd out other stories (the copy is still found, and counted, just below).
Pages past the window keep the stage-one order.

For word-only queries stage one is the normalised text rank × TEXT_WEIGHT + recency.
"""

# Several concepts (the parts of a query: "jakafi" and "hair loss"): an article scores
# CONCEPT_TIER per concept it matches, and LINKED_TIER more per concept matched by a link
# rather than by its names in the text alone (a text-only match scores TEXT_ONLY as its
# link strength). The tiers exceed any blend of strength, recency and text rank, so the
# articles matching every concept come first, and a linked story above a text-only one.
CONCEPT_TIER = 100.0
LINKED_TIER = 10.0
TEXT_ONLY = 0.3
WORDS_WEIGHT = 3.0  # other words typed beside names ("ruxolitinib vitiligo"): a lift within a tier
# Only words that tell stories apart lift: one that more than COMMON_SHARE of the stories hold
# ("help", "new", "treatment" in health news) lifts nothing, and a rarer one lifts by its
# rarity, in full when at most one story in RARE_RATIO holds it (``retrieval.Counts.rarity``).
COMMON_SHARE = 0.5
RARE_RATIO = 100.0
# A words-only query ("does acupuncture really work") matches its rare words (rarity at least
# this) when it has any; its other words only lift the rank, so that a story holding "really"
# and "work" beside "acupuncture" in passing does not come before one about acupuncture.
STRONG_RARITY = 0.5

CANDIDATES = 200  # best stage-one rows re-ranked in stage two

CONFIRMED = 1.0
SUGGESTED_BASE = 0.5
SUGGESTED_CONFIDENCE = 0.3
IN_TITLE = 0.8
PER_MENTION = 0.08
MAX_MENTIONS = 8
# A news story names what it is about in its lead; a story that cites an institution or a drug
# in passing names it further down ("…, the American Heart Association says").
EARLY_MENTION = 0.3
LEAD_CHARS = 700
# A name matched in the text alone (no link says how the story uses it) is lifted by its text
# rank, normalised by the best candidate's, up to what a link's strength adds for the same:
# the name in the title, often, and early.
TEXT_STRENGTH = IN_TITLE + PER_MENTION * MAX_MENTIONS + EARLY_MENTION
NARROWER_WEIGHT = 0.8
RECENCY_WEIGHT = 0.8
HALF_LIFE_DAYS = 365.0
TEXT_WEIGHT = 1.0

# Precomputed facet counts (FacetSnapshot) are used while the live total is within
# this share (or this many articles) of the total they were counted on.
SNAPSHOT_DRIFT = 0.02
SNAPSHOT_DRIFT_MIN = 10

STRENGTH_SQL = (
    f"(CASE WHEN status = 'confirmed' THEN {CONFIRMED} ELSE {SUGGESTED_BASE} + {SUGGESTED_CONFIDENCE} * confidence END"
    f" + CASE WHEN in_title THEN {IN_TITLE} ELSE 0.0 END"
    f" + {PER_MENTION} * (CASE WHEN mention_count > {MAX_MENTIONS} THEN {MAX_MENTIONS} ELSE mention_count END)"
    f" + CASE WHEN first_offset < {LEAD_CHARS} THEN {EARLY_MENTION} ELSE 0.0 END)"
)


def rerank(candidates, *, lifts, copies):
    """Stage two: [(article id, score)] best first.

    candidates: [(article id, stage-one score)]; lifts: [(text_ranks, weight)], each
    text_ranks {article id: raw text rank} normalised by its best and × weight (TEXT_WEIGHT;
    WORDS_WEIGHT for other words typed beside names, which only lift a result); copies: ids of
    syndicated copies, placed after the originals that match as many parts of the query (the
    same CONCEPT_TIER and LINKED_TIER).
    """
    lifts = [(ranks, weight / best) for ranks, weight in lifts if (best := max(ranks.values(), default=0.0)) > 0]
    scored = []
    for article_id, score in candidates:
        tier = score // LINKED_TIER
        score += sum(scale * ranks.get(article_id, 0.0) for ranks, scale in lifts)
        scored.append((article_id, score, tier))
    scored.sort(key=lambda item: (-item[2], item[0] in copies, -item[1], -item[0]))
    return [(article_id, score) for article_id, score, _ in scored]
