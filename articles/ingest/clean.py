"""Remove what is not the story from scraped text.

Scraped pages carry the site around the story: lists of other headlines with
timestamps ("Latest Stories", "Related", "Read more", "Trending"...), share buttons,
cookie and subscription notices, and the byline repeated in the body. Cleaning works on
paragraphs (one per line, or per blank-line block for hard-wrapped text) and removes:

- link lists: a list heading followed by headline-like lines, and any run of three or
  more headlines each followed (or preceded) by a timestamp or bullet, heading or not;
- single boilerplate lines: share/cookie/subscription/advertising/credit lines, inline
  "Read more: …" teasers, browser and JavaScript notices, lines with no letters ("-", "•");
- bylines and datelines ("By Jane Smith", "Jane Smith | Health reporter" when she is the
  author, "Published 3 hours ago") and the title repeated as the first paragraph;
- a paragraph repeated immediately.

Only short paragraphs (at most 30 words) are ever judged to be boilerplate, so a story
sentence that mentions cookies or sharing stays. ``is_interstitial`` tells a page that
stands in for the story (a bot check, a browser notice, an error page) from a story.
"""

import re
from dataclasses import dataclass, field

from ..text import normalize, unify_newlines

MAX_BOILERPLATE_WORDS = 30
HEADLINE_MAX_WORDS = 25

_UNITS = r"(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mos?|months?|y|yrs?|years?)"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
TIMESTAMP_RE = re.compile(
    rf"^[-–—•|·\s]*(?:"
    rf"(?:about\s+|over\s+)?(?:\d+|an?|one)\s*{_UNITS}(?:\s+ago)?"
    rf"|just\s+now|yesterday|today|updated|breaking"
    rf"|\d{{1,2}}[:.]\d{{2}}\s*(?:[ap]\.?m\.?)?(?:\s+[A-Z]{{2,4}})?"
    rf"|{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}}"
    rf")[\s\-–—•|·]*$",
    re.IGNORECASE,
)
LIST_HEADING_RE = re.compile(
    r"^[#>*\s]*(?:latest|related|read\s+more|read\s+next|more\s+on\s+this|more\s+from|more\s+stories|"
    r"more\s+news|more\s+in|trending|most\s+(?:read|popular|viewed|shared|watched)|popular|"
    r"recommended|you\s+(?:may|might)\s+also\s+(?:like|enjoy|be\s+interested)|top\s+stories|"
    r"editor['’]?s\s+picks?|don['’]?t\s+miss|see\s+also|also\s+read|further\s+reading|other\s+stories|"
    r"in\s+other\s+news|what\s+to\s+read\s+next|around\s+the\s+web|from\s+around\s+the\s+web|"
    r"top\s+headlines|latest\s+news|breaking\s+news|must\s+read|featured)\b[^.!?]{0,40}[:\-–]?\s*$",
    re.IGNORECASE,
)
_BOILERPLATE_PATTERNS = [
    # sharing
    r"^(?:click\s+to\s+)?(?:share|tweet|email|print|pin|save|copy\s+link|send)\b(?:\s+(?:this|the))?"
    r"(?:\s+(?:article|story|page|link|post))?(?:\s+(?:on|via|to|with|by)\s+\w+)*[\s:.!]*$",
    r"^(?:share|follow)\s+(?:us\s+)?on\b",
    r"^(?:facebook|twitter|x|whatsapp|linkedin|reddit|email|telegram|pinterest)(?:[\s,|/·•]+"
    r"(?:facebook|twitter|x|whatsapp|linkedin|reddit|email|telegram|pinterest|messenger|copy\s+link))*$",
    r"^follow\s+(?:us|@\w+|[A-Z]\w+)\b.{0,40}(?:twitter|facebook|instagram|x|threads|bluesky|tiktok)\b",
    # cookies and privacy
    r"\b(?:we|this\s+(?:site|website)|our\s+(?:site|website))\s+uses?\s+cookies\b",
    r"\bcookies?\s+(?:policy|settings|preferences|consent|notice)\b",
    r"\baccept\s+(?:all\s+)?cookies\b",
    r"^(?:privacy\s+policy|terms\s+(?:of\s+(?:use|service)|and\s+conditions))\b",
    # subscriptions, newsletters, paywalls
    r"\b(?:sign\s+up|subscribe|register)\b.{0,60}\b(?:newsletter|updates|inbox|alerts|digest|briefing)\b",
    r"\bnewsletter\b.{0,60}\b(?:sign\s+up|subscribe|inbox|delivered)\b",
    r"^subscribe\b",
    r"^(?:already\s+a\s+subscriber|log\s+in\s+to\s+continue|to\s+continue\s+reading|continue\s+reading)\b",
    r"\bsubscribers?\s+only\b",
    # advertising, credits, reading aids
    r"^(?:advertisement|advert|sponsored(?:\s+content)?|ad|promoted|partner\s+content)$",
    r"^(?:image|photo|picture|video)\s*(?:source|credit|caption)?\s*[:,(]",
    r"^(?:copyright|©|\(c\))",
    r"\ball\s+rights\s+reserved\b",
    r"^listen\s+to\s+(?:this\s+)?(?:article|story)\b",
    r"^\d+\s*(?:-\s*)?min(?:ute)?s?\s+read$",
    r"^(?:click|tap)\s+here\b",
    r"^(?:read|watch|listen)(?:\s+(?:more|next|also|now))?\s*[:|]",
    r"^(?:related|see\s+also|also\s+read|more)\s*:",
    r"^(?:comments?|\d+\s+comments?|leave\s+a\s+comment|show\s+comments?)$",
    r"^(?:back\s+to\s+top|skip\s+to\s+(?:content|main\s+content))$",
    r"^(?:tags?|topics?|filed\s+under)\s*:",
]
# What a site shows a scraper instead of the story: bot checks, browser and JavaScript
# notices, error and placeholder pages. A short body made of these is not a story
# (``is_interstitial``); in a story, a short line of it is boilerplate.
_INTERSTITIAL_PATTERNS = [
    r"\b(?:enable|enabled|supports?|turn\s+on|allow|activate)\b[^.!?]{0,40}\bjavascript\b",
    r"\bjavascript\b[^.!?]{0,30}\b(?:disabled|required|turned\s+off|is\s+off)\b",
    r"\b(?:older|outdated|unsupported|newer|supported|modern|latest)\s+(?:\w+\s+){0,3}browser\b",
    r"\b(?:upgrade|update|change)\s+(?:to\s+)?(?:your|a\s+\w+)\s+browser\b",
    r"\bare\s+you\s+a\s+(?:robot|human)\b|\bnot\s+a\s+robot\b|\bcaptcha\b",
    r"\bverify\s+(?:that\s+)?you(?:\s+are|['’]re)\s+(?:a\s+)?human\b",
    r"\b(?:page|site|website)\s+(?:is\s+)?under\s+construction\b",
    r"\b(?:access\s+denied|page\s+not\s+found|404\s+not\s+found|403\s+forbidden)\b",
]
INTERSTITIAL_RE = re.compile("|".join(f"(?:{p})" for p in _INTERSTITIAL_PATTERNS), re.IGNORECASE)
# A word one of them must contain: a cheap test that spares most lines the patterns.
_INTERSTITIAL_HINT = re.compile(
    r"javascript|browser|robot|captcha|human|construction|denied|not\s+found|forbidden", re.IGNORECASE
)
INTERSTITIAL_MAX_WORDS = 80
BOILERPLATE_RE = re.compile("|".join(f"(?:{p})" for p in _BOILERPLATE_PATTERNS), re.IGNORECASE)


def is_boilerplate(line):
    """A line that is not the story (judge only short lines: see MAX_BOILERPLATE_WORDS)."""
    return bool(BOILERPLATE_RE.search(line) or (_INTERSTITIAL_HINT.search(line) and INTERSTITIAL_RE.search(line)))


_NAME = r"[A-Z][\w.'’-]*"
BYLINE_RE = re.compile(
    rf"^(?:by|words\s+by|reported\s+by|written\s+by)\s+{_NAME}(?:\s+(?:{_NAME}|van|von|de|der|da|al|bin))*"
    rf"(?:\s*(?:,|\||and|&|-|–|for)\s*.{{0,60}})?$",
    re.IGNORECASE,
)
DATELINE_RE = re.compile(
    rf"^(?:published|updated|posted|last\s+updated|first\s+published)\b(?:\s+on)?\s*:?\s*.{{0,50}}$"
    rf"|^{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}(?:\s+\d{{1,2}}[:.]\d{{2}}.*)?$"
    rf"|^\d{{1,2}}\s+{_MONTH}\s+\d{{4}}(?:\s+\d{{1,2}}[:.]\d{{2}}.*)?$",
    re.IGNORECASE,
)


_BULLET_RE = re.compile(r"^\s*[-–—•·*▪►]\s+\S")


@dataclass
class Cleaned:
    body: str
    removed: list = field(default_factory=list)  # (reason, paragraph)


def paragraphs_of(text):
    """Split plain text into paragraphs: blank-line blocks; a block whose lines all look
    like separate paragraphs or list items is split into its lines."""
    text = unify_newlines(text).replace("\u2028", "\n").replace("\xa0", " ")
    paragraphs = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.split("\n")]
        lines = [line for line in lines if line]
        if not lines:
            continue
        if len(lines) > 1 and _hard_wrapped(lines):
            paragraphs.append(" ".join(lines))
        else:
            paragraphs.extend(lines)
    return paragraphs


def _hard_wrapped(lines):
    """Lines of one paragraph broken at a fixed width: all but the last similar and long,
    none but the last ending a sentence."""
    body = lines[:-1]
    lengths = [len(line) for line in body]
    return (
        min(lengths) >= 40
        and max(lengths) <= 100
        and max(lengths) - min(lengths) <= 25
        and not any(line.endswith((".", "!", "?", ":", '"', "”")) for line in body)
    )


def _words(line):
    return len(line.split())


def is_timestamp(line):
    return bool(TIMESTAMP_RE.match(line))


def is_noise(line):
    """A line with no letters or digits (bullets, dashes, separators)."""
    return not any(c.isalnum() for c in line)


def is_headline_like(line):
    return 0 < _words(line) <= HEADLINE_MAX_WORDS and not is_timestamp(line) and not is_noise(line)


def _link_list_end(paragraphs, start):
    """End (exclusive) of a link list starting at `start`, or `start` if there is none.

    A link list is a run of headline-like lines (short, not ending in a full stop), bullets
    and timestamps with at least two headlines, which either has timestamps or bullets
    between them or runs to the end of the text."""
    i, headlines, markers = start, 0, 0
    while i < len(paragraphs):
        line = paragraphs[i]
        if is_timestamp(line) or is_noise(line):
            markers += 1
        elif _BULLET_RE.match(line) and is_headline_like(line):
            markers += 1
            headlines += 1
        elif _words(line) <= MAX_BOILERPLATE_WORDS and is_boilerplate(line):
            pass  # a copyright or share line inside or after the list
        elif is_headline_like(line) and not line.endswith("."):
            headlines += 1
        else:
            break
        i += 1
    # Headlines separated by timestamps or bullets, or a plain list that ends the text.
    if headlines >= 2 and (markers or i == len(paragraphs)):
        return i
    return start


def _headless_list_end(paragraphs, start):
    """End of a run of ≥3 (headline, timestamp) pairs starting at `start`, else `start`."""
    i, pairs = start, 0
    while i < len(paragraphs):
        if is_noise(paragraphs[i]):
            i += 1
            continue
        if i + 1 < len(paragraphs) and is_headline_like(paragraphs[i]) and is_timestamp(paragraphs[i + 1]):
            pairs += 1
            i += 2
            continue
        break
    return i if pairs >= 3 else start


def clean_paragraphs(paragraphs, *, title="", author=""):
    """(kept paragraphs, removed [(reason, paragraph)])."""
    removed = []
    kept = []
    title_key = normalize(title)
    author_key = normalize(author)
    last_key = None  # the last kept paragraph, normalised
    i = 0
    while i < len(paragraphs):
        line = paragraphs[i]
        short = _words(line) <= MAX_BOILERPLATE_WORDS
        if short and LIST_HEADING_RE.match(line):
            end = _link_list_end(paragraphs, i + 1)
            if end > i + 1:
                removed.extend(("link list", p) for p in paragraphs[i:end])
                i = end
                continue
        end = _headless_list_end(paragraphs, i)
        if end > i:
            removed.extend(("link list", p) for p in paragraphs[i:end])
            i = end
            continue
        reason = ""
        if is_noise(line):
            reason = "no text"
        elif short and is_boilerplate(line):
            reason = "boilerplate"
        elif (short and (BYLINE_RE.match(line) or DATELINE_RE.match(line))) or (
            author_key and _words(line) <= 12 and normalize(line).startswith(author_key)
        ):
            reason = "byline"
        elif short and is_timestamp(line):
            reason = "timestamp"
        elif not kept and title_key and normalize(line) == title_key and not looks_like_lede(line):
            reason = "title repeated"
        elif kept and (key := normalize(line)) == last_key:
            reason = "repeated"
        if reason:
            removed.append((reason, line))
        else:
            last_key = key if kept else normalize(line)
            kept.append(line)
        i += 1
    # A trailing heading left alone after its list was cut ("Related", "Latest Stories").
    while kept and _words(kept[-1]) <= 5 and LIST_HEADING_RE.match(kept[-1]):
        removed.append(("link list", kept.pop()))
    return kept, removed


def clean_text(text, *, title="", author=""):
    """Cleaned plain text: paragraphs separated by one blank line."""
    kept, removed = clean_paragraphs(paragraphs_of(text), title=title, author=author)
    return Cleaned(body="\n\n".join(kept), removed=removed)


def is_interstitial(title, body):
    """A page that stands in for the story (a bot check, a browser notice, an error page):
    a short body (at most INTERSTITIAL_MAX_WORDS words) that, or whose title, says so."""
    if _words(body) > INTERSTITIAL_MAX_WORDS:
        return False
    return any(_INTERSTITIAL_HINT.search(text) and INTERSTITIAL_RE.search(text) for text in (title or "", body))


def looks_like_lede(line):
    """A first line that is a sentence of the story rather than a headline."""
    words = _words(line)
    return words >= 12 and line.rstrip().endswith((".", "!", "?", '."', ".”", "”", '"'))


def split_title(text):
    """(title, rest) of a plain-text story: the first non-empty line is the title; when
    it reads like the story's first sentence it stays in the body too."""
    lines = unify_newlines(text).lstrip("\ufeff").split("\n")
    for n, line in enumerate(lines):
        if line.strip():
            title = " ".join(line.split())
            rest_lines = lines[n:] if looks_like_lede(title) else lines[n + 1 :]
            return title, "\n".join(rest_lines)
    return "", ""
