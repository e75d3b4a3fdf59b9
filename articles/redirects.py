"""Old addresses of merged-away entities: pages, feeds and the API answer 301 with the survivor."""

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse

from .models import EntityRedirect


def to_survivor(request, model, slug):
    """301 to the same view for the entity that `slug` was merged into, query string kept;
    Http404 when `slug` was never merged."""
    target = EntityRedirect.survivor(model, slug)
    if target is None:
        raise Http404(f"No {model._meta.verbose_name} at this address.")
    url = reverse(request.resolver_match.view_name, kwargs={"slug": target.slug})
    query = request.GET.urlencode()
    return HttpResponsePermanentRedirect(url + (f"?{query}" if query else ""))
