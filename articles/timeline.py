"""Articles per month as an inline SVG bar chart, drawn on the server.

No script and no external asset: the chart is part of the page's HTML. It is an
image with a title and a description for screen readers (what it shows, the total,
the busiest month); the page also offers the same numbers as a table. Every text
that goes into the SVG is escaped by format_html.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, DateField, Func
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.html import format_html, format_html_join

MAX_MONTHS = 240  # twenty years; older months are summed up in the description
HEIGHT = 190
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 14, 26
MAX_BAR = 28
# Two drawings of the same chart, one shown by the stylesheet: on a phone the wide one
# would shrink its text to a few pixels.
WIDE, NARROW = 720, 340


class MonthStart(Func):
    """The first day of a timestamp's month in UTC, as a date.

    On SQLite, its built-in strftime over the stored UTC text; Django's TruncMonth
    there calls a Python function for every row, five times slower on a popular
    entity's thousands of links. Elsewhere, TruncMonth.
    """

    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return TruncMonth(*self.get_source_expressions(), tzinfo=datetime.UTC).as_sql(compiler, connection)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="strftime('%%%%Y-%%%%m-01', %(expressions)s)", **extra)


def month_counts(links, *, distinct=False):
    """[(first day of month, articles)] of public link rows, oldest first (one query).

    `distinct` counts articles once per month when the rows cover several entities
    (a condition with its narrower conditions).
    """
    counted = Count("article_id", distinct=True) if distinct else Count("*")  # * : index-only
    rows = (
        links.public()
        .annotate(month=MonthStart("published"))
        .values("month")
        .annotate(n=counted)
        .order_by("month")
        .values_list("month", "n")
    )
    return [(_as_date(month), n) for month, n in rows]


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


def _next_month(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _label(day):
    return day.strftime("%b %Y")


@dataclass
class Timeline:
    subject: str  # "Alopecia Areata"
    months: list = field(default_factory=list)  # [(first day of month, count)], every month of the span
    counts: list = field(default_factory=list)  # [(first day of month, count)], months with articles only
    earlier: int = 0  # articles before the span shown (older than MAX_MONTHS)

    @property
    def total(self):
        return sum(n for _, n in self.counts)

    @property
    def busiest(self):
        """(month, count) of the month with most articles (the latest of equals)."""
        return max(self.counts, key=lambda pair: (pair[1], pair[0])) if self.counts else None

    @property
    def active_months(self):
        """Months with articles, newest first (the table)."""
        return [(day, n, _next_month(day) - datetime.timedelta(days=1)) for day, n in reversed(self.months) if n]

    @property
    def summary(self):
        if not self.total:
            return f"No articles about {self.subject} yet."
        first, last = self.counts[0][0], self.counts[-1][0]
        busiest_day, busiest_n = self.busiest
        articles = f"{self.total} article{'s' if self.total != 1 else ''} about {self.subject}"
        if first == last:
            text = f"{articles}, in {_label(first)}."
        else:
            text = (
                f"{articles} from {_label(first)} to {_label(last)}; "
                f"the busiest month was {_label(busiest_day)} with {busiest_n}."
            )
        if self.earlier:
            text += f" The chart starts in {_label(self.months[0][0])}; {self.earlier} older ones are not drawn."
        return text

    def svg(self):
        return self.draw(WIDE, "timeline-wide")

    def svg_narrow(self):
        return self.draw(NARROW, "timeline-narrow")

    def draw(self, width, ident):
        """The chart `width` units wide as safe HTML (an <svg> element), or "" when there is nothing to draw."""
        peak = max((n for _, n in self.months), default=0)
        if not peak:
            return ""
        plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        step = plot_w / len(self.months)
        bar = min(MAX_BAR, max(step * 0.8, 1.0))
        offset = LEFT + max(0.0, (plot_w - step * len(self.months)) / 2)
        baseline = TOP + plot_h
        bars, ticks = [], []
        for index, (day, n) in enumerate(self.months):
            x = offset + index * step + (step - bar) / 2
            if n:
                height = max(plot_h * n / peak, 1.5)
                label = f"{_label(day)}: {n} article{'s' if n != 1 else ''}"
                bars.append((f"{x:.1f}", f"{baseline - height:.1f}", f"{bar:.1f}", f"{height:.1f}", label))
            # Years at each January, and at the start when its year has room for a label.
            if day.month == 1 or (index == 0 and (13 - day.month) * step >= 34):
                ticks.append((f"{offset + index * step:.1f}", day.strftime("%Y")))
        if len(self.months) <= 18:  # a short span: label months, not years
            ticks = [
                (f"{offset + i * step + step / 2:.1f}", d.strftime("%b %y"))
                for i, (d, _) in enumerate(self.months)
                if len(self.months) <= 6 or i % 3 == 0
            ]
            tick_anchor = "middle"
        else:
            # Year labels need about 32 px each; drop some when the years are narrow.
            every = max(1, round(32 / (step * 12)))
            ticks = [(x, text) for x, text in ticks if text and int(text) % every == 0]
            tick_anchor = "start"
        return format_html(
            '<svg class="timeline-chart {id}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc" '
            'preserveAspectRatio="xMidYMid meet" focusable="false">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
            '<line class="axis" x1="{left}" y1="{base}" x2="{right}" y2="{base}"/>'
            '<line class="grid" x1="{left}" y1="{top}" x2="{right}" y2="{top}"/>'
            '<text class="tick" x="{ylabel}" y="{top_text}" text-anchor="end">{peak}</text>'
            '<text class="tick" x="{ylabel}" y="{base_text}" text-anchor="end">0</text>'
            "{bars}{ticks}</svg>",
            w=width,
            h=HEIGHT,
            id=ident,
            title=f"Articles per month about {self.subject}",
            desc=self.summary,
            left=LEFT,
            right=width - RIGHT,
            top=TOP,
            base=baseline,
            ylabel=LEFT - 6,
            top_text=TOP + 4,
            base_text=baseline + 4,
            peak=peak,
            bars=format_html_join(
                "",
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" rx="1"><title>{}</title></rect>',
                bars,
            ),
            ticks=format_html_join(
                "",
                '<text class="tick" x="{}" y="{}" text-anchor="{}">{}</text>',
                ((x, baseline + 17, tick_anchor, text) for x, text in ticks),
            ),
        )


def build(subject, counts, *, today=None):
    """The Timeline of (month, count) pairs: every month from the first to this one (at most MAX_MONTHS)."""
    timeline = Timeline(subject=subject, counts=list(counts))
    if not counts:
        return timeline
    by_month = dict(counts)
    end = max(counts[-1][0], (today or timezone.now().date()).replace(day=1))
    start = counts[0][0]
    months = []
    day = start
    while day <= end:
        months.append(day)
        day = _next_month(day)
    if len(months) > MAX_MONTHS:
        months = months[-MAX_MONTHS:]
        timeline.earlier = sum(n for d, n in counts if d < months[0])
    timeline.months = [(d, by_month.get(d, 0)) for d in months]
    return timeline
