"""NewsBase domain model: articles, the entities they mention, and the links between.

Reads are chainable QuerySet methods (``Article.objects.published().for_drug(d)``);
writes that touch several models live in ``articles.services``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from modelsearch import index
from modelsearch.queryset import SearchableQuerySetMixin
from simple_history.models import HistoricalRecords

from .text import normalize, spelling_key


class Origin(models.TextChoices):
    VOCABULARY = "vocabulary", "vocabulary package"
    SUPPLEMENT = "supplement", "NewsBase supplement"
    EDITOR = "editor", "editor"
    AUTO = "auto", "machine (import)"


# --------------------------------------------------------------------------- sources


class Source(models.Model):
    """A publisher (news outlet) that articles come from."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    homepage = models.URLField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return f"{reverse('articles:article-list')}?source={self.slug}"


# --------------------------------------------------------------------------- entities


class LinkStatus(models.TextChoices):
    SUGGESTED = "suggested", "suggested by the machine"
    CONFIRMED = "confirmed", "confirmed by an editor"
    REJECTED = "rejected", "rejected by an editor"


PUBLIC_LINK_STATUSES = (LinkStatus.SUGGESTED, LinkStatus.CONFIRMED)


# A link a reader may see (on its article): not rejected. A link a reader may count (in an
# entity's articles, facets, counts): also its article published, which the copied
# `published` date says. Written here once, for the ORM and for hand-written SQL.


def public_links_q(prefix=""):
    """Q for links a reader may count: not rejected, article published (date copied)."""
    return Q(**{f"{prefix}published__isnull": False}) & ~Q(**{f"{prefix}status": LinkStatus.REJECTED})


def visible_link_sql(alias=""):
    """SQL twin of ``LinkQuerySet.visible()``: the link is not rejected (`alias`: the link table's)."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}status <> '{LinkStatus.REJECTED}'"


def public_link_sql(alias=""):
    """SQL twin of ``public_links_q()``: a link a reader may count."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}published IS NOT NULL AND {visible_link_sql(alias)}"


class EntityQuerySet(models.QuerySet):
    link_name = None  # related name of the entity's link table ("article_links")

    def with_article_count(self):
        """Annotate ``article_count``: published articles with a link that is not rejected.

        A correlated COUNT(*) over the link table, so that it reads only the link
        table's covering index (entity, published, status) — not a join grouped by
        every column of the entity, nor the rows for their ids.
        """
        link_model = self.model._meta.get_field("article_links").related_model
        public = link_model.objects.public().filter(**{link_model.entity_field: OuterRef("pk")})
        counted = public.order_by().values(link_model.entity_field).annotate(n=Count("*")).values("n")
        return self.annotate(article_count=Coalesce(Subquery(counted), 0))

    def having_articles(self):
        """Only entities with at least one public article."""
        link_model = self.model._meta.get_field("article_links").related_model
        entity_field = link_model.entity_field
        public = link_model.objects.public().filter(**{entity_field: OuterRef("pk")})
        return self.filter(Exists(public))

    def matching_alias(self, text):
        """Entities with an alias whose normalised form equals that of `text`."""
        return self.filter(aliases__normalized=normalize(text)).distinct()


class Entity(models.Model):
    """Fields shared by conditions, drugs and institutions."""

    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.EDITOR)
    # Key of the record in the vocabulary package or supplement, so that
    # load_vocabulary finds what it loaded before. Empty for editors' entities.
    vocabulary_key = models.CharField(max_length=255, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EntityQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def public_article_count(self):
        return self.article_links.public().count()

    def other_names(self):
        """Aliases other than the entity's own name, brands first, never a misspelling (uses prefetched aliases).

        Names that differ only in how they are written ("Food & Drug Administration" beside
        "Food and Drug Administration", "Saint"/"St.", a leading "The", "F.D.A." beside "FDA") are shown once: the
        rule-made variants are there for matching, not as more names to read.
        """
        own = spelling_key(self.name)
        names = sorted(
            (alias for alias in self.aliases.all() if alias.kind != AliasKind.MISSPELLING),
            key=lambda alias: (
                not alias.is_brand,
                alias.kind != AliasKind.LAY,
                "&" in alias.text,
                alias.text.count("."),
                alias.text.lower(),
            ),
        )
        seen, shown = {own}, []
        for alias in names:
            key = spelling_key(alias.text)
            if key not in seen:
                seen.add(key)
                shown.append(alias)
        return sorted(shown, key=lambda alias: (not alias.is_brand, alias.kind != AliasKind.LAY, alias.text.lower()))


class Condition(Entity):
    """A disease or health condition, identified by its MeSH descriptor."""

    mesh_id = models.CharField(
        "MeSH id",
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        help_text="MeSH descriptor id, e.g. D000506 (Alopecia Areata).",
    )

    history = HistoricalRecords()

    class Meta(Entity.Meta):
        permissions = [("merge_condition", "Can merge conditions")]
        constraints = [
            models.CheckConstraint(
                condition=Q(mesh_id__isnull=True) | Q(mesh_id__startswith="D"),
                name="condition_mesh_id_format",
            ),
        ]

    def get_absolute_url(self):
        return reverse("articles:condition-detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.mesh_id == "":
            self.mesh_id = None
        if self.mesh_id and not (self.mesh_id[:1] == "D" and self.mesh_id[1:].isdigit()):
            raise ValidationError({"mesh_id": "A MeSH descriptor id is D followed by digits, e.g. D000506."})

    @property
    def mesh_url(self):
        return f"https://meshb.nlm.nih.gov/record/ui?ui={self.mesh_id}" if self.mesh_id else ""

    def tree_number_list(self):
        return [t.number for t in self.tree_numbers.all()]

    def parents(self):
        """Conditions one level up the MeSH tree (from every tree position)."""
        numbers = [t.parent_number for t in self.tree_numbers.all() if t.parent_number]
        return Condition.objects.filter(tree_numbers__number__in=numbers).exclude(pk=self.pk).distinct()

    def children(self):
        """Conditions one level down the MeSH tree."""
        numbers = self.tree_number_list()
        return Condition.objects.filter(tree_numbers__parent_number__in=numbers).exclude(pk=self.pk).distinct()

    def descendants(self):
        """Every condition below this one in the MeSH tree (not including itself)."""
        return (
            Condition.objects.filter(ConditionTreeNumber.below_q(self.tree_number_list(), "tree_numbers__"))
            .exclude(pk=self.pk)
            .distinct()
        )


class ConditionTreeNumber(models.Model):
    """One position of a condition in the MeSH tree (a condition may have several)."""

    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="tree_numbers")
    number = models.CharField(max_length=80, unique=True, help_text="e.g. C17.800.329.937.122.147")
    # Derived from number, stored so that children are one indexed lookup.
    parent_number = models.CharField(max_length=80, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["number"]
        indexes = [models.Index(fields=["parent_number"], name="treenumber_parent_idx")]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.parent_number = self.parent_of(self.number)
        super().save(*args, **kwargs)

    def clean(self):
        if not self.is_valid(self.number):
            raise ValidationError(
                {"number": "A MeSH tree number looks like C17.800.329 (letter, 2 digits, .3 digits…)."}
            )

    @staticmethod
    def is_valid(number):
        head, *rest = number.split(".")
        return (
            len(head) == 3
            and head[0].isalpha()
            and head[0].isupper()
            and head[1:].isdigit()
            and all(len(part) == 3 and part.isdigit() for part in rest)
        )

    @staticmethod
    def parent_of(number):
        return number.rsplit(".", 1)[0] if "." in number else ""

    @staticmethod
    def branches(condition_ids, *, limit=None):
        """{condition id: [(id, name, slug), ...]}: the narrower conditions of each (one query).

        The one definition of a branch, which condition pages, their feeds, search and the
        tree's counts share: everything below any of the condition's places, and again below
        any place of those (a narrower condition's other places bring theirs), each once, in
        tree order. A tree-number range per step ([N., N/) on the unique number index), so
        the link table is never read. At most `limit` per condition when given.
        """
        condition_ids = sorted(set(condition_ids))
        result = {pk: [] for pk in condition_ids}
        if not condition_ids:
            return result
        tree, conditions = ConditionTreeNumber._meta.db_table, Condition._meta.db_table
        placeholders = ", ".join(["%s"] * len(condition_ids))
        # Table names are constants; values are parameters.
        order = f"(SELECT MIN(n.number) FROM {tree} n WHERE n.condition_id = c.id)"  # noqa: S608
        sql = (
            f"WITH RECURSIVE branch(root, member) AS (SELECT id, id FROM {conditions} WHERE id IN ({placeholders}) "  # noqa: S608
            f"UNION SELECT b.root, t.condition_id FROM branch b JOIN {tree} k ON k.condition_id = b.member "
            f"JOIN {tree} t ON t.number > k.number AND t.number < k.number || '/') "
            f"SELECT b.root, c.id, c.name, c.slug, {order} AS o FROM branch b "
            f"JOIN {conditions} c ON c.id = b.member WHERE b.member <> b.root ORDER BY b.root, o, c.id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, condition_ids)
            for root, pk, name, slug, _order in cursor.fetchall():
                if limit is None or len(result[root]) < limit:
                    result[root].append((pk, name, slug))
        return result

    @staticmethod
    def below_q(numbers, prefix=""):
        """Q for tree numbers strictly below any of `numbers` (an index range, not LIKE)."""
        q = Q(pk__in=[])
        for number in numbers:
            # "." < "/" in ASCII, so [N., N/) is exactly the numbers that start with "N.".
            q |= Q(**{f"{prefix}number__gte": f"{number}.", f"{prefix}number__lt": f"{number}/"})
        return q


class Drug(Entity):
    """A drug, identified by DrugBank and MedlinePlus ids where known."""

    drugbank_id = models.CharField("DrugBank id", max_length=16, unique=True, null=True, blank=True)
    medlineplus_id = models.CharField("MedlinePlus id", max_length=16, blank=True)
    drug_class = models.CharField(max_length=200, blank=True, help_text="e.g. JAK inhibitor")
    notes = models.TextField(blank=True)
    # A combination product's active ingredients (Paxlovid: nirmatrelvir and ritonavir); a story
    # naming the combination is linked to each of them too. `contained_in` is the reverse.
    ingredients = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="contained_in", help_text="For a combination product."
    )

    history = HistoricalRecords()

    class Meta(Entity.Meta):
        permissions = [("merge_drug", "Can merge drugs")]
        indexes = [models.Index(fields=["medlineplus_id"], name="drug_medlineplus_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(drugbank_id__isnull=True) | Q(drugbank_id__startswith="DB"),
                name="drug_drugbank_id_format",
            ),
        ]

    def get_absolute_url(self):
        return reverse("articles:drug-detail", kwargs={"slug": self.slug})

    @property
    def is_combination(self):
        return bool(self.ingredients.all())

    def clean(self):
        if self.drugbank_id == "":
            self.drugbank_id = None
        if self.drugbank_id and not (self.drugbank_id[:2] == "DB" and self.drugbank_id[2:].isdigit()):
            raise ValidationError({"drugbank_id": "A DrugBank id is DB followed by digits, e.g. DB08877."})

    @property
    def drugbank_url(self):
        return f"https://go.drugbank.com/drugs/{self.drugbank_id}" if self.drugbank_id else ""

    @property
    def medlineplus_url(self):
        if not self.medlineplus_id:
            return ""
        return f"https://medlineplus.gov/druginfo/meds/{self.medlineplus_id}.html"


class InstitutionKind(models.TextChoices):
    UNIVERSITY = "university", "university"
    HOSPITAL = "hospital", "hospital"
    COMPANY = "company", "company"
    REGULATOR = "regulator", "regulator"
    AGENCY = "agency", "public agency"
    JOURNAL = "journal", "journal"
    RESEARCH_INSTITUTE = "research_institute", "research institute"
    CHARITY = "charity", "charity or foundation"
    OTHER = "other", "other"


class Institution(Entity):
    """A university, hospital, company, regulator, journal... that news cites."""

    kind = models.CharField(max_length=32, choices=InstitutionKind.choices, default=InstitutionKind.OTHER)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code, e.g. US")
    ror_id = models.CharField("ROR id", max_length=16, unique=True, null=True, blank=True)
    homepage = models.URLField(blank=True)

    history = HistoricalRecords()

    class Meta(Entity.Meta):
        permissions = [("merge_institution", "Can merge institutions")]
        indexes = [models.Index(fields=["kind"], name="institution_kind_idx")]

    def get_absolute_url(self):
        return reverse("articles:institution-detail", kwargs={"slug": self.slug})

    def clean(self):
        if self.ror_id == "":
            self.ror_id = None
        if self.country and not (len(self.country) == 2 and self.country.isalpha()):
            raise ValidationError({"country": "Use the two-letter ISO country code, e.g. GB."})
        self.country = self.country.upper()


class EntityRedirect(models.Model):
    """What a merge removed: its old slug redirects to the survivor, its vocabulary
    key is not loaded again."""

    class EntityType(models.TextChoices):
        CONDITION = "condition", "condition"
        DRUG = "drug", "drug"
        INSTITUTION = "institution", "institution"
        DRUG_CLASS = "drugclass", "drug class"

    entity_type = models.CharField(max_length=16, choices=EntityType.choices)
    old_slug = models.SlugField(max_length=255)
    old_name = models.CharField(max_length=255, blank=True)
    vocabulary_key = models.CharField(max_length=255, blank=True)
    target_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["entity_type", "old_slug"]
        constraints = [
            models.UniqueConstraint(fields=["entity_type", "old_slug"], name="entityredirect_unique_slug"),
        ]

    def __str__(self):
        return f"{self.entity_type} {self.old_slug} → #{self.target_id}"

    @classmethod
    def survivor(cls, model, slug):
        """The entity of `model` that the one once at `slug` was merged into, or None."""
        redirect = cls.objects.filter(entity_type=model._meta.model_name, old_slug=slug).first()
        return redirect and model.objects.filter(pk=redirect.target_id).only("slug").first()


# --------------------------------------------------------------------------- aliases


class AliasKind(models.TextChoices):
    NAME = "name", "preferred name"
    SYNONYM = "synonym", "synonym"
    ABBREVIATION = "abbreviation", "abbreviation"
    LAY = "lay", "lay term"
    BRITISH = "british", "British spelling"
    MISSPELLING = "misspelling", "common misspelling"


class Alias(models.Model):
    """A name an entity goes by. Matching and search go through aliases."""

    text = models.CharField(max_length=300)
    normalized = models.CharField(max_length=300, editable=False)
    kind = models.CharField(max_length=16, choices=AliasKind.choices, default=AliasKind.SYNONYM)
    is_brand = models.BooleanField(default=False)
    match_case = models.BooleanField(
        default=False, help_text="Only match text written in exactly this case (abbreviations such as HIV)."
    )
    is_ambiguous = models.BooleanField(
        default=False, help_text="An ordinary word too: never linked on its own, only found by search."
    )
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.EDITOR)

    class Meta:
        abstract = True
        ordering = ["text"]

    def __str__(self):
        return self.text

    def save(self, *args, **kwargs):
        self.normalized = normalize(self.text)
        super().save(*args, **kwargs)

    def clean(self):
        if not normalize(self.text):
            raise ValidationError({"text": "An alias needs at least one letter or digit."})


def _alias_meta(entity, short):
    return type(
        "Meta",
        (Alias.Meta,),
        {
            "constraints": [
                models.UniqueConstraint(fields=[entity, "normalized"], name=f"{short}alias_unique_per_entity"),
                models.CheckConstraint(condition=~Q(normalized=""), name=f"{short}alias_normalized_not_empty"),
            ],
            "indexes": [models.Index(fields=["normalized"], name=f"{short}alias_normalized_idx")],
            "verbose_name": f"{entity} alias",
            "verbose_name_plural": f"{entity} aliases",
        },
    )


class ConditionAlias(Alias):
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="aliases")
    history = HistoricalRecords()
    Meta = _alias_meta("condition", "cond")
    entity_field = "condition"


class DrugAlias(Alias):
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="aliases")
    history = HistoricalRecords()
    Meta = _alias_meta("drug", "drug")
    entity_field = "drug"


class InstitutionAlias(Alias):
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="aliases")
    history = HistoricalRecords()
    Meta = _alias_meta("institution", "inst")
    entity_field = "institution"


# --------------------------------------------------------------------------- drug classes


class DrugClassQuerySet(EntityQuerySet):
    def with_member_count(self):
        """Annotate ``member_count``: drugs in the class (a correlated count, no GROUP BY)."""
        members = (
            DrugClassMember.objects.filter(drug_class=OuterRef("pk"))
            .order_by()
            .values("drug_class")
            .annotate(n=Count("*"))
            .values("n")
        )
        return self.annotate(member_count=Coalesce(Subquery(members), 0))


class DrugClass(Entity):
    """A class of drugs that news names as such: statins, GLP-1 receptor agonists, SSRIs...

    Its member drugs are listed in ``DrugClassMember``; a story that names the class (by
    any of its aliases) links to the class through ``ArticleDrugClass``, not to each member.
    """

    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="The broader class, e.g. antidiabetics for SGLT2 inhibitors.",
    )
    members = models.ManyToManyField(Drug, through="DrugClassMember", related_name="classes", blank=True)

    history = HistoricalRecords()
    objects = DrugClassQuerySet.as_manager()

    class Meta(Entity.Meta):
        verbose_name = "drug class"
        verbose_name_plural = "drug classes"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="drugclass_not_own_parent"),
        ]

    def get_absolute_url(self):
        return reverse("articles:drug-class-detail", kwargs={"slug": self.slug})

    def clean(self):
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": "A class cannot sit below itself or one of its subclasses."})
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class DrugClassMember(models.Model):
    """A drug belongs to a class (a drug may belong to several)."""

    drug_class = models.ForeignKey(DrugClass, on_delete=models.CASCADE, related_name="memberships")
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="class_memberships")
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.EDITOR, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["drug_class", "drug__name"]
        verbose_name = "drug class member"
        constraints = [models.UniqueConstraint(fields=["drug_class", "drug"], name="drugclassmember_unique")]
        indexes = [models.Index(fields=["drug"], name="drugclassmember_drug_idx")]

    def __str__(self):
        return f"{self.drug} in {self.drug_class}"


class DrugClassAlias(Alias):
    drug_class = models.ForeignKey(DrugClass, on_delete=models.CASCADE, related_name="aliases")
    history = HistoricalRecords()
    entity_field = "drug_class"

    class Meta(_alias_meta("drug_class", "dclass")):
        verbose_name = "drug class alias"
        verbose_name_plural = "drug class aliases"


# --------------------------------------------------------------------------- articles


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    REVIEW = "review", "in review"
    PUBLISHED = "published", "published"
    WITHDRAWN = "withdrawn", "withdrawn"


class StudyType(models.TextChoices):
    META_ANALYSIS = "meta_analysis", "meta-analysis"
    SYSTEMATIC_REVIEW = "systematic_review", "systematic review"
    RCT = "rct", "randomised controlled trial"
    CLINICAL_TRIAL = "clinical_trial", "clinical trial (not randomised)"
    COHORT = "cohort", "cohort study"
    CASE_CONTROL = "case_control", "case-control study"
    CROSS_SECTIONAL = "cross_sectional", "cross-sectional study"
    CASE_SERIES = "case_series", "case series"
    CASE_REPORT = "case_report", "case report"
    ANIMAL = "animal", "animal study"
    IN_VITRO = "in_vitro", "laboratory (cells) study"
    MODELLING = "modelling", "modelling study"
    REVIEW = "review", "review"
    OTHER = "other", "other"


class RegulatoryStatus(models.TextChoices):
    APPROVED = "approved", "approved"
    REJECTED = "rejected", "rejected"
    UNDER_REVIEW = "under_review", "under review"
    WITHDRAWN = "withdrawn", "withdrawn from the market"
    RECALLED = "recalled", "recalled"


class ArticleQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def published(self):
        """What readers may see."""
        return self.filter(status=ArticleStatus.PUBLISHED, published__isnull=False)

    def originals(self):
        """Not syndicated copies of another article."""
        return self.filter(canonical__isnull=True)

    def _linked(self, link_model, entities):
        links = link_model.objects.visible().filter(**{f"{link_model.entity_field}__in": entities})
        return self.filter(pk__in=links.values("article_id"))

    def for_condition(self, condition, include_narrower=False):
        """Articles with a public link to `condition` (or, with `include_narrower`, to it or any
        condition of its branch: ``ConditionTreeNumber.branches``)."""
        ids = [condition.pk]
        if include_narrower:
            ids += [pk for pk, _, _ in ConditionTreeNumber.branches([condition.pk])[condition.pk]]
        return self.for_conditions(ids)

    def for_conditions(self, condition_ids):
        """Articles with a public link to any of `condition_ids` (a branch), each once."""
        return self._linked(ArticleCondition, list(condition_ids))

    def for_drug(self, drug):
        return self._linked(ArticleDrug, [drug])

    def for_institution(self, institution):
        return self._linked(ArticleInstitution, [institution])

    def for_source(self, source):
        return self.filter(source=source)

    def listing(self):
        """Columns a list page needs (no body), newest first."""
        return self.select_related("source").defer("body").order_by(F("published").desc(nulls_last=True), "-pk")

    def with_public_links(self):
        """Prefetch each article's visible links with their entities (3 queries)."""
        return self.prefetch_related(
            models.Prefetch(
                "condition_links",
                queryset=ArticleCondition.objects.visible().select_related("condition"),
                to_attr="public_condition_links",
            ),
            models.Prefetch(
                "drug_links",
                queryset=ArticleDrug.objects.visible().select_related("drug"),
                to_attr="public_drug_links",
            ),
            models.Prefetch(
                "institution_links",
                queryset=ArticleInstitution.objects.visible().select_related("institution"),
                to_attr="public_institution_links",
            ),
        )


class Article(index.Indexed, models.Model):
    """One news story, as published by one source."""

    title = models.CharField(max_length=500)
    slug = models.SlugField(max_length=255, unique=True)
    body = models.TextField(help_text="Plain text; paragraphs separated by a blank line.")
    summary = models.TextField(blank=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="articles", null=True, blank=True)
    source_url = models.URLField(max_length=1000, unique=True, null=True, blank=True)
    author = models.CharField(max_length=300, blank=True)
    published = models.DateTimeField(
        null=True, blank=True, help_text="When the source published the story (required to publish)."
    )
    imported_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    status = models.CharField(max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="Who made it public.",
    )

    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    canonical = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        help_text="For a syndicated copy: the first-seen original.",
    )
    syndication_similarity = models.FloatField(null=True, blank=True, editable=False)

    # Evidence facts the article reports (null/blank where not stated).
    study_type = models.CharField(max_length=24, choices=StudyType.choices, blank=True)
    trial_phase = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    participants = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    journal = models.CharField(max_length=300, blank=True)
    doi = models.CharField("DOI", max_length=255, blank=True)
    pmid = models.CharField(
        "PubMed id", max_length=10, blank=True, help_text="The study's PubMed id, as the story states it."
    )
    regulatory_status = models.CharField(max_length=16, choices=RegulatoryStatus.choices, blank=True)

    conditions = models.ManyToManyField(Condition, through="ArticleCondition", related_name="articles")
    drugs = models.ManyToManyField(Drug, through="ArticleDrug", related_name="articles")
    institutions = models.ManyToManyField(Institution, through="ArticleInstitution", related_name="articles")

    objects = ArticleQuerySet.as_manager()
    # No index on the history copies of slug and source_url: history is read by article id.
    history = HistoricalRecords(excluded_fields=["updated_at"], no_db_index=["slug", "source_url"])
    # Index upkeep is articles.indexing's (per save, or batched during imports).
    search_auto_update = False

    search_fields = [
        index.SearchField("title", boost=4),
        index.AutocompleteField("title"),
        index.SearchField("summary", boost=2),
        index.SearchField("body"),
        index.FilterField("status"),
        index.FilterField("published"),
        index.FilterField("source"),
        index.FilterField("canonical"),
    ]

    class Meta:
        ordering = ["-published", "-pk"]
        permissions = [
            ("publish_article", "Can publish and withdraw articles"),
            ("import_articles", "Can import articles from files or pasted text"),
        ]
        indexes = [
            models.Index(fields=["status", "-published"], name="article_status_published_idx"),
            models.Index(fields=["content_hash"], name="article_content_hash_idx"),
            models.Index(fields=["source", "-published"], name="article_source_published_idx"),
            # The syndicated copies among a page of results (rows.copies): a few per cent of the
            # stories, so that PostgreSQL probes this small index rather than walking every copy.
            models.Index(
                fields=["id"],
                condition=Q(status=ArticleStatus.PUBLISHED) & Q(canonical__isnull=False),
                name="article_copy_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ArticleStatus.PUBLISHED) | Q(published__isnull=False),
                name="article_published_needs_date",
            ),
            models.CheckConstraint(condition=~Q(canonical=F("id")), name="article_not_own_canonical"),
            models.CheckConstraint(
                condition=Q(trial_phase__isnull=True) | Q(trial_phase__gte=1, trial_phase__lte=4),
                name="article_trial_phase_1_to_4",
            ),
            models.CheckConstraint(
                condition=Q(participants__isnull=True) | Q(participants__gte=1),
                name="article_participants_positive",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("articles:article-detail", kwargs={"slug": self.slug})

    @property
    def is_public(self):
        return self.status == ArticleStatus.PUBLISHED and self.published is not None

    def clean(self):
        if self.source_url == "":
            self.source_url = None
        if self.status == ArticleStatus.PUBLISHED and self.published is None:
            raise ValidationError({"published": "A published article needs its publication date."})
        if self.canonical_id and self.canonical_id == self.pk:
            raise ValidationError({"canonical": "An article cannot be a copy of itself."})
        if self.canonical_id and self.canonical.canonical_id:
            raise ValidationError({"canonical": "Point to the original, not to another copy."})

    def paragraphs(self):
        return [p.strip() for p in self.body.split("\n\n") if p.strip()]


class ArticleTrial(models.Model):
    """A trial registry id the article cites (e.g. NCT03570749)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="trials")
    registry_id = models.CharField(max_length=32)

    history = HistoricalRecords()

    class Meta:
        ordering = ["registry_id"]
        constraints = [models.UniqueConstraint(fields=["article", "registry_id"], name="articletrial_unique")]
        indexes = [models.Index(fields=["registry_id"], name="articletrial_registry_idx")]

    def __str__(self):
        return self.registry_id

    @property
    def url(self):
        if self.registry_id.upper().startswith("NCT"):
            return f"https://clinicaltrials.gov/study/{self.registry_id.upper()}"
        return ""


# --------------------------------------------------------------------------- links


class LinkOrigin(models.TextChoices):
    AUTO = "auto", "machine"
    EDITOR = "editor", "editor"


class LinkQuerySet(models.QuerySet):
    def visible(self):
        """Links a reader may see on an article (not rejected)."""
        return self.exclude(status=LinkStatus.REJECTED)

    def public(self):
        """Visible links of published articles (the copied date is set only then)."""
        return self.filter(public_links_q())

    def suggested(self):
        return self.filter(status=LinkStatus.SUGGESTED)


class ArticleLink(models.Model):
    """An article mentions an entity. Concrete tables: one per entity type."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE)
    origin = models.CharField(max_length=8, choices=LinkOrigin.choices, default=LinkOrigin.AUTO)
    status = models.CharField(max_length=16, choices=LinkStatus.choices, default=LinkStatus.SUGGESTED)
    confidence = models.FloatField(default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    matched_text = models.CharField(max_length=300, blank=True)
    first_offset = models.PositiveIntegerField(null=True, blank=True)
    mention_count = models.PositiveIntegerField(default=0)
    in_title = models.BooleanField(default=False)
    # A copy of the article's published date while the article is public, NULL
    # otherwise; kept in step by services.sync_link_dates. Browsing and counting
    # go through (entity, published) without touching the article table.
    published = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LinkQuerySet.as_manager()

    entity_field = None

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.article} → {self.entity}"

    @property
    def entity(self):
        return getattr(self, self.entity_field)

    @property
    def is_machine_suggested(self):
        return self.status == LinkStatus.SUGGESTED


def _link_meta(entity, short):
    return type(
        "Meta",
        (),
        {
            "ordering": ["-mention_count", "pk"],
            "constraints": [
                models.UniqueConstraint(fields=["article", entity], name=f"link_{short}_unique"),
                models.CheckConstraint(
                    condition=Q(confidence__gte=0) & Q(confidence__lte=1), name=f"link_{short}_confidence_0_1"
                ),
            ],
            "indexes": [
                models.Index(fields=[entity, "-published"], name=f"link_{short}_entity_pub_idx"),
                models.Index(fields=["status", "-confidence"], name=f"link_{short}_status_idx"),
                # The few links an editor rejected, per entity: search leaves their articles out
                # of the entity's text matches with one small read (a hash anti-join) rather than
                # a probe of the unique index per matching article.
                models.Index(
                    fields=[entity, "article"],
                    condition=Q(status=LinkStatus.REJECTED),
                    name=f"link_{short}_rejected_idx",
                ),
            ],
        },
    )


class ArticleCondition(ArticleLink):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="condition_links")
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="article_links")
    history = HistoricalRecords(excluded_fields=["published"])
    entity_field = "condition"
    Meta = _link_meta("condition", "cond")


class ArticleDrug(ArticleLink):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="drug_links")
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="article_links")
    history = HistoricalRecords(excluded_fields=["published"])
    entity_field = "drug"
    Meta = _link_meta("drug", "drug")


class ArticleInstitution(ArticleLink):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="institution_links")
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="article_links")
    history = HistoricalRecords(excluded_fields=["published"])
    entity_field = "institution"
    Meta = _link_meta("institution", "inst")


class ArticleDrugClass(ArticleLink):
    """A story names a drug class ("statins", "GLP-1 drugs")."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="drug_class_links")
    drug_class = models.ForeignKey(DrugClass, on_delete=models.CASCADE, related_name="article_links")
    history = HistoricalRecords(excluded_fields=["published"])
    entity_field = "drug_class"

    class Meta(_link_meta("drug_class", "dclass")):
        verbose_name = "article drug class"
        verbose_name_plural = "article drug classes"


class DrugConditionReport(models.Model):
    """A story reports a drug for a condition: the linker found both named in one sentence
    (origin auto, recomputed when the text changes), or an editor said so (origin editor,
    kept). A drug page claims the relation only through these rows, and only while the
    story is published and neither its drug nor its condition link is rejected."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="drug_condition_reports")
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="condition_reports")
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="drug_reports")
    origin = models.CharField(
        max_length=8,
        choices=LinkOrigin.choices,
        default=LinkOrigin.EDITOR,
        help_text="machine: both named in one sentence of the story; editor: confirmed by an editor.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "drug", "condition"]
        verbose_name = "drug reported for a condition"
        verbose_name_plural = "drugs reported for conditions"
        constraints = [
            models.UniqueConstraint(fields=["article", "drug", "condition"], name="drug_condition_report_unique"),
        ]
        indexes = [models.Index(fields=["drug", "condition"], name="drug_condition_report_idx")]

    def __str__(self):
        return f"{self.drug} for {self.condition} in {self.article}"


LINK_MODELS = (ArticleCondition, ArticleDrug, ArticleInstitution, ArticleDrugClass)
# The entities that can be merged (drug classes are few and curated by hand: edited, not merged).
ENTITY_MODELS = (Condition, Drug, Institution)
ALIAS_MODELS = {Condition: ConditionAlias, Drug: DrugAlias, Institution: InstitutionAlias, DrugClass: DrugClassAlias}


# --------------------------------------------------------------------------- syndication


class SyndicationBand(models.Model):
    """One LSH band of an original article's MinHash signature (articles.ingest.dedupe).

    A new story that shares a band value with an original is a candidate syndicated copy;
    the (band, value) index makes that one lookup instead of a scan of every article.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="syndication_bands")
    band = models.PositiveSmallIntegerField()
    value = models.BigIntegerField()

    class Meta:
        ordering = ["article", "band"]
        constraints = [models.UniqueConstraint(fields=["article", "band"], name="syndicationband_unique")]
        indexes = [models.Index(fields=["band", "value"], name="syndicationband_lookup_idx")]

    def __str__(self):
        return f"{self.article_id} band {self.band}"


# --------------------------------------------------------------------------- search


class FacetSnapshot(models.Model):
    """Facet counts of one large result set, precomputed (articles.search.facets).

    Counting facets means reading the links of every article in the result; for an
    entity with thousands of articles that is the slowest part of a search. Its
    counts are computed once by ``refresh_search_facets`` and used while the live
    result count stays within a small drift of ``total`` (else counted live again).
    """

    kind = models.CharField(max_length=16)  # "condition", "drug" or "institution"
    entity_id = models.PositiveBigIntegerField()
    narrower = models.BooleanField(default=False, help_text="A condition with its narrower MeSH conditions.")
    total = models.PositiveIntegerField(help_text="Public articles in the result set when counted.")
    facets = models.JSONField(default=dict)
    built_at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "entity_id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "entity_id", "narrower"], name="facetsnapshot_unique"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.entity_id}{' (with narrower)' if self.narrower else ''}: {self.total} articles"


class StoryWord(models.Model):
    """A word public stories use, and in how many (articles.search.lexicon): typo candidates
    beside the vocabulary's names ("colonoscapy" → colonoscopy). Rebuilt by
    ``refresh_story_words``; PostgreSQL has a trigram index on ``word`` (migration 0013)."""

    word = models.CharField(max_length=40, unique=True)
    stories = models.PositiveIntegerField()

    class Meta:
        ordering = ["word"]

    def __str__(self):
        return f"{self.word} ({self.stories} stories)"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """An admin import run by a background worker (articles.tasks): its files, options,
    progress marker (records done and committed) and report."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    status = models.CharField(max_length=10, choices=ImportJobStatus.choices, default=ImportJobStatus.QUEUED)
    publish = models.BooleanField(default=False)
    source = models.CharField(max_length=200, blank=True)
    dry_run = models.BooleanField(default=False)
    processed = models.PositiveIntegerField(default=0, help_text="Records done and committed.")
    counts = models.JSONField(default=dict, blank=True, help_text="Records per outcome.")
    items = models.JSONField(default=list, blank=True, help_text="[status, where, message, slug] of kept items.")
    links = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"import job {self.pk} ({self.status})"


class ImportJobFile(models.Model):
    """One uploaded file (or pasted text, with how to read it) of an ImportJob."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, default="file")  # "file", or extract.PLAIN/HTML/DETECT for pasted text
    data = models.BinaryField()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.name} (job {self.job_id})"


# --------------------------------------------------------------------------- feeds in


class FeedKind(models.TextChoices):
    DETECT = "detect", "Detect from the document"
    RSS = "rss", "RSS 2.0"
    ATOM = "atom", "Atom"
    JSON = "json", "JSON Feed"
    NEWS_SITEMAP = "sitemap", "Google News sitemap"


class FetchStatus(models.TextChoices):
    NEVER = "", "Never fetched"
    OK = "ok", "OK"
    NOT_MODIFIED = "not-modified", "Not modified (304)"
    FAILED = "failed", "Failed"


class FeedQuerySet(models.QuerySet):
    def due(self, now=None):
        """Active feeds whose next poll time has come (or that were never polled)."""
        now = now or timezone.now()
        return self.filter(active=True).filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))

    def failing(self):
        return self.filter(active=True, consecutive_failures__gt=0)


class Feed(models.Model):
    """An outlet's RSS/Atom/JSON feed or news sitemap, polled by background workers
    (``articles.ingest.feeds``); its new items go through the import pipeline."""

    url = models.URLField(max_length=1000, unique=True)
    kind = models.CharField(max_length=10, choices=FeedKind.choices, default=FeedKind.DETECT)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="feeds")
    title = models.CharField(max_length=300, blank=True)
    poll_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(1)], help_text="Minutes between polls when all is well."
    )
    publish = models.BooleanField(default=False, help_text="Publish its stories at once (else they wait as drafts).")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # State of the last fetch.
    last_status = models.CharField(max_length=15, choices=FetchStatus.choices, default=FetchStatus.NEVER, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True, help_text="Empty: poll at the next chance.")
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)

    objects = FeedQuerySet.as_manager()

    class Meta:
        ordering = ["url"]
        indexes = [models.Index(fields=["active", "next_poll_at"], name="feed_due_idx")]

    def __str__(self):
        return self.title or self.url

    def get_absolute_url(self):
        return reverse("admin:articles_feed_change", args=[self.pk])

    def clean(self):
        from .ingest.feeds.fetch import FetchError, check_url

        try:
            check_url(self.url or "")
        except FetchError as exc:
            raise ValidationError({"url": str(exc)}) from None


class FeedItemStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be imported"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class FeedItem(models.Model):
    """One item a feed listed (by GUID, else URL): what it was, and what became of it.

    ``(feed, key)`` is unique, so two workers can never record (and import) the same item
    twice; a worker claims a pending item before fetching its page (``claimed_at``,
    ``claimed_by``)."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=1000, help_text="The item's GUID, else its URL.")
    url = models.URLField(max_length=1000)
    title = models.CharField(max_length=500, blank=True)
    version = models.CharField(max_length=64, blank=True, help_text="Changes when the feed updates the item.")
    data = models.JSONField(default=dict, blank=True, help_text="What the feed said (content, date, author).")
    status = models.CharField(max_length=10, choices=FeedItemStatus.choices, default=FeedItemStatus.PENDING)
    seen_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True, help_text="host:pid of the worker holding the claim.")
    attempts = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="feed_items")
    from_feed_text = models.BooleanField(
        default=False, help_text="The page could not be had: the story is the feed's own text."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["feed", "key"], name="feeditem_unique_key")]
        indexes = [models.Index(fields=["feed", "status"], name="feeditem_status_idx")]

    def __str__(self):
        return self.title or self.url

    def get_absolute_url(self):
        return reverse("admin:articles_feeditem_change", args=[self.pk])


class HostSlot(models.Model):
    """Politeness across workers: one request per host at a time. A worker takes the slot
    (``busy_until`` in the past) for the length of its request, then leaves it free from
    ``busy_until`` = now + the host delay. A dead worker's slot frees itself. The host's
    robots.txt is kept here too, so that workers fetch it once an hour between them."""

    host = models.CharField(max_length=255, unique=True)
    busy_until = models.DateTimeField(default=timezone.now)
    robots = models.TextField(blank=True, help_text="The host's robots.txt (empty: none, all allowed).")
    robots_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["host"]

    def __str__(self):
        return self.host

    def get_absolute_url(self):
        return reverse("admin:index")


# --------------------------------------------------------------------------- cache stamp


class ContentStamp(models.Model):
    """One row: a token that changes whenever anything a reader sees may have changed.

    ``articles.stamp`` replaces the token on publish, status and link-date changes, merges,
    alias and tree edits; cached search results and HTTP validators (ETag, Last-Modified)
    are keyed by it, so every process sees a change at once, whatever its cache backend.
    """

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "content stamp"

    def __str__(self):
        return f"{self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
