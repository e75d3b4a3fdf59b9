"""Plain-language cautions for an article's evidence, shown beside its evidence labels.

News about a study in mice, a few patients or a single case reads much like news
about a large randomised trial. Where the facts the article reports (study type,
phase, number of participants) say the evidence is thin, readers get one or two
sentences saying so, without jargon.
"""

from dataclasses import dataclass

from .models import StudyType

SMALL_STUDY = 30  # fewer people than this: results often change in larger studies


@dataclass(frozen=True)
class Caution:
    text: str
    thin: bool = True  # thin evidence (shown as a warning), else context worth knowing


STUDY_TYPE_CAUTIONS = {
    StudyType.ANIMAL: "This was a study in animals, not people. Most treatments that work in animals "
    "do not work as well, or at all, in humans.",
    StudyType.IN_VITRO: "This was a laboratory study of cells, not of people. It is an early step; "
    "few such findings become treatments.",
    StudyType.CASE_REPORT: "This describes a single patient. One person's story cannot show that a treatment "
    "works, or is safe, for others.",
    StudyType.MODELLING: "This is a modelling study: it estimates what may happen from assumptions and past "
    "data; it did not follow patients.",
    StudyType.CLINICAL_TRIAL: "Patients were not randomly assigned to treatment or comparison, so part of any "
    "difference may come from who was chosen rather than from the treatment.",
}
OBSERVATIONAL = {StudyType.COHORT, StudyType.CASE_CONTROL, StudyType.CROSS_SECTIONAL}


def _people(n):
    return "one person" if n == 1 else f"{n:,} people"


def cautions(article):
    """[Caution] for what the article reports about its evidence; empty when nothing calls for one."""
    found = []
    n = article.participants
    if article.study_type == StudyType.CASE_SERIES:
        who = f"{_people(n)}" if n else "a small group of patients"
        found.append(
            Caution(
                f"This describes {who} treated without a comparison group, so it cannot show that "
                "the treatment caused the change; it can only suggest what to test properly."
            )
        )
    elif article.study_type in STUDY_TYPE_CAUTIONS:
        found.append(Caution(STUDY_TYPE_CAUTIONS[article.study_type]))
    elif article.study_type in OBSERVATIONAL:
        found.append(
            Caution(
                "This is an observational study: it can show that two things go together, "
                "not that one causes the other.",
                thin=False,
            )
        )
    if article.trial_phase == 1:
        found.append(
            Caution("Phase 1 trials test safety and dose in a few people; they do not show whether a treatment works.")
        )
    human = article.study_type not in {StudyType.ANIMAL, StudyType.IN_VITRO, StudyType.MODELLING}
    if n and n < SMALL_STUDY and human and article.study_type not in {StudyType.CASE_SERIES, StudyType.CASE_REPORT}:
        found.append(
            Caution(f"Only {_people(n)} took part. Results from small studies often change when larger ones are done.")
        )
    return found
