"""Words for what the audit shows of the engine's own names, on the pages and in the
CLI alike (both faces import them from here): the event stores a verification lists
(`people`, `cycles`, …), what it found, the fields of an aggregate's state that time
travel shows (`employee_id`, `plan_source`, …) and the keys nested in them (`metric`,
`source`, …), the decisions a re-evaluation checks, the workflow types a replay counts,
the read models a projection check compares and what it found. Said in the face's
language (the pages' catalogue); a name the table does not know is shown as the code it
is (translate="no" on a page), never as English words in Chinese.
tests/api/test_pages_audit_words.py walks every aggregate's fields."""

from __future__ import annotations

from typing import Any

from careerflow.api import i18n
from careerflow.api.i18n import N_, Gettext
from projections.schema import read_model_name
from words.catalogue import stored_text
from words.messages import Message, is_label

# The event stores (each application's `name`), as a verification lists them.
STORES: dict[str, str] = {
    "access": N_("access tokens"),
    "assessments": N_("360° assessment rounds"),
    "audit": N_("audit actions"),
    "cycles": N_("weekly cycles and month closes"),
    "metrics": N_("metrics"),
    "notifications": N_("notifications"),
    "people": N_("people and organisation"),
    "plans": N_("development plans"),
    "policies": N_("policies"),
    "promotions": N_("promotion applications"),
    "support": N_("support requests"),
}

# The fields of the aggregates' state (vars of the aggregate, as time travel shows them).
FIELDS: dict[str, str] = {
    "acknowledged_at": N_("acknowledged at"),
    "acknowledged_by": N_("acknowledged by"),
    "action": N_("action"),
    "active": N_("active"),
    "adjustments": N_("adjustments"),
    "anonymous_groups": N_("anonymous rater groups"),
    "answer": N_("answer"),
    "answered_at": N_("answered at"),
    "answered_by": N_("answered by"),
    "answers": N_("answers"),
    "application_id": N_("application"),
    "batches": N_("ingest batches"),
    "body": N_("text"),
    "bonus": N_("bonus"),
    "breached_at": N_("SLA breached at"),
    "checks": N_("checks"),
    "clock": N_("SLA clock"),
    "close_at": N_("closes at"),
    "closed": N_("closed"),
    "commands": N_("commands taken"),
    "commission": N_("commission"),
    "competencies": N_("competencies"),
    "completed": N_("completed"),
    "confirmed": N_("confirmed milestones"),
    "customer": N_("customer"),
    "deadline": N_("deadline"),
    "deadline_passed": N_("deadline passed"),
    "deadlines": N_("deadlines"),
    "decided_rounds": N_("decided rounds"),
    "deliveries": N_("deliveries"),
    "detail": N_("detail"),
    "effective_date": N_("effective date"),
    "email": N_("email"),
    "employee_id": N_("employee"),
    "entries": N_("entries"),
    "expires_at": N_("expires at"),
    "feedback": N_("feedback"),
    "feedback_by": N_("feedback by"),
    "feedback_missed": N_("feedback missed"),
    "finished": N_("finished"),
    "finished_at": N_("finished at"),
    "from_role": N_("from role"),
    "hire_date": N_("hire date"),
    "issued_by": N_("issued by"),
    "key": N_("key"),
    "kind": N_("kind"),
    "kpis": N_("KPIs"),
    "label": N_("label"),
    "last_overall": N_("last overall status"),
    "last_statuses": N_("last milestone statuses"),
    "late": N_("late ratings"),
    "launched_by": N_("launched by"),
    "ledger_version": N_("metric ledger version"),
    "locale": N_("language"),
    "manager_id": N_("manager"),
    "milestones": N_("milestones"),
    "min_group_size": N_("smallest anonymous group"),
    "model_key": N_("competency model"),
    "model_version": N_("competency model version"),
    "month": N_("month"),
    "months": N_("months"),
    "name": N_("name"),
    "named": N_("named raters"),
    "next_plan": N_("next week's plan"),
    "overdue": N_("overdue milestones"),
    "period": N_("period"),
    "person_id": N_("person"),
    "plan": N_("plan"),
    "plan_id": N_("plan"),
    "plan_source": N_("plan source"),
    "profiles": N_("profiles"),
    "ratees": N_("people rated"),
    "read": N_("read"),
    "recipient_id": N_("recipient"),
    "recommendations": N_("recommendations"),
    "ref": N_("about"),
    "reminded": N_("reminders sent"),
    "reminders": N_("reminders"),
    "reopens": N_("reopenings"),
    "report": N_("report"),
    "request_id": N_("request"),
    "response_minutes": N_("response time allowed (minutes)"),
    "revoked": N_("revoked"),
    "role": N_("role"),
    "role_history": N_("role history"),
    "round": N_("round"),
    "round_id": N_("round"),
    "routing": N_("routing"),
    "scale_top": N_("top of the scale"),
    "sealed": N_("sealed groups"),
    "secret_hash": N_("secret (hashed)"),
    "skipped": N_("skipped (already running)"),
    "sla_met": N_("SLA met"),
    "stage": N_("stage"),
    "started": N_("cycles started"),
    "started_by": N_("started by"),
    "status": N_("status"),
    "subject": N_("subject"),
    "target_role": N_("target role"),
    "targets": N_("targets"),
    "tasks": N_("rating tasks"),
    "team_id": N_("team"),
    "teams": N_("teams"),
    "text": N_("text"),
    "time_zone": N_("time zone"),
    "title": N_("title"),
    "token_id": N_("token"),
    "versions": N_("versions"),
    "week": N_("week"),
    "workflow_id": N_("workflow"),
}

# The keys nested in those fields' values (the records they hold: a ledger entry's
# measurement, a month close's bonus lines, a request's routing, …) and the key columns a
# projection check names; tests/api/test_pages_audit_words.py walks the aggregates' models.
NESTED_FIELDS: dict[str, str] = {
    "actual": N_("actual"),
    "alert_manager": N_("alert the manager"),
    "amount": N_("amount"),
    "anonymous": N_("anonymous"),
    "at": N_("time"),
    "attempts": N_("delivery attempts"),
    "average": N_("average"),
    "baseline": N_("baseline"),
    "batch_id": N_("ingest batch"),
    "below_target": N_("below target"),
    "big_client_sales": N_("big-client sales"),
    "cascade_version": N_("goal cascade version"),
    "category": N_("category"),
    "category_label": N_("category name"),
    "close_unconfirmed_after_hours": N_("closed unconfirmed after (hours)"),
    "comment": N_("comment"),
    "comments": N_("comments"),
    "competency": N_("competency"),
    "country": N_("country"),
    "course": N_("course"),
    "courses": N_("courses"),
    "currency": N_("currency"),
    "cycle_id": N_("weekly cycle"),
    "display_value": N_("value as shown"),
    "document": N_("document"),
    "due_at": N_("due at"),
    "due_month": N_("due month"),
    "end": N_("end"),
    "escalate_to": N_("escalated to"),
    "evidence": N_("evidence"),
    "extra_holidays": N_("extra holidays"),
    "extra_working_days": N_("extra working days"),
    "feedback_deadline": N_("feedback deadline"),
    "feedback_reminder": N_("feedback reminder"),
    "gaps": N_("gaps"),
    "group": N_("rater group"),
    "groups": N_("rater groups"),
    "growth_percent": N_("growth (%)"),
    "hidden": N_("hidden"),
    "id": N_("identifier"),
    "inputs": N_("inputs"),
    "item": N_("item"),
    "kpi_weights_version": N_("KPI weights version"),
    "launch_id": N_("cycle launch"),
    "lead_id": N_("team lead"),
    "level": N_("level"),
    "lines": N_("lines"),
    "measure": N_("measure"),
    "measurement": N_("measurement"),
    "members": N_("members"),
    "met": N_("met"),
    "metric": N_("metric"),
    "missing": N_("missing"),
    "monthly_sales": N_("monthly sales"),
    "monthly_sales_target": N_("monthly sales target"),
    "note": N_("note"),
    "notification_id": N_("notification"),
    "office_hours": N_("office hours"),
    "op": N_("comparison"),
    "overall": N_("overall"),
    "params": N_("message values"),
    "parent_team_id": N_("parent team"),
    "percent": N_("percent"),
    "plan_deadline": N_("plan deadline"),
    "plan_reminder": N_("plan reminder"),
    "planned": N_("planned"),
    "points": N_("points"),
    "process_version": N_("process version"),
    "published_by": N_("published by"),
    "raised_at": N_("raised at"),
    "ratee_id": N_("person rated"),
    "rater_id": N_("rater"),
    "raters": N_("raters"),
    "reason": N_("reason"),
    "remind_days_before": N_("reminder, days before"),
    "reminder": N_("reminder"),
    "report_at": N_("report due at"),
    "repurchase_sales": N_("repurchase sales"),
    "retention_rate": N_("retention rate"),
    "retention_target_percent": N_("retention target (%)"),
    "rule_id": N_("rule"),
    "rules_version": N_("rules version"),
    "sales_amount": N_("sales amount"),
    "sales_target": N_("sales target"),
    "score": N_("score"),
    "seq": N_("step"),
    "shortfall": N_("shortfall"),
    "signed": N_("signed"),
    "small_deal_sales": N_("small-deal sales"),
    "source": N_("source"),
    "start": N_("start"),
    "start_month": N_("start month"),
    "statement_id": N_("month statement"),
    "suggestion": N_("suggestion"),
    "target": N_("target"),
    "target_met": N_("target met"),
    "team": N_("team"),
    "team_label": N_("team name"),
    "template": N_("message"),
    "threshold": N_("threshold"),
    "total": N_("total"),
    "triggered": N_("triggered"),
    "type": N_("type"),
    "unit": N_("unit"),
    "value": N_("value"),
    "version": N_("version"),
    "weekly": N_("weekly targets"),
    "weight_percent": N_("weight (%)"),
}

# The read models a projection check compares, keyed by the table's name without its
# prefix (projections.schema.read_model_name: no table is named outside projections/).
READ_MODELS: dict[str, str] = {
    "team": N_("teams"),
    "employee": N_("people"),
    "measurement": N_("metric measurements"),
    "policy": N_("policy versions"),
    "readiness": N_("promotion readiness"),
    "metric_rank": N_("metric rankings"),
    "readiness_dirty": N_("readiness awaiting recalculation"),
    "inbox": N_("inbox notifications"),
    "application": N_("promotion applications"),
    "application_step": N_("promotion application steps"),
    "plan": N_("development plans"),
    "cycle": N_("weekly cycles"),
    "month_statement": N_("month statements"),
    "cycle_launch": N_("cycle launches"),
    "token": N_("access tokens"),
    "support_request": N_("support requests"),
    "support_step": N_("support request steps"),
    "assessment_round": N_("360° assessment rounds"),
    "assessment_task": N_("rating tasks"),
    "assessment_profile": N_("competency profiles"),
}


# What a verification found (integrity.Problem).
PROBLEMS: dict[str, str] = {
    "edited": N_("an event was edited after it was recorded"),
    "deleted": N_("an event was deleted"),
    "inserted": N_("an event was inserted that the engine did not write"),
    "reordered": N_("events were reordered"),
    "head": N_("the chain was rewritten since a head kept earlier"),
    "unchained": N_("events from before the hash chain: HR chains them, then verify again"),
}

# The decisions a re-evaluation checks, by the name it gives them.
DECISIONS: dict[str, str] = {
    "targets": N_("targets"),
    "bonus": N_("bonus"),
    "commission": N_("commission"),
    "kpi score": N_("KPI score"),
    "training rules": N_("training rules"),
    "recommendations": N_("recommendations"),
    "routing": N_("routing"),
    "SLA clock": N_("SLA clock"),
    "acknowledgement": N_("acknowledgement"),
    "response": N_("response"),
    "gap summary": N_("gap summary"),
}

# The workflow types a replay counts (each @workflow.defn's name).
WORKFLOWS: dict[str, str] = {
    "AssessmentRound": N_("360° assessment rounds"),
    "AuditVerify": N_("verifications"),
    "CycleLauncher": N_("cycle launches"),
    "DevelopmentPlan": N_("development plans"),
    "MetricImport": N_("metric imports"),
    "MonthClose": N_("month closes"),
    "MonthCloseBatch": N_("month closes run together (launch batches)"),
    "PromotionApplication": N_("promotion applications"),
    "SupportRequest": N_("support requests"),
    "WeeklyCycle": N_("weekly cycles"),
    "WeeklyCycleBatch": N_("weekly cycles run together (launch batches)"),
}

# What a projection check found of a row (projection_check.RowDifference.problem).
DIFFERENCES: dict[str, str] = {
    "missing in live": N_("missing from the live read model"),
    "missing in rebuild": N_("missing from the rebuild"),
    "differs": N_("differs from the rebuild"),
}


def decision_name(name: str, _: Gettext) -> str:
    """A decision in the face's language: "report round 2", "profile E1" carry a value."""
    if name.startswith("report round "):
        return _("report, round %(round)s") % {"round": name.removeprefix("report round ")}
    if name.startswith("profile "):
        return _("profile of %(who)s") % {"who": name.removeprefix("profile ")}
    return _(DECISIONS[name]) if name in DECISIONS else i18n.term(name, _)


def store_word(name: str, _: Gettext) -> str | None:
    """An event store in the page's language; None for one the table does not know (the
    page shows its name as code)."""
    return _(STORES[name]) if name in STORES else None


def field_word(name: str, _: Gettext) -> str | None:
    """A state field (or a key nested in one) in the page's language; None for one the
    tables do not know."""
    word = FIELDS.get(name) or NESTED_FIELDS.get(name)
    return _(word) if word else None


def read_model_word(table: str, _: Gettext) -> str | None:
    """A read-model table in the face's language; None for one the table does not know."""
    name = read_model_name(table)
    return _(READ_MODELS[name]) if name in READ_MODELS else None


def workflow_word(name: str, _: Gettext) -> str | None:
    """A workflow type in the face's language; None for one the table does not know."""
    return _(WORKFLOWS[name]) if name in WORKFLOWS else None


def difference_word(problem: str, _: Gettext) -> str:
    """What a projection check found of a row, in the face's language."""
    return _(DIFFERENCES[problem]) if problem in DIFFERENCES else i18n.term(problem, _)


def said(value: Any, lang: str) -> str | None:
    """A stored text (a Message's JSON, or one stored said in each language, as a
    notification's title) in `lang`; None for any other value."""
    if isinstance(value, dict) and (Message.is_json(value) or is_label(value)):
        return stored_text(value, lang)
    return None


def worded(value: Any, _: Gettext, lang: str | None = None) -> Any:
    """A state's nested value with its keys by their words (a key the tables do not know,
    an id or a period, as it is); a stored text said in `lang`; other values as they are.
    What the page unfolds."""
    if lang is not None and (text := said(value, lang)) is not None:
        return text
    if isinstance(value, dict):
        return {field_word(str(k), _) or str(k): worded(v, _, lang) for k, v in value.items()}
    if isinstance(value, list):
        return [worded(v, _, lang) for v in value]
    return value
