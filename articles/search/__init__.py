"""Search: entity resolution, typo tolerance, retrieval, ranking, snippets, facets.

Entry points: ``articles.search.service.search`` (the /search/ page and
/api/search/), ``service.filter_queryset`` (``q`` on article lists),
``autocomplete.suggest`` (/api/autocomplete/) and ``facets.refresh_snapshots``
(``manage.py refresh_search_facets``).
"""
