"""The organisation: its teams and who manages each. One long-lived aggregate,
snapshotted, because team changes are rare and always read together."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import event

from aggregates.base import Aggregate, AggregateSnapshot, Immutable, SnapshotState, stable_id

ORGANISATION_ID: UUID = stable_id("organisation", "default")


class Team(Immutable):
    team_id: str
    name: str
    manager_id: str | None
    parent_team_id: str | None = None


class OrganisationState(SnapshotState):
    name: str
    teams: dict[str, Team]


class Organisation(Aggregate):
    class Snapshot(AggregateSnapshot):
        state: OrganisationState

    @staticmethod
    def create_id(*_: object, **__: object) -> UUID:
        return ORGANISATION_ID

    @event("Founded")
    def __init__(self, name: str) -> None:
        self.name = name
        self.teams: dict[str, Team] = {}

    def upsert_team(
        self, team_id: str, name: str, manager_id: str | None, parent_team_id: str | None = None
    ) -> bool:
        """Records only a real change, so replaying an import writes nothing."""
        team = Team(
            team_id=team_id, name=name, manager_id=manager_id, parent_team_id=parent_team_id
        )
        if self.teams.get(team_id) == team:
            return False
        self._team_defined(team=team)
        return True

    @event("TeamDefined")
    def _team_defined(self, team: Team) -> None:
        self.teams = {**self.teams, team.team_id: team}
