"""Benchmarks behind `manage.py bench`: numbers printed, never asserted in tests.

- ``ingest``: import throughput with linking (owned by the ingest pipeline);
- ``search``: synthetic corpus and query latencies (owned by the search service).
"""
