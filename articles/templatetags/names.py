"""Template filters for names: `natural_name` shows a MeSH inverted name in reading order
(articles.mesh.natural_order), for comma-separated lists of conditions and other names."""

from django import template

from ..mesh import natural_order

register = template.Library()


@register.filter
def natural_name(name):
    return natural_order(str(name))


@register.filter
def natural_names(names):
    return [natural_order(str(name)) for name in names]
