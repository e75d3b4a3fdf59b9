"""Following outlets' feeds (RSS, Atom, JSON Feed, Google News sitemaps): ``fetch`` (safe,
bounded, polite HTTP), ``parse`` (defusedxml), ``poll`` (items → the import pipeline, and
the scheduler). The ``Feed`` and ``FeedItem`` models are in ``articles.models``; the
workers' task is ``articles.tasks.poll_feed_task``."""
