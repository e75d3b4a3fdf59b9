"""The editors' workplace (README: Editors' guide).

- articles: the workflow actions and the article page with its links;
- links: the review queue of suggested links;
- entities: conditions, drugs, institutions, their aliases and merging;
- importing: import articles from files or pasted text;
- feeds: the outlets' feeds that workers follow, and what their items became.

Every foreign key to a big table is an autocomplete; every curated model keeps a
history that can be viewed and reverted.
"""

from django.contrib import admin

from . import articles, entities, feeds, links  # noqa: F401 - registers the admins

admin.site.site_header = "NewsBase curation"
admin.site.site_title = "NewsBase admin"
admin.site.index_title = "Curation"
# The model list in a sidebar took 300 of 1280 px from every table (the review queue hid its
# status columns behind a scrollbar); the home page and the breadcrumbs lead to every model.
admin.site.enable_nav_sidebar = False
