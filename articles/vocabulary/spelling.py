"""British spellings of medical words, generated from the American form.

MeSH and DrugBank spell the American way; British and Commonwealth news writes
"polycythaemia", "oesophageal", "tumour", "oestrogen". Rules work on normalised
text (lower case, single spaces) and are anchored to word parts so that ordinary
words are left alone.
"""

import re

# (pattern, replacement) applied in order to normalised alias text.
RULES = [
    (r"(?<=[a-z])emias?\b", lambda m: "a" + m.group(0)),  # anemia, leukemia, polycythemia
    (
        r"\b(an|isch|\w*glyc|\w*kal|\w*natr|\w*calc|\w*ox|\w*lipid|ur|\w*vol|sept|leuk|bacter|vir|tox|\w*prote)emic\b",
        r"\1aemic",
    ),
    (r"\bhem(?=[oa])", "haem"),  # hemorrhage, hematoma, hemophilia, hemoglobin
    (r"\besophag", "oesophag"),
    (r"\bestr(?=o|a|i|us\b)", "oestr"),  # estrogen, estradiol, estrus
    (r"\bedema", "oedema"),
    (r"\b(?:p)ediatric", "paediatric"),
    (r"\bfet(?=al\b|us\b|uses\b)", "foet"),
    (r"(?<=[a-z])rrhea\b", "rrhoea"),  # diarrhea, gonorrhea, amenorrhea
    (r"(?<=[a-z])pnea\b", "pnoea"),  # apnea, dyspnea
    (r"tumor", "tumour"),
    (r"\bgynecolog", "gynaecolog"),
    (r"\bceliac", "coeliac"),
    (r"\bcesarean", "caesarean"),
    (r"orthopedic", "orthopaedic"),
    (r"\banesthe", "anaesthe"),
    (r"\bcolor\b", "colour"),
    (r"\bbehavior", "behaviour"),
    (r"\bsulf", "sulph"),
    (r"\baluminum\b", "aluminium"),
    (r"\blabor\b", "labour"),
    (r"ization\b", "isation"),
    (r"\bleukocyt", "leucocyt"),
    (r"\bcenter\b", "centre"),
]
_COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in RULES]
_QUICK = re.compile("|".join(f"(?:{pattern})" for pattern, _ in RULES))


def british_variant(normalized):
    """The British spelling of a normalised name, or '' when it is spelled the same."""
    if not _QUICK.search(normalized):
        return ""
    text = normalized
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text if text != normalized else ""
