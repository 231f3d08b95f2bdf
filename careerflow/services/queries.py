"""Reads for people: the queries live in `projections.readiness_queries`; re-exported here
for the importers of this path."""

from projections.readiness_queries import QueryService

__all__ = ["QueryService"]
