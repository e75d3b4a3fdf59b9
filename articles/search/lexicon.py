"""The words public stories use, and in how many: typo candidates beside the vocabulary's names.

A reader's word that is neither a name nor in any story is a typo (issue 12, item 4). Its
correction may be a name ("leukimia" → leukemia) or an everyday word the stories use that no
vocabulary holds ("colonoscapy" → colonoscopy, "mamogram" → mammogram). ``refresh`` counts
the words of every public story (title, summary and body, normalised as queries are) into
``StoryWord``; ``fuzzy`` looks them up by similarity with the aliases.

The table is rebuilt whole (``manage.py refresh_story_words``, from cron and after large
imports, as ``refresh_search_facets``): a word only new stories use is not a candidate
until then, which only means a typo of it is not corrected yet.
"""

import time
from collections import Counter
from dataclasses import dataclass

from django.db import transaction

from .. import stamp
from ..models import Article, ArticleStatus, StoryWord
from ..text import normalize
from .query import is_word

MIN_LENGTH = 4  # shorter words are never typo candidates (resolve.FUZZY_MIN_LENGTH)
MAX_LENGTH = 40  # StoryWord.word's length; longer tokens are run-together junk
MIN_STORIES = 2  # a word one story uses is as likely a slip of its own
BATCH = 2000


@dataclass
class Report:
    stories: int
    words: int
    seconds: float


def story_words(text):
    """The distinct candidate words of a text: letters only, MIN_LENGTH to MAX_LENGTH long."""
    return {
        token
        for token in normalize(text).split()
        if MIN_LENGTH <= len(token) <= MAX_LENGTH and token.isalpha() and is_word(token)
    }


def refresh():
    """Recount the words of the public stories into StoryWord (replacing it); a Report."""
    started = time.monotonic()
    counts = Counter()
    stories = 0
    rows = (
        Article.objects.filter(status=ArticleStatus.PUBLISHED)
        .values_list("title", "summary", "body")
        .iterator(chunk_size=BATCH)
    )
    for title, summary, body in rows:
        counts.update(story_words(f"{title or ''}\n{summary or ''}\n{body or ''}"))
        stories += 1
    kept = [StoryWord(word=word, stories=n) for word, n in sorted(counts.items()) if n >= MIN_STORIES]
    with transaction.atomic():
        StoryWord.objects.all().delete()
        StoryWord.objects.bulk_create(kept, batch_size=BATCH)
        stamp.bump()  # cached typo corrections expire with the old lexicon
    return Report(stories=stories, words=len(kept), seconds=time.monotonic() - started)
