"""Syndication lookup without a database: shingle hashing and MinHash bands over many stories.

The bands only pick candidates; the exact similarity decides. So the bands must bring up
nearly every lightly edited copy and almost never a story that merely shares a topic.
"""

import itertools
import random

from articles.ingest import dedupe

WORDS = [f"w{n}" for n in range(3000)]


def story(rng, words=300):
    return " ".join(rng.choice(WORDS) for _ in range(words))


def edited(rng, text, share):
    """`text` with about `share` of its words replaced (a sub-editor's pass)."""
    words = text.split()
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = rng.choice(WORDS)
    return " ".join(words)


def bands(text):
    return set(dedupe.band_values(dedupe.shingles(text)))


def test_shingles_ignore_case_and_punctuation_and_count_distinct_five_word_runs():
    text = "One two three four five six seven"
    assert dedupe.shingles(text) == dedupe.shingles("ONE, two; three -- four five. Six seven!")
    assert len(dedupe.shingles(text)) == 3
    assert len(dedupe.shingles("one two three")) == 1
    assert dedupe.shingles("") == set() and dedupe.shingles(" ,. ") == set()
    assert dedupe.shingles("a b c d e f") != dedupe.shingles("a b c d e g")


def test_bands_find_lightly_edited_copies_and_not_strangers():
    rng = random.Random(20261125)
    originals = [story(rng) for _ in range(60)]
    copies = [edited(rng, text, 0.02) for text in originals]  # Jaccard about 0.8
    found = sum(bool(bands(o) & bands(c)) for o, c in zip(originals, copies, strict=True))
    strangers = sum(bool(bands(a) & bands(b)) for a, b in itertools.pairwise(originals))
    assert found >= 59, found
    assert strangers == 0
    for original, copy in zip(originals, copies, strict=True):
        is_copy, score = dedupe.similarity(dedupe.shingles(original), dedupe.shingles(copy))
        assert is_copy and 0.6 < score < 0.95


def test_heavily_rewritten_story_is_not_a_copy():
    rng = random.Random(7)
    text = story(rng)
    rewritten = edited(rng, text, 0.3)  # most five-word runs broken
    assert not dedupe.similarity(dedupe.shingles(text), dedupe.shingles(rewritten))[0]
