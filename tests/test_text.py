"""Normalisation: the one rule that aliases, queries and article text share."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.text import _normalize_chars, content_hash, find_mentions, normalize, normalize_with_offsets
from articles.vocabulary.spelling import british_variant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alzheimer's disease", "alzheimer disease"),
        ("ALZHEIMER’S", "alzheimer"),
        ("COVID-19", "covid 19"),
        ("Sjögren syndrome", "sjogren syndrome"),
        ("α-cycloserine", "alpha cycloserine"),
        ("  Jakafi!!  ", "jakafi"),
        ("O'Brien", "obrien"),
        ("", ""),
        ("?!…", ""),
    ],
)
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_offsets_point_back_into_the_original():
    text = "Dr. Alzheimer's patients"
    normalized, offsets = normalize_with_offsets(text)
    start = normalized.index("alzheimer")
    assert text[offsets[start] : offsets[start + len("alzheimer") - 1] + 1] == "Alzheimer"


def test_find_mentions_respects_word_boundaries():
    text = "Alopecia areata is not alopecia-like; alopeciaX is no word. ALOPECIA again."
    spans = find_mentions(text, ["alopecia"])
    assert [text[s:e] for s, e in spans] == ["Alopecia", "alopecia", "ALOPECIA"]


def test_content_hash_ignores_case_punctuation_and_spacing():
    assert content_hash("Hair  grew back.") == content_hash("hair grew back")
    assert content_hash("Hair grew back") != content_hash("Hair fell out")


@pytest.mark.parametrize(
    ("american", "british"),
    [
        ("polycythemia vera", "polycythaemia vera"),
        ("esophageal neoplasms", "oesophageal neoplasms"),
        ("ischemic stroke", "ischaemic stroke"),
        ("brain tumor", "brain tumour"),
        ("hemophilia a", "haemophilia a"),
        ("anesthesia", "anaesthesia"),
        ("estrogen", "oestrogen"),
        ("diarrhea", "diarrhoea"),
    ],
)
def test_british_variants(american, british):
    assert british_variant(american) == british


@pytest.mark.parametrize("word", ["academic", "pandemic", "systemic", "estimate", "hemiplegia", "them"])
def test_british_rules_leave_ordinary_words_alone(word):
    assert british_variant(word) == ""


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="aZs9 '’`´.,-–_éÉßαİ\u0301\tŁ", max_size=20) | st.text(max_size=20))
def test_fast_normalisation_equals_the_character_loop(text):
    assert normalize_with_offsets(text) == _normalize_chars(text)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="aZz09 .,-_\t\n!", max_size=30) | st.text(alphabet=st.characters(max_codepoint=127)))
def test_plain_ascii_normalisation_equals_the_character_loop(text):
    normalized, offsets = normalize_with_offsets(text)
    expected, expected_offsets = _normalize_chars(text)
    assert normalized == expected
    assert len(offsets) == len(expected_offsets)
    assert [offsets[i] for i in range(len(offsets))] == expected_offsets
    if offsets:
        assert offsets[-1] == expected_offsets[-1] and offsets[1:3] == expected_offsets[1:3]


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="aZsS9 '`.,-_\t\n!x", max_size=24) | st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_normalize_equals_the_character_loop(text):
    assert normalize(text) == _normalize_chars(text)[0]
