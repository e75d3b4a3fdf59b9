"""When an everyday word that is also a condition ("pain", "depression", "stroke") is meant medically.

The words are listed in ``data/false_friends.toml`` (``context_words``). One links when the
story is plainly medical: its sentence has a medical cue (a patient, a doctor, a symptom, a
treatment, a diagnosis: ``MEDICAL_CUES``) or another condition or drug that is not itself
such a word, or, failing that, the story as a whole links a condition or drug of that firm
kind (``pipeline.Linker`` decides this last one). Everyday phrases ("a stroke of luck", "the
Great Depression", "election fever") are stopped before this by the false-friend phrases. Right
after a condition's name ("migraine pain", "cancer fatigue") the word is that condition's own
symptom and is not linked on its own.
Measured both ways on tests/data/linking/everyday_words.toml.
"""

import re

MEDICAL_CUES = re.compile(
    r"\b(?:patients?|doctors?|physicians?|nurses?|clinicians?|surgeons?|psychiatrists?|GPs?|clinics?|clinical|"
    r"hospitali[sz]ed|hospitals?|symptoms?|symptomatic|diagnos\w+|treat(?:s|ed|ing|ment|ments)?|therap\w+|"
    r"medications?|medicines?|medical|drugs?|doses?|dosing|prescri\w+|suffer(?:s|ed|ing|ers)?|chronic|acute|"
    r"diseases?|disorders?|syndromes?|illness(?:es)?|health|healthcare|risks?\s+(?:of|for)|trials?|"
    r"surgery|surgical|side[- ]effects?|adverse|relief|relieve[sd]?|episodes?|attacks?|recovery|"
    r"mental|psychiatric|cardiac|neurolog\w+|blood|brain|heart|survivors?|incidence|prevalence|"
    r"mortality|injections?|painkillers?|analgesi\w+|antidepressants?|vaccines?|infect\w+|injur(?:y|ies|ed)|"
    r"wounds?|rates|cases)\b",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"[.!?]+[\"'”’)]*\s+(?=[A-Z\"“(])|\n\s*\n")


def sentence_starts(text):
    """Offsets where each sentence of `text` after the first begins, in order."""
    return [match.end() for match in _SENTENCE_BREAK.finditer(text)]


def sentence_bounds(text, start, end):
    """(start, end) of the sentence around text[start:end]."""
    begin = 0
    for match in _SENTENCE_BREAK.finditer(text, 0, start):
        begin = match.end()
    following = _SENTENCE_BREAK.search(text, end)
    return begin, following.start() if following else len(text)


def has_medical_cue(text, start, end, firm_spans=()):
    """Does the sentence around text[start:end] say it is medical (a cue word or a firm mention)?"""
    begin, finish = sentence_bounds(text, start, end)
    if any(begin <= s and e <= finish for s, e in firm_spans):
        return True
    return bool(MEDICAL_CUES.search(text[begin:start]) or MEDICAL_CUES.search(text[end:finish]))


def follows(text, start, ends):
    """Does text[start:] come right after (a space or hyphen) one of the offsets in `ends`?"""
    gap = 0
    while gap < 3 and start - gap - 1 >= 0 and text[start - gap - 1] in " -\u2010\u2011":
        gap += 1
    return gap > 0 and (start - gap) in ends
