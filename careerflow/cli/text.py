"""Text output: numbers, moments and tables as the commands print them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aggregates.weekly_cycle_rules import CycleInfo
    from careerflow.services.cycle_process import ScheduleState
    from projections.goal_queries import CascadeOverview
    from projections.month_statements import BonusStatement
    from projections.rep_week import RepWeek
    from projections.team_board import Completion, CompletionRates, TeamBoard


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def _when(moment: Any) -> str:
    from datetime import UTC

    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _met(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "not met")


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = [c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def _plan_text(info: CycleInfo, title: str) -> list[str]:
    plan = info.plan or {}
    rows = [
        [item, _num(plan.get(item)), _num(info.targets.get(item))]
        for item in dict.fromkeys([*info.plan_items, *plan])
    ]
    return [
        f"{title}: {info.employee_id}, week {info.week} ({info.plan_source or 'no plan'})",
        *(f"  {x}" for x in _table(["item", "planned", "target"], rows)),
        f"plan deadline: {info.deadline_labels.get('plan_deadline', '-')} ({info.time_zone}); "
        "a new plan before then replaces this one",
    ]


def _rep_week_text(w: RepWeek) -> list[str]:
    who = f"{w.employee_id} {w.name}" if w.name else w.employee_id
    out = [
        f"{who} · week {w.week} (month {w.month}) · team {w.team_id} · "
        f"manager {w.manager_id or '-'}"
    ]
    if w.plan_source is None:
        out.append(
            f"plan: not submitted yet; due {_when(w.deadlines.plan_deadline)} "
            "(then the targets become the plan)"
        )
    else:
        late = " (late)" if w.plan_late else ""
        revised = f" (version {w.plan_revisions})" if w.plan_revisions > 1 else ""
        out.append(f"plan: {w.plan_source} {_when(w.plan_at)}{late}{revised}")
    rows = []
    for line in w.lines:
        result = _met(line.met)
        if line.reported_met is not None:
            result += f" (report: {_num(line.reported_actual)}, {_met(line.reported_met)})"
        rows.append([line.item, _num(line.target), _num(line.planned), _num(line.actual), result])
    out += [f"  {x}" for x in _table(["item", "target", "planned", "actual", "result"], rows)]
    if w.total:
        out.append(f"{w.met} of {w.total} planned items met{'; lagging' if w.lagging else ''}")
    out.append(
        f"report: built {_when(w.reported_at)}"
        if w.reported
        else f"report: due {_when(w.deadlines.report_at)}"
    )
    pay = w.expected
    if pay.redacted:
        bonus = commission = "hidden"
    else:
        bonus = f"{_num(pay.bonus.amount)} {pay.bonus.currency}" if pay.bonus else "-"
        commission = (
            f"{_num(pay.commission.amount)} {pay.commission.currency}" if pay.commission else "-"
        )
    out.append(
        f"expected for {pay.month} so far: sales {_num(pay.month_sales)} of target "
        f"{_num(pay.sales_target)}; bonus {bonus}; commission {commission}"
    )
    out.append(f"rank in team {w.rank.team_id}: {w.rank.text['en']}")
    fb = w.feedback
    if fb.status == "given":
        out.append(f"feedback: given by {fb.by} {_when(fb.at)}: {fb.text}")
        if fb.next_plan:
            agreed = ", ".join(f"{k} {_num(v)}" for k, v in fb.next_plan.items())
            out.append(f"next week's plan agreed: {agreed}")
    elif fb.status == "pending":
        out.append(f"feedback: pending (due {_when(w.deadlines.feedback_deadline)})")
    else:
        out.append("feedback: missed")
    return out


def _board_text(b: TeamBoard) -> list[str]:
    rows = [
        [
            r.employee_id,
            r.name or "",
            "yes" if r.has_cycle else "no",
            r.plan_source or ("not planned" if r.has_cycle else "-"),
            f"{r.met}/{r.total}" if r.total is not None else "-",
            ", ".join(r.behind) or "-",
            r.feedback or "-",
        ]
        for r in b.rows
    ]
    t = b.totals
    return [
        f"team of {b.manager_id} · week {b.week}",
        *_table(["employee", "name", "cycle", "plan", "met", "behind", "feedback"], rows),
        f"reps {t.reps} · with a cycle {t.with_cycle} · planned {t.planned} (submitted "
        f"{t.submitted}, agreed {t.agreed}, defaulted {t.defaulted}) · not planned "
        f"{t.not_planned} · reported {t.reported} · lagging {t.lagging} · feedback given "
        f"{t.feedback_given}, missed {t.feedback_missed}, pending {t.feedback_pending}",
    ]


def _completion_text(c: CompletionRates) -> list[str]:
    def cells(x: Completion) -> list[str]:
        return [
            str(x.cycles),
            f"{x.plans_submitted} ({_share(x.submitted_share)})",
            f"{x.plans_agreed} ({_share(x.agreed_share)})",
            f"{x.plans_defaulted} ({_share(x.defaulted_share)})",
            str(x.plans_missing),
            f"{x.reports_built} ({_share(x.reported_share)})",
            f"{x.feedback_given} ({_share(x.feedback_given_share)})",
            f"{x.feedback_missed} ({_share(x.feedback_missed_share)})",
            f"{x.feedback_pending} ({_share(x.feedback_pending_share)})",
        ]

    headers = ["team", "name", "cycles", "submitted", "agreed", "defaulted", "no plan"]
    headers += ["reported", "fb given", "fb missed", "fb pending"]
    rows = [[t.team_id, t.team_name or "", *cells(t)] for t in c.teams]
    rows.append(["all", "", *cells(c.overall)])
    return [f"completion · week {c.week}", *_table(headers, rows)]


def _goals_text(c: CascadeOverview) -> list[str]:
    money = "{:,.0f}".format
    out = [
        f"goal cascade {c.year} (version {c.cascade_version}) · company: last year "
        f"{money(c.company.previous_year_sales)}, +{c.company.growth_percent:g}% -> "
        f"{money(c.company.annual_target)}"
    ]
    rows = [
        [
            t.team_id,
            t.name,
            str(t.members),
            money(t.team.previous_year_sales),
            money(t.team.annual_target),
            money(t.individual_targets),
            money(t.gap),
        ]
        for t in c.teams
    ]
    out += _table(
        ["team", "name", "people", "last year", "team target", "individual sum", "gap"], rows
    )
    people = [
        [p.employee_id, p.team_id, f"+{p.growth_percent:g}%", p.baseline_source,
         money(p.monthly_sales_target), money(p.annual_target)]
        for p in c.people
    ]  # fmt: skip
    out += _table(["employee", "team", "growth", "baseline", "monthly", "annual"], people)
    return out


def _statement_text(s: BonusStatement) -> list[str]:
    who = f"{s.employee_id} {s.name}" if s.name else s.employee_id
    out = [
        f"statement {s.statement_id}: {who} · {s.month} · team {s.team_id} · "
        f"manager {s.manager_id or '-'}",
        f"closed {_when(s.closed_at)} (ledger version {s.ledger_version})",
        f"targets: monthly sales {_num(s.targets.monthly_sales_target)}; retention "
        f"{_num(s.targets.retention_target_percent)}% (goal cascade v{s.targets.cascade_version})",
    ]
    for title, figures, met in (
        ("bonus", s.bonus, s.bonus.target_met),
        ("commission", s.commission, None),
    ):
        version = f" (rules v{figures.rules_version})" if figures.rules_version else ""
        if s.redacted:
            out.append(f"{title}{version}: hidden")
            continue
        out.append(f"{title}{version}:")
        # The amount in a column of its own: a line may say its figure too ("= 530").
        for line in figures.lines or []:
            out.append(f"  {_num(line.amount):>10}  {line.text.get('en', line.key)}")
        target = "" if met is None else (" (sales target met)" if met else " (target not met)")
        out.append(f"  total {_num(figures.amount)} {figures.currency or ''}".rstrip() + target)
    if s.recommendations:
        out.append("training:")
        for r in s.recommendations:
            alert = " (manager alerted)" if r.alert_manager else ""
            out.append(f"  {r.course}: {r.reason.get('en', r.rule_id)}{alert}")
    else:
        out.append("training: no recommendation")
    return out


def _schedules_text(states: list[ScheduleState]) -> list[str]:
    from zoneinfo import ZoneInfo

    out = []
    for state in states:
        out.append(f"{state.schedule_id} (time zone {state.time_zone})")
        zone = ZoneInfo(state.time_zone)
        for run in state.next_runs:
            local = run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
            out.append(f"  next run: {local} = {_when(run)}")
        if not state.next_runs:
            out.append("  no next run")
    return out
