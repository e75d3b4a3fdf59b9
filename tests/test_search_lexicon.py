"""Typo corrections towards the words stories use (articles.search.lexicon), not only names.

Runs on SQLite and on PostgreSQL (see Makefile); every assertion holds on both.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import ArticleStatus, StoryWord
from articles.search import lexicon
from articles.search.query import parse
from articles.search.resolve import correct_typos, resolve
from articles.search.service import search

from .factories import ConditionFactory
from .searchkit import NOW, story

pytestmark = pytest.mark.django_db


@pytest.fixture
def stories(db):
    """Three public stories about a procedure no vocabulary names, one draft, one condition."""
    for n in range(3):
        story(f"Why the sigmoidoscopy matters {n}", "A sigmoidoscopy every five years, the panel said.")
    story("Draft", "Only this draft says zygomorphy twice: zygomorphy.", status=ArticleStatus.DRAFT)
    story("Draft two", "zygomorphy again", status=ArticleStatus.DRAFT)
    story("Once", "The word quetzalcoatlus appears in one story only.")
    lexicon.refresh()


def test_the_lexicon_holds_public_words_of_two_stories_or_more(stories):
    words = dict(StoryWord.objects.values_list("word", "stories"))
    assert words["sigmoidoscopy"] == 3
    assert "zygomorphy" not in words  # drafts only
    assert "quetzalcoatlus" not in words  # one story: as likely a slip of its own
    assert "the" not in words and "every" in words and "five" in words  # stopwords never; 4+ letters


def test_a_misspelt_word_no_vocabulary_holds_is_corrected_to_the_word_stories_use(stories):
    result = search("sigmoidoscapy", now=NOW)
    assert result.corrected and result.suggestion == "sigmoidoscopy"
    assert result.count == 3


def test_a_correctly_spelled_word_beside_a_typo_is_kept(stories):
    query = parse("panel sigmoidoscapy")
    corrected = correct_typos(query, resolve(query), absent=["sigmoidoscapy"])
    assert corrected.suggestion == "panel sigmoidoscopy"
    assert corrected.words == ["panel", "sigmoidoscopy"]


def test_a_name_comes_before_an_equally_close_story_word(db):
    name = ConditionFactory(name="Concussion")
    story("Concussion in football", "A concussion study.", links=[(name, {})])
    for n in range(4):
        story(f"In conclusion {n}", "In conclusion, the conclusion holds.")
    lexicon.refresh()
    query = parse("concusion")  # as close to "concussion" as to "conclusion", which more stories use
    corrected = correct_typos(query, resolve(query))
    assert corrected.corrected and [m.entity.name for m in corrected.matches] == ["Concussion"]


def test_a_typo_search_through_story_words_has_a_fixed_query_count(stories):
    search("sigmoidoscapy", now=NOW)  # warm the per-process trigram index (SQLite)
    with CaptureQueriesContext(connection) as few:
        search("sigmoidoscapy", now=NOW)
    for n in range(5):
        story(f"More sigmoidoscopy {n}", "sigmoidoscopy")
    lexicon.refresh()
    search("sigmoidoscapy", now=NOW)
    with CaptureQueriesContext(connection) as many:
        result = search("sigmoidoscapy", now=NOW)
    assert result.count == 8
    assert len(few.captured_queries) == len(many.captured_queries)


def test_the_command_reports_what_it_counted(stories, capsys):
    call_command("refresh_story_words")
    assert "words from 4 stories" in capsys.readouterr().out
