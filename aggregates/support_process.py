"""Support requests' routing and response SLA as a versioned policy document (kind
"support_process", key "default"), from seed 004: a rep in the field asks for help and the
responsible team (product, after-sales, finance) responds within 1 hour, product within 30
minutes.

Support teams are data, not a principal role: each team names its lead and its members
by person id. Whoever acts on a request does so with their own principal (an employee,
manager or HR token); what lets them acknowledge and answer is being named on the team
of the request's category in the version that routed it. Company country, time zone and
published extra days (for office hours and the compliance week) come from the
promotion_process document: one working-day calendar (careerflow.workdays)."""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import Field, field_validator, model_validator

from aggregates.document_types import Frozen
from words.messages import Invalid

HR_INBOX = "HR"  # the HR team's shared inbox (as in the promotion and plan workflows)


def _l(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


class SupportTeam(Frozen):
    label: dict[str, str]
    lead_id: str = Field(min_length=1)
    """Receives escalations on a breach; may acknowledge and answer like a member."""
    members: list[str] = Field(min_length=1)

    @field_validator("members")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if any(not m.strip() for m in value):
            raise Invalid("a member id cannot be empty")
        if len(set(value)) != len(value):
            raise Invalid("a member is listed twice")
        return value

    def on_team(self, person_id: str) -> bool:
        return person_id == self.lead_id or person_id in self.members

    def people(self) -> list[str]:
        """Lead first, then the members (each once)."""
        return [self.lead_id, *(m for m in self.members if m != self.lead_id)]


class SupportCategory(Frozen):
    label: dict[str, str]
    team: str = Field(min_length=1)
    response_minutes: int = Field(ge=1, le=7 * 24 * 60)
    """The response SLA: acknowledged within this many (office) minutes of being raised."""


class OfficeHours(Frozen):
    """When the SLA clock runs: these hours on the company's working days. A request
    raised outside them starts its clock at the next opening."""

    start: time = time(9, 0)
    end: time = time(18, 0)

    @model_validator(mode="after")
    def _order(self) -> OfficeHours:
        if not self.start < self.end:
            raise Invalid(
                "office hours must start before they end ({start}-{end})",
                start=str(self.start),
                end=str(self.end),
            )
        return self


class SupportProcess(Frozen):
    kind: Literal["support_process"] = "support_process"
    teams: dict[str, SupportTeam] = Field(min_length=1)
    categories: dict[str, SupportCategory] = Field(min_length=1)
    # Reminders to the team before the SLA is breached, as a share of the SLA elapsed.
    remind_at_percent: list[int] = Field(default=[50, 80])
    # On a breach, who is alerted besides the team: its lead, and the HR inbox.
    escalate_to_lead: bool = True
    escalate_to_hr: bool = True
    # None: the clock runs around the clock (every minute counts).
    office_hours: OfficeHours | None = OfficeHours()
    # An answer the rep neither confirms nor reopens closes after this long.
    close_unconfirmed_after_hours: int = Field(default=72, ge=1, le=24 * 60)
    max_text_length: int = Field(default=4000, ge=100, le=20000)

    @field_validator("remind_at_percent")
    @classmethod
    def _percents(cls, value: list[int]) -> list[int]:
        if any(not 0 < p < 100 for p in value):
            raise Invalid("reminder percentages must lie strictly between 0 and 100")
        if value != sorted(set(value)):
            raise Invalid("reminder percentages must be increasing, each once")
        return value

    @model_validator(mode="after")
    def _routes(self) -> SupportProcess:
        for name, category in self.categories.items():
            if category.team not in self.teams:
                raise Invalid(
                    "category {category!r} routes to team {team!r}, which is not "
                    "defined; teams: {teams}",
                    category=name,
                    team=category.team,
                    teams=sorted(self.teams),
                )
        return self


def support_process_v1() -> SupportProcess:
    """Seed 004: product responds within 30 minutes, after-sales and finance within the
    hour; reminders at 50% and 80% of the SLA; a breach goes to the team lead and HR.
    The team rosters are placeholders for the company's own support staff (publish a new
    version naming them)."""
    return SupportProcess(
        teams={
            "product": SupportTeam(
                label=_l("Product team", "产品团队"),
                lead_id="PD01",
                members=["PD01", "PD02", "PD03"],
            ),
            "after_sales": SupportTeam(
                label=_l("After-sales team", "售后团队"),
                lead_id="AS01",
                members=["AS01", "AS02", "AS03"],
            ),
            "finance": SupportTeam(
                label=_l("Finance team", "财务团队"),
                lead_id="FN01",
                members=["FN01", "FN02"],
            ),
        },
        categories={
            "product": SupportCategory(
                label=_l("Product (e.g. a customised service)", "产品（如定制化服务）"),
                team="product",
                response_minutes=30,
            ),
            "after_sales": SupportCategory(
                label=_l("After-sales service", "售后服务"), team="after_sales", response_minutes=60
            ),
            "finance": SupportCategory(
                label=_l("Finance (pricing, invoices, payment terms)", "财务（报价、发票、账期）"),
                team="finance",
                response_minutes=60,
            ),
        },
    )
