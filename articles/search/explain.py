"""Why a result matched, in words: "mentions Ruxolitinib in the title (you searched
Jakafi, a brand name of Ruxolitinib)"."""

from ..models import AliasKind, LinkOrigin, LinkStatus

RELATIONS = {
    AliasKind.NAME: "the name of",
    AliasKind.SYNONYM: "another name for",
    AliasKind.ABBREVIATION: "an abbreviation for",
    AliasKind.LAY: "an everyday name for",
    AliasKind.BRITISH: "the British spelling of",
    AliasKind.MISSPELLING: "a common misspelling of",
}


def you_searched(match):
    """'you searched Jakafi, a brand name of Ruxolitinib', or None when nothing needs saying."""
    name = match.entity.name
    if match.fuzzy:
        return f"you searched “{match.typed}”; the closest name is {match.alias}"
    if match.is_brand:
        return f"you searched {match.typed}, a brand name of {name}"
    if match.alias.casefold() == name.casefold():
        return None
    return f"you searched {match.typed}, {RELATIONS.get(match.alias_kind, 'another name for')} {name}"


def _mention(name, link):
    """ "mentions X in the title and 3 times in the text" where the text says it; a link
    without a mention is "linked to X by an editor" (or by machine)."""
    where = []
    if link.in_title:
        where.append("in the title")
    if link.mention_count:
        times = "once" if link.mention_count == 1 else f"{link.mention_count} times"
        where.append(f"{times} in the text")
    if not where:
        curated = getattr(link, "origin", None) == LinkOrigin.EDITOR or link.status == LinkStatus.CONFIRMED
        by = "an editor" if curated else "machine"
        return f"linked to {name} by {by}"
    return f"mentions {name} " + " and ".join(where)


def _links(article):
    return {
        "condition": {link.condition_id: link for link in getattr(article, "public_condition_links", [])},
        "drug": {link.drug_id: link for link in getattr(article, "public_drug_links", [])},
        "institution": {link.institution_id: link for link in getattr(article, "public_institution_links", [])},
        "drug_class": {link.drug_class_id: link for link in getattr(article, "public_drug_class_links", [])},
    }


def group_links(article, group):
    """[(match, link, narrower entity name or None)] of the article's links behind a group."""
    links = _links(article)
    found = []
    for match in group.matches:
        entity = match.entity
        link = links[entity.kind].get(entity.id)
        if link is not None:
            found.append((match, link, None))
            continue
        if entity.kind == "drug_class":  # a narrower class the story names, else a member drug
            below = [
                (links["drug_class"], group.subclasses.get(entity.id, [])),
                (links["drug"], group.members.get(entity.id, [])),
            ]
        else:
            below = [(links["condition"], group.narrower.get(entity.id, []))]
        child = next(
            ((child_link, name) for kind_links, children in below for pk, name, _slug in children
             if (child_link := kind_links.get(pk)) is not None),
            None,
        )  # fmt: skip
        if child is not None:
            found.append((match, *child))
    return found


def reasons(article, groups, words):
    """The reasons, as a list of clauses."""
    result = []
    for group in groups:
        for match, link, narrower in group_links(article, group)[:2]:
            if narrower and match.entity.kind == "drug_class" and hasattr(link, "drug_class_id"):
                text = _mention(narrower, link) + f", a kind of {match.entity.name}"
            elif narrower and match.entity.kind == "drug_class":
                text = _mention(narrower, link) + f", one of the {match.entity.name}"
            elif narrower:
                text = _mention(narrower, link) + f", a narrower condition under {match.entity.name}"
            else:
                text = _mention(match.entity.name, link)
            note = you_searched(match)
            if note:
                text += f" ({note})"
            if link.status == LinkStatus.SUGGESTED:
                text += "; the link was suggested by machine, not yet checked by an editor"
            result.append(text)
    if words:  # words and names the text holds (checked by the caller), without a link
        quoted = ", ".join(f"“{w}”" for w in words)
        result.append(f"matches the words {quoted}")
    if article.canonical_id and article.canonical:
        original = article.canonical
        source = f" by {original.source.name}" if original.source else ""
        result.append(f"a syndicated copy of “{original.title}”, first published{source}")
    return result


def why(article, groups, words):
    """The reasons as one sentence: "Mentions Ruxolitinib in the title (you searched …); contains “trial”"."""
    text = "; ".join(reasons(article, groups, words))
    return text[:1].upper() + text[1:]
