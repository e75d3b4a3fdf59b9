"""Abbreviations a story defines: "chronic kidney disease (CKD)" makes "CKD" mean that disease here.

Detection follows Schwartz and Hearst (2003, "A simple algorithm for identifying abbreviation
definitions in biomedical text"): a short form in parentheses right after a linked name is
an abbreviation of it when its letters and digits occur, in order, in the words before the
parenthesis, the first of them at the start of a word ("alopecia areata (AA)", "chronic
kidney disease (CKD)"). Unlike Schwartz–Hearst's word window, the long form must lie within
the linked name: in "non-small cell lung carcinoma (NSCLC)" where only "carcinoma" is linked,
NSCLC does not mean Carcinoma. The short form then links, in exactly that case
(plus a plural "s"), everywhere in that story only; nothing is stored in the vocabulary.
"""

import re

# "(CKD)", "(LIDs)", "(HbA1c)", "(COVID-19)"; also "(CKD;" and "(CKD," before more text.
_SHORT_FORM_AFTER = re.compile(r"^\s*\(\s*(?P<sf>[A-Za-z][A-Za-z0-9\-]{0,8}[A-Za-z0-9])\s*[);,]")


def is_short_form(text):
    """Two to ten characters, a capital among them, at least two letters, not a plain word."""
    letters = sum(c.isalpha() for c in text)
    return 2 <= len(text) <= 10 and letters >= 2 and any(c.isupper() for c in text[1:] or text) and not text.islower()


def long_form_start(short, before):
    """Where in `before` (text ending at the parenthesis) the Schwartz–Hearst long form starts; -1 if none."""
    s, i = len(short) - 1, len(before) - 1
    while s >= 0:
        char = short[s].lower()
        if not char.isalnum():
            s -= 1
            continue
        while i >= 0 and (before[i].lower() != char or (s == 0 and i > 0 and before[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return -1
        i -= 1
        s -= 1
    return i + 1


def definitions(text, mentions):
    """{short form: mention} for the abbreviations `text` defines right after a linked name."""
    found = {}
    for mention in mentions:
        match = _SHORT_FORM_AFTER.match(text[mention.end : mention.end + 16])
        if not match:
            continue
        short = match.group("sf")
        stem = short[:-1] if short.endswith("s") and short[:-1].isupper() else short
        if not is_short_form(stem) or stem in found:
            continue
        begin = long_form_start(stem, text[mention.start : mention.end])
        if begin < 0:
            continue  # the long form is the linked name: "lung carcinoma (NSCLC)" is not Carcinoma's
        if stem.lower() == mention.text.lower():
            continue  # "(HIV)" after "HIV" defines nothing new
        found[stem] = mention
    return found


def occurrences(text, short):
    """(start, end) of `short` (or its plural) as a whole word in exactly that case."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(short)}s?(?![\w-])")
    return [(m.start(), m.end()) for m in pattern.finditer(text)]
