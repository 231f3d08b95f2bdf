"""Development plans for people: the queries live in `projections.plan_queries`; re-exported
here for the importers of this path."""

from projections.plan_queries import PlanQueries

__all__ = ["PlanQueries"]
