"""Tell PostgreSQL's planner what a full-text match costs.

Search reads a name's newest text matches (``retrieval._phrase_rows``: ORDER BY the index
row's id DESC LIMIT n). The planner can walk the primary key backwards, testing each row,
or collect the matches through the GIN indexes and sort them. It prices the test
(``tsvector @@ tsquery``, the function ts_match_vq) at the default cost of 1, as cheap as
comparing two integers, whereas each test reads a story's body vector out of TOAST. So for
a name that 1-3 % of the stories hold, it walked back through 100,000+ rows (0.8 s for
"idoxuridine", "trastuzumab", "aztreonam" in the bench's million articles) where the index
path takes 70-90 ms. At a cost of 100 it walks back only for names so common that the
newest matches are near (as before: ~20 ms for "infection", which 70 % of the stories hold).

The function belongs to PostgreSQL: only a superuser may change its cost (in this
database only). Without that right the migration changes nothing and says so.
"""

import logging

from django.db import migrations

COST = 100
log = logging.getLogger(__name__)
FUNCTION = "ts_match_vq(tsvector, tsquery)"


def _set_cost(cost):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            if not (row and row[0]):
                log.warning("%s keeps its cost: the database user is not a superuser.", FUNCTION)
                return
            cursor.execute(f"ALTER FUNCTION {FUNCTION} COST {int(cost)}")

    return run


class Migration(migrations.Migration):
    dependencies = [("articles", "0018_search_partial_indexes")]

    operations = [migrations.RunPython(_set_cost(COST), _set_cost(1))]
