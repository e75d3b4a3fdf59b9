"""The date a plain-text story states about itself: its dateline ("Published 12 March 2019",
"March 12, 2019", "2019-03-12"), read from the lines the cleaner removed as bylines and
datelines and from the start of the first paragraph. HTML pages get theirs from meta tags
(trafilatura's htmldate, in extract.extract_html)."""

import re

from dateutil import parser as dateparser

from .clean import _MONTH

_DATE_RE = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\.?,?\s+\d{{4}})\b",
    re.IGNORECASE,
)
LEAD_START = 40  # a dateline opening the first paragraph: "LONDON, March 3, 2019 — ..."
_LEAD_END_RE = re.compile(r"\s*(?:[—–:|(]|-\s)")


def dateline_date(removed, first_paragraph=""):
    """A naive datetime from the first full date in the removed dateline/byline lines or
    at the very start of the first paragraph; None when the story states none."""
    lines = [(line, False) for reason, line in removed if reason in ("byline", "timestamp")]
    lines.append((first_paragraph, True))
    for line, is_lead in lines:
        match = _DATE_RE.search(line)
        if match and is_lead and (match.start() > LEAD_START or not _LEAD_END_RE.match(line, match.end())):
            continue  # a date inside the story ("a study published March 3, 2019") is not its dateline
        if match:
            text = re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", match.group(0))
            try:
                return dateparser.parse(text)
            except (ValueError, OverflowError):
                continue
    return None
