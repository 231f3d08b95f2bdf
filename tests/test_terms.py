"""Every event and state a page shows through `term` has a word in the catalogue: a new
event class or status fails here, instead of showing English words on a Chinese page
(`term` falls back to the identifier's words). No server needed."""

from __future__ import annotations

from typing import get_args

import pytest

from aggregates.access_token import AccessToken
from aggregates.assessment_round import AssessmentRound
from aggregates.base import Aggregate
from aggregates.development_plan import DevelopmentPlan
from aggregates.employee import Employee
from aggregates.metric_ledger import MetricLedger
from aggregates.month_close import MonthClose
from aggregates.policy import PolicyDocument
from aggregates.policy_kinds import DOCUMENT_MODELS
from aggregates.promotion import PromotionApplication
from aggregates.support_request import SupportRequest
from aggregates.support_rules import SupportStatus
from aggregates.weekly_cycle import PlanSource, WeeklyCycle
from careerflow.api import i18n
from careerflow.audit.history import SUBJECT_KINDS
from careerflow.principal import AccessRole
from tests.test_projection_dispatch import events_of

# The aggregates behind the history kinds (careerflow.audit.history._streams).
HISTORIES: list[type[Aggregate]] = [
    PromotionApplication,
    WeeklyCycle,
    MonthClose,
    DevelopmentPlan,
    Employee,
    MetricLedger,
    PolicyDocument,
    SupportRequest,
    AssessmentRound,
    AccessToken,
]


@pytest.mark.parametrize("aggregate", HISTORIES, ids=lambda a: a.__name__)
def test_every_event_of_a_history_has_a_word(aggregate: type[Aggregate]) -> None:
    missing = [e.__qualname__ for e in events_of(aggregate) if e.__name__ not in i18n.TERMS]
    assert missing == [], f"add these events to careerflow.api.i18n.TERMS: {missing}"


def test_every_state_kind_and_role_has_a_word() -> None:
    shown = [
        *get_args(SupportStatus),
        *get_args(PlanSource),
        *SUBJECT_KINDS,
        *DOCUMENT_MODELS,
        "active",
        "left",
        "revoked",
        "expired",
        *(role.value for role in AccessRole),
    ]
    assert [s for s in shown if s not in i18n.TERMS] == []


def test_a_word_is_said_in_chinese() -> None:
    zh = i18n.gettext_for("zh")
    assert i18n.term("Acknowledged", zh) != "Acknowledged"
    assert i18n.term("VersionPublished", zh) != "Version published"


def test_course_markers_become_citations_on_pages_and_plain_elsewhere() -> None:
    label = {"en": "next month's course *Repurchase Techniques* <b>", "zh": "课程*复购技巧*"}
    assert str(i18n.marked_html(i18n.label(label, "en"))) == (
        "next month&#39;s course <cite>Repurchase Techniques</cite> &lt;b&gt;"
    )
    assert i18n.unmarked(i18n.label(label, "zh")) == "课程复购技巧"
    from careerflow.api.pages.rendering import TEMPLATE_SETS

    shown = TEMPLATE_SETS["en"].env.from_string("{{ x|label }}").render(x=label)
    assert "*" not in shown and "<cite>Repurchase Techniques</cite>" in shown
