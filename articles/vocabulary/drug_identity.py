"""Drug identity: one entity per drug as readers know it, decided on the vocabulary specs.

Four general rules, each with curated exceptions in ``data/drug_forms.toml`` and
``data/combinations.toml``:

- **Forms.** A dictionary entry that is another entry's salt, ester, hydrate, prodrug ester,
  dosage form or US biologic name ("Baloxavir Marboxil", "Sodium valproate", "Tenofovir
  disoproxil fumarate", "Fam-trastuzumab deruxtecan-nxki") is folded into that entry (its
  active moiety): its names become the moiety's aliases, the moiety keeps its key, name and
  ids and takes the form's where its own are empty. ``fold_forms`` returns the mapping so
  that the loader can also merge a form already in the database.
- **Brands.** ``looks_like_brand`` decides for the names the package does not flag.
- **Misspellings.** ``mark_misspellings``: a name one or two letters away from a trusted
  name of the same drug, and not a spelling variant or a foreign form of it, is a
  misspelling (it matches and is searched, never shown).
- **Combinations.** ``read_combinations``: the package's "A and B" / "A, B, and C" / "A/B"
  entries whose parts are all drugs, plus the curated list; each combination gets its
  ingredients (moiety keys) and its brands.
- **Not medicines.** ``not_a_medicine``: a MeSH-only entry (no DrugBank or MedlinePlus id)
  filed only under pharmacologic actions ("Androgens", "Anesthetics") is a class, and one
  filed only under body chemistry (enzymes, lipids, proteins, antigens: "Apolipoproteins E",
  "Cholesterol, LDL", "Immunoglobulin E") is biology; the loader keeps them but never matches
  their names. The supplement lists the exceptions and the food and biology entries that do
  carry an id.

Nothing here touches the database.
"""

import re
import tomllib
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from ..models import AliasKind, Origin
from ..text import normalize

DATA_DIR = Path(__file__).resolve().parent / "data"


class DrugIdentityError(Exception):
    """The drug identity data cannot be applied (an unknown name, a broken file)."""


# MeSH tree branches: Chemical Actions and Uses (pharmacologic classes), and body chemistry:
# enzymes (D08), lipids (D10), amino acids, peptides and proteins (D12), antigens (D23).
CLASS_BRANCHES = ("D27",)
BIOLOGY_BRANCHES = ("D08", "D10", "D12", "D23")


def not_a_medicine(data):
    """ "class" or "biology" for a package entry that is a MeSH grouping, not a medicine; else None.

    Only entries with no DrugBank and no MedlinePlus id qualify: an id means someone lists
    the entry as something given to patients ("Insulin" is also filed under hormones, D06).
    """
    if data.get("drugbank_id") or data.get("medline_plus_id"):
        return None
    trees = data.get("mesh_tree") or []
    if not trees:
        return None
    if all(tree.startswith(CLASS_BRANCHES) for tree in trees):
        return "class"
    if all(tree.startswith(BIOLOGY_BRANCHES) for tree in trees):
        return "biology"
    return None


def read_data(name, data_dir=None):
    path = (data_dir or DATA_DIR) / name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise DrugIdentityError(f"{path}: {exc}") from exc


# --------------------------------------------------------------------------- forms


def _wordset(text):
    return frozenset(text.split())


# Words after a drug's name that make it a salt, ester, hydrate or prodrug of it, or a dosage form.
FORM_WORDS = _wordset(
    """
    hydrochloride dihydrochloride monohydrochloride trihydrochloride hcl hydrobromide hydroiodide
    sodium disodium trisodium potassium dipotassium calcium magnesium zinc lithium meglumine
    tromethamine trometamol lysine arginine erbumine olamine diethylamine choline
    mesylate dimesylate mesilate dimesilate besylate besilate tosylate tosilate edisylate napsylate
    esylate isethionate camsylate maleate hemifumarate fumarate succinate hemisuccinate sulfate sulphate
    bisulfate hemisulfate hydrogen tartrate bitartrate hemitartrate citrate dihydrogen phosphate
    acetate diacetate lactate lactobionate gluconate glucoheptonate bromide methylbromide chloride
    iodide nitrate malate oxalate pamoate embonate hyclate xinafoate salicylate stearate estolate ethylsuccinate
    stearate benzoate saccharate hippurate mandelate orotate aspartate glutamate ascorbate
    disoproxil alafenamide marboxil mofetil medoxomil axetil pivoxil proxetil cilexetil etexilate etabonate
    propionate dipropionate furoate valerate cypionate enanthate undecanoate decanoate palmitate caproate
    hexanoate acetonide butyrate buteprate aceponate hexacetonide tebutate pivalate
    hydrate monohydrate dihydrate trihydrate tetrahydrate sesquihydrate hemihydrate anhydrous
    tablet tablets capsule capsules patch injection injectable gum lozenge lozenges
    """
)
# Counter-ions written before the drug ("sodium valproate", "potassium clavulanate").
LEADING_COUNTER_IONS = _wordset("sodium disodium potassium calcium magnesium")
# A base that is an element, an ion or a salt word is not a moiety: "sodium chloride" is not
# sodium, "calcium carbonate" not calcium, "potassium iodide" not iodide.
NOT_A_MOIETY = FORM_WORDS | _wordset(
    """
    aluminium aluminum ammonium barium bismuth cesium chromium cobalt copper cupric ferric ferrous gold
    hydrogen iron lanthanum manganese mercury nickel selenium silver strontium sulfur tin zinc lithium
    carbonate bicarbonate oxide dioxide hydroxide peroxide fluoride sulfide silicate acid water
    adenosine guanosine cytidine uridine thymidine inosine
    methyl dimethyl monomethyl ethyl diethyl propyl butyl benzyl cetyl acetyl methylene
    """
)
_BIOLOGIC_SUFFIX_RE = re.compile(r"-[a-z]{4}$")  # "deruxtecan-nxki", "hyaluronidase-fihj"
_BIOLOGIC_PREFIX_RE = re.compile(r"^(?:fam|ado)-")
# Four-letter endings after a hyphen that are words, not a US biologic suffix.
_NOT_A_BIOLOGIC_SUFFIX = _wordset("free like type beta base acid alfa zeta iota lipo oral dose long high fast")


def form_base(name):
    """The moiety a form's name points at ("baloxavir marboxil" -> "baloxavir"), or None.

    Strips salt, ester, hydrate and dosage-form words after the name, counter-ions before
    it, and the four-letter suffix and fam-/ado- prefix of US biologic names.
    """
    if combination_parts(name):
        return None
    text = normalize(name)
    words = text.split()
    stripped = False
    while len(words) > 1 and words[-1] in FORM_WORDS:
        words.pop()
        stripped = True
    while len(words) > 1 and words[0] in LEADING_COUNTER_IONS:
        words.pop(0)
        stripped = True
    base = " ".join(words)
    raw = " ".join((name or "").lower().split())
    suffix = _BIOLOGIC_SUFFIX_RE.search(raw)
    if suffix and suffix.group()[1:] in _NOT_A_BIOLOGIC_SUFFIX:
        suffix = None
    if not stripped and (suffix or _BIOLOGIC_PREFIX_RE.match(raw)):
        base = normalize(_BIOLOGIC_PREFIX_RE.sub("", raw[: suffix.start()] if suffix else raw))
        stripped = base != text and len(base.replace(" ", "")) >= 5
    if not stripped or not base or base in NOT_A_MOIETY or sum(c.isalpha() for c in base) < 4:
        return None
    if len(base.split()[-1]) < 2 or base.split()[-1].isdigit():
        return None  # "glucose 6" of "glucose 6-phosphate": another molecule
    return base


def _moiety_candidates(base):
    """Names the moiety may be filed under: the base itself, and an acid for an "-ate" anion."""
    yield base
    if base.endswith("ate") and " " not in base:
        yield base[:-3] + "ic acid"  # valproate -> valproic acid, alendronate -> alendronic acid


def fold_forms(specs, variant_to_canonical, *, keep_separate=(), extra_folds=None):
    """Fold every form spec into its moiety's spec; returns {form key: moiety key}.

    `keep_separate`: normalised names of forms that are different drugs to readers.
    `extra_folds`: {form name: moiety name} the rule cannot see (curated).
    """
    by_name = {normalize(spec.name): key for key, spec in specs.items()}
    keep_separate = {normalize(name) for name in keep_separate}

    def resolve(text, own_key):
        # A drug of that name first (the base, then its acid), else the one drug with it as an alias.
        for candidate in _moiety_candidates(text):
            for key in (candidate if candidate in specs else None, by_name.get(candidate)):
                if key and key != own_key:
                    return key
        owners = [k for k in variant_to_canonical.get(text, ()) if k in specs and k != own_key]
        return owners[0] if len(owners) == 1 else None

    target = {}
    for key, spec in specs.items():
        if normalize(spec.name) in keep_separate:
            continue
        base = form_base(spec.name)
        moiety = resolve(base, key) if base else None
        if moiety:
            target[key] = moiety
    for form, moiety in (extra_folds or {}).items():
        form_key, moiety_key = by_name.get(normalize(form)), by_name.get(normalize(moiety))
        if form_key is None or moiety_key is None:
            missing = form if form_key is None else moiety
            raise DrugIdentityError(f"drug_forms.toml: {missing!r} is not a drug in the vocabulary.")
        target[form_key] = moiety_key

    def root(key, seen=()):
        nxt = target.get(key)
        if nxt is None or nxt in seen:
            return key
        return root(nxt, (*seen, key))

    folded = {}
    for form_key in list(target):
        moiety_key = root(form_key)
        if moiety_key == form_key or moiety_key in target:
            continue  # a cycle: leave both
        folded[form_key] = moiety_key
    for form_key, moiety_key in folded.items():
        absorb(specs[moiety_key], specs.pop(form_key))
    return folded


def absorb(moiety, form):
    """The form's names become the moiety's aliases; its ids fill the moiety's empty fields."""
    for alias in form.aliases.values():
        kind = AliasKind.SYNONYM if alias.kind == AliasKind.NAME else alias.kind
        added = moiety.add_alias(
            alias.text,
            kind=kind,
            is_brand=alias.is_brand,
            match_case=alias.match_case,
            is_ambiguous=alias.is_ambiguous,
            origin=alias.origin,
            trusted=alias.trusted,
        )
        if added is not None and alias.origin == Origin.SUPPLEMENT:
            added.origin = Origin.SUPPLEMENT
    for name, value in form.fields.items():
        if value and not moiety.fields.get(name):
            moiety.fields[name] = value
    moiety.absorbs = sorted({*moiety.absorbs, form.key, *form.absorbs})


def single_form_names(specs, taken):
    """A form the dictionary has no moiety entry for also answers to the moiety's name.

    "Lisdexamfetamine Dimesylate" alone in the dictionary also matches "lisdexamfetamine",
    unless another drug has that name. Returns how many names were added.
    """
    added = 0
    for spec in specs.values():
        base = form_base(spec.name)
        if base and base not in taken and base not in spec.aliases:
            spec.add_alias(base, kind=AliasKind.SYNONYM, origin=spec.origin)
            taken.add(base)
            added += 1
    return added


# --------------------------------------------------------------------------- brands

# Endings of international non-proprietary names (WHO stems), of chemical and biological
# words and of foreign-language INN forms: a word ending like this is a generic name, a
# salt, a class or biology, not a brand. Endings common in brand names too ("-ic", "-in",
# "-ol", "-or", "-ent", "-um", "-al") are given only in their generic shapes ("-olol",
# "-mycin", "inhibitor"), so that Ozempic, Lipitor, Crestor, Tylenol, Dupixent and Valium
# read as brands.
_GENERIC_ENDINGS = (
    # INN stems
    "mab", "nib", "vir", "tide", "tides", "pril", "prilat", "sartan", "statin", "azole", "conazole", "mycin",
    "micin", "cillin", "cycline", "floxacin", "oxacin", "gliptin", "gliflozin", "glutide", "dipine", "parin",
    "xaban", "gatran", "semide", "thiazide", "profen", "fenac", "coxib", "oxetine", "pramine", "triptyline",
    "triptan", "zepam", "zolam", "azepam", "barbital", "peridol", "apine", "idone", "azine", "setron",
    "tidine", "prazole", "lukast", "afil", "dronate", "olol", "ilol", "alol", "terol", "caine", "platin",
    "rubicin", "taxel", "tecan", "relin", "relix", "cept", "stim", "kin", "kinra", "ase", "ases", "ast",
    "astat", "formin", "farin", "oxin", "porin", "sulin", "acin", "aicin", "tonin", "ectin", "ellin",
    "sone", "olone", "lone", "sterone", "done", "oxone", "rone", "tone", "one", "ine", "ines", "ide", "ides",
    "ate", "ates", "amine", "amines", "onium", "urium", "esium", "cium", "ssium", "dium", "nium", "thium",
    "allium", "elium", "ine", "ina", "ino", "ene", "enes", "ose", "oses", "ogen", "ogens", "agen", "igen",
    "rgen", "eroid", "eroids", "noid", "noids", "pioid", "pioids", "kaloid", "kaloids", "iol", "itol",
    "anol", "inol", "thol", "stol", "adol", "phenol", "ciferol", "erol", "thyl", "nyl", "zyl", "cyl", "oyl",
    "tyl", "biotic", "biotics", "genic", "tropic", "mimetic", "lytic", "leptic", "ptic", "static",
    "mol", "idol", "icol", "zol",
    # foreign INN forms (Spanish, Italian, the Latin of pharmacopoeias: "chlormethinum")
    "ida", "ato", "ata", "inum", "idum", "olum", "anum", "onum", "atum", "ilum", "enum", "icum", "alum",
    "ulum", "amum", "erum", "eum", "ae",
    # class, biology and material words
    "acid", "acids", "oil", "extract", "root", "leaf", "flower", "seed", "bark", "fruit", "whole", "salt",
    "salts", "peptide", "peptides", "protein", "proteins", "toxin", "toxins", "factor", "factors", "agent",
    "agents", "reagent", "receptor", "receptors", "antigen", "antigens", "kinase", "kinases", "vaccine",
    "vaccines", "hormone", "hormones", "inhibitor", "inhibitors", "agonist", "agonists", "antagonist",
    "antagonists", "blocker", "blockers", "modulator", "modulators", "activator", "activators",
    "supplement", "supplements", "element", "elements", "therapy", "drug", "drugs", "analog", "analogs",
    "analogue", "analogues", "derivative", "derivatives", "compound", "compounds", "complex", "product",
    "alcohol", "alcohols",
)  # fmt: skip
# Words that make a name biology or a class, wherever they stand ("beta activin", "anti malarial").
_NOT_A_BRAND_WORDS = _wordset("anti alpha beta gamma delta kappa ii iii iv")
_NOT_A_BRAND_CHARS = re.compile(r"[\d,()\[\]/+äöüßàáâãçèéêíóôõúñ]")
_NOT_A_BRAND_ENDINGS = tuple(sorted(set(_GENERIC_ENDINGS), key=len, reverse=True))


def looks_like_brand(variant, canonical, generic_names=frozenset()):
    """Heuristic for dictionary aliases the package did not flag: "ozempic" yes, "d8-ruxolitinib" no.

    Not a brand: a name that contains the drug's name or shares its stem, a chemical
    name (digits, commas, brackets, accents), more than two words, a word with a generic
    ending, or a name that is itself another drug's generic name (`generic_names`).
    """
    if variant == canonical or canonical in variant or variant in canonical:
        return False
    if variant in generic_names:
        return False
    words = re.split(r"[\s-]+", variant)
    if _NOT_A_BRAND_CHARS.search(variant) or len(words) > 2 or len(variant) < 4:
        return False
    canonical_stems = {word[:5] for word in re.split(r"[\s,-]+", canonical) if len(word) >= 5}
    if any(word[:5] in canonical_stems for word in words if len(word) >= 5):
        return False
    if _NOT_A_BRAND_WORDS.intersection(words) or len(words[0]) == 1:
        return False  # biology, a class, or a chemical locant ("n-dpa", "l-dopa")
    return not any(word.endswith(_NOT_A_BRAND_ENDINGS) for word in words)


def brand_display(text):
    """Brands are proper names: "jakafi" -> "Jakafi"."""
    return " ".join(word[:1].upper() + word[1:] for word in text.split())


# --------------------------------------------------------------------------- misspellings

_SPELLING_FOLDS = (
    ("aluminium", "aluminum"), ("our", "or"), ("ph", "f"), ("th", "t"), ("ae", "e"), ("oe", "e"), ("y", "i"),
    ("k", "c"), ("z", "s"),
)  # fmt: skip
_FOREIGN_ENDING_RE = re.compile(r"(?:um|a|o|e|i|as|os)$")


def _folded(text):
    text = " ".join(word.removesuffix("es").removesuffix("s") for word in normalize(text).split())
    text = text.replace(" ", "").replace("-", "")
    for old, new in _SPELLING_FOLDS:
        text = text.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", text)


def spelling_key(text):
    """A name with the usual spelling alternatives folded ("sulphate"/"sulfate", "tumour"/"tumor",
    plurals, an "-e" ending, doubled letters, hyphens), so that names equal under it are
    variants, not misspellings."""
    return _folded(text).rstrip("s").rstrip("e")


def _foreign_key(text):
    """The stem under a foreign INN ending: "semaglutida", "semaglutidum" -> "semaglutid"."""
    return _FOREIGN_ENDING_RE.sub("", _folded(text)).rstrip("s").rstrip("e")


def is_misspelling(name, trusted, *, brands=frozenset()):
    """Is `name` a misspelling of one of the `trusted` names (normalised)?

    One edit away for names of 6-8 letters, two for longer ones, and not the same name
    under the usual spelling alternatives, a plural or a foreign INN ending; every word
    that differs has five letters or more ("pepsinogen ii" / "pepsinogen c" are two
    things). Two brands of the same length are two regions' names (Jakafi / Jakavi),
    not a typo: between brands only a letter too many or too few counts.
    """
    if len(name) < 6 or any(ch.isdigit() for ch in name):
        return False
    for other in trusted:
        if other == name or abs(len(other) - len(name)) > 2:
            continue
        limit = 1 if min(len(name), len(other)) < 9 else 2
        if Levenshtein.distance(name, other, score_cutoff=limit) > limit:
            continue
        if spelling_key(name) == spelling_key(other) or _foreign_key(name) == _foreign_key(other):
            continue
        words, other_words = name.split(), other.split()
        if len(words) != len(other_words):
            continue
        if any(a != b and min(len(a), len(b)) < 5 for a, b in zip(words, other_words, strict=True)):
            continue
        if name in brands and other in brands and len(name) == len(other):
            continue
        return True
    return False


def mark_misspellings(spec, generic_names):
    """Mark the spec's package names that misspell one of its trusted names; returns how many.

    Trusted: the drug's own name, its curated names and brands, the package's flagged
    brands, and any name that is a drug's generic name. A name that is itself a generic
    name of some drug is real, never a misspelling.
    """
    trusted = {
        normalized
        for normalized, alias in spec.aliases.items()
        if alias.kind == AliasKind.NAME
        or alias.origin == Origin.SUPPLEMENT
        or normalized in generic_names
        or alias.trusted
    }
    brands = {normalized for normalized, alias in spec.aliases.items() if alias.is_brand}
    marked = 0
    for normalized, alias in spec.aliases.items():
        if normalized in trusted or alias.kind not in (AliasKind.SYNONYM, AliasKind.BRITISH):
            continue
        if is_misspelling(normalized, trusted, brands=brands):
            alias.kind = AliasKind.MISSPELLING
            alias.is_brand = False
            marked += 1
    return marked


# --------------------------------------------------------------------------- combinations

_COMBINATION_SPLIT_RE = re.compile(r"\s*(?:,\s*and\s+|\s+and\s+|,\s*|\s*/\s*)\s*")


def combination_parts(name):
    """The parts of a combination's name ("A, B, and C", "A and B", "A/B"), or [] if it is not one."""
    text = " ".join(name.lower().split())
    if not (" and " in text or "/" in text) or "(" in text:
        return []
    parts = [p for p in _COMBINATION_SPLIT_RE.split(text) if p]
    return parts if len(parts) >= 2 else []


def read_combinations(specs, variant_to_canonical, folded, curated):
    """{combination key: [ingredient keys]} for the package's combinations and the curated list.

    A package entry is a combination when its name lists two or more parts that are each
    a drug, none containing another ("aprepitant/fosaprepitant" is two forms of one drug);
    package entries with the same ingredients are one product and fold into one.
    Curated entries (``combinations.toml``) name the combination as the dictionary spells
    it (or `create = true`), its brands and its ingredients; an unknown name is an error.
    Brands of a curated combination leave any single ingredient the package filed them
    under, or any other entry that is not curated to have them.
    """
    by_name = {normalize(spec.name): key for key, spec in specs.items()}

    def drug_key(text):
        normalized = normalize(text)
        key = by_name.get(normalized) or (normalized if normalized in specs else None)
        if key is None:
            owners = {folded.get(k, k) for k in variant_to_canonical.get(normalized, ())}
            owners = {k for k in owners if k in specs}
            key = owners.pop() if len(owners) == 1 else None
        if key is None and normalized in folded:
            key = folded[normalized]
        return folded.get(key, key)

    combinations = {}
    for key, spec in specs.items():
        parts = combination_parts(spec.name)
        if not parts:
            continue
        keys = [drug_key(part) for part in parts]
        if None in keys or key in keys or len(set(keys)) != len(keys):
            continue
        names = [normalize(specs[k].name) for k in keys]
        if any(a != b and (a in b or b in a) for a in names for b in names):
            continue
        combinations[key] = keys

    # The package often has one product twice ("Lopinavir and Ritonavir", "Lopinavir/ritonavir"):
    # entries with the same ingredients are one drug, filed under the "A and B" entry.
    groups = {}
    for key, keys in combinations.items():
        groups.setdefault(frozenset(keys), []).append(key)
    for keys in groups.values():
        if len(keys) < 2:
            continue
        keys.sort(key=lambda k: (" and " not in specs[k].name.lower(), not specs[k].fields.get("medlineplus_id"), k))
        survivor = specs[keys[0]]
        for other in keys[1:]:
            by_name[normalize(specs[other].name)] = survivor.key
            absorb(survivor, specs.pop(other))
            del combinations[other]

    from .sources import EntitySpec  # a curated combination the dictionary lacks is created here

    by_ingredients = {frozenset(keys): key for key, keys in combinations.items()}
    owners = {}
    for key, spec in specs.items():
        for normalized in spec.aliases:
            owners.setdefault(normalized, []).append(key)
    blocks, unknown = [], []
    for n, block in enumerate(curated.get("combination", []), start=1):
        name = (block.get("name") or "").strip()
        if not name:
            raise DrugIdentityError(f"combinations.toml: combination #{n} has no name.")
        texts = block.get("ingredients", [])
        ingredients = [drug_key(text) for text in texts]
        unknown += [f"{name}: {text!r}" for text, k in zip(texts, ingredients, strict=True) if k is None]
        if len({k for k in ingredients if k}) < 2 and None not in ingredients:
            raise DrugIdentityError(f"combinations.toml: {name!r} needs two or more different ingredients.")
        blocks.append((name, block, ingredients))
    if unknown:
        raise DrugIdentityError(f"combinations.toml: unknown ingredients: {'; '.join(unknown)}")
    for name, block, ingredients in blocks:
        key = by_name.get(normalize(name)) or by_ingredients.get(frozenset(ingredients))
        if key is None:
            key = f"supplement:{normalize(name)}"
            specs[key] = EntitySpec(
                key=key, name=name, origin=Origin.SUPPLEMENT, fields={"drugbank_id": None, "medlineplus_id": ""}
            )
            by_name[normalize(name)] = key
        specs[key].add_alias(name, origin=Origin.SUPPLEMENT)
        combinations[key] = ingredients
        by_ingredients.setdefault(frozenset(ingredients), key)
        combination = specs[key]
        for brand in block.get("brands", []):
            normalized = normalize(brand)
            for other_key in owners.get(normalized, ()):
                other = specs.get(other_key)
                alias = other.aliases.get(normalized) if other and other_key != key else None
                if alias is not None and alias.kind != AliasKind.NAME and alias.origin != Origin.SUPPLEMENT:
                    del other.aliases[normalized]  # a brand belongs to the product it names
            combination.add_alias(brand, is_brand=True, origin=Origin.SUPPLEMENT)
        for synonym in block.get("synonyms", []):
            combination.add_alias(synonym, origin=Origin.SUPPLEMENT)
    for key, ingredients in combinations.items():
        specs[key].ingredients = ingredients
    return combinations
