"""Text output: numbers, moments and tables as the commands print them, said by a Speaker
(careerflow.cli.tables): words from the engine catalogue in the CLI's language, states
from the pages' terms, times in the company's time zone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from words.messages import Message

if TYPE_CHECKING:
    from aggregates.weekly_cycle_rules import CycleInfo
    from careerflow.cli.tables import Speaker
    from careerflow.services.cycle_process import ScheduleState
    from projections.goal_queries import CascadeOverview
    from projections.month_statements import BonusStatement
    from projections.rep_week import RepWeek
    from projections.team_board import Completion, CompletionRates, TeamBoard


# Said by more than one statement or table: written once (tests/test_rules_once.py).
AS_OF_MONTH = Message("as of month")
RANK_IN_TEAM = Message("rank in team")


def person_named(person_id: str, name: str) -> Message:
    """A person by id and name: "E00001 (Name)"."""
    return Message("{id} ({name})", id=person_id, name=name)


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f}%"


def _when(say: Speaker, moment: Any) -> str:
    """A moment in the company's time zone, in the CLI's language."""
    return say.cell(moment, "time")


def _met(say: Speaker, met: bool | None) -> str:
    if met is None:
        return "-"
    return say.say(Message("met") if met else Message("not met"))


def _noted(say: Speaker, text: str, note: str) -> str:
    """`text (note)`, with the language's own brackets (全角 in Chinese)."""
    return say.say(Message("{text} ({note})", text=text, note=note))


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        padded = [c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def _said_table(say: Speaker, headers: list[Message], rows: list[list[str]]) -> list[str]:
    """A table whose header words are said in the CLI's language."""
    return _table([say.say(h) for h in headers], rows)


def _plan_text(say: Speaker, info: CycleInfo, title: Message) -> list[str]:
    plan = info.plan or {}
    rows = [
        [say.metric(item), _num(plan.get(item)), _num(info.targets.get(item))]
        for item in dict.fromkeys([*info.plan_items, *plan])
    ]
    source = say.cell(info.plan_source, "term") if info.plan_source else None
    headers = [Message("item"), Message("planned"), Message("target")]
    return [
        say.say(
            Message(
                "{title}: {employee_id}, week {week} ({source})",
                title=title,
                employee_id=info.employee_id,
                week=info.week,
                source=source or Message("no plan"),
            )
        ),
        *(f"  {x}" for x in _said_table(say, headers, rows)),
        say.say(
            Message(
                "plan deadline: {deadline}; a new plan before then replaces this one",
                deadline=_when(say, info.deadlines.plan_deadline),
            )
        ),
    ]


def _feedback_text(say: Speaker, info: CycleInfo, next_plan: dict[str, float] | None) -> list[str]:
    out = [
        say.say(
            Message(
                "feedback recorded for {employee_id}, week {week}",
                employee_id=info.employee_id,
                week=info.week,
            )
        )
    ]
    if next_plan is not None:
        out.append(_agreed(say, next_plan))
    return out


def _agreed(say: Speaker, plan: dict[str, float]) -> str:
    agreed = ", ".join(f"{say.metric(k)} {_num(v)}" for k, v in plan.items())
    return say.say(Message("next week's plan agreed: {agreed}", agreed=agreed))


def _launched_text(say: Speaker, kind: str, period: str, workflow_id: str) -> list[str]:
    if kind == "month":
        text = Message(
            "launched month {period}: workflow {workflow_id}",
            period=period or Message("the previous month"),
            workflow_id=workflow_id,
        )
    else:
        text = Message(
            "launched week {period}: workflow {workflow_id}",
            period=period or Message("the current week"),
            workflow_id=workflow_id,
        )
    return [say.say(text)]


def _rep_week_text(say: Speaker, w: RepWeek) -> list[str]:
    who = f"{w.employee_id} {w.name}" if w.name else w.employee_id
    out = [
        say.say(
            Message(
                "{who} · week {week} (month {month}) · team {team} · manager {manager}",
                who=who,
                week=w.week,
                month=w.month,
                team=w.team_id,
                manager=w.manager_id or "-",
            )
        )
    ]
    if w.plan_source is None:
        out.append(
            say.say(
                Message(
                    "plan: not submitted yet; due {due} (then the targets become the plan)",
                    due=_when(say, w.deadlines.plan_deadline),
                )
            )
        )
    else:
        notes = []
        if w.plan_late:
            notes.append(say.say(Message("late")))
        if w.plan_revisions > 1:
            notes.append(say.say(Message("version {n}", n=w.plan_revisions)))
        plan = say.say(
            Message(
                "plan: {source} {at}",
                source=say.cell(w.plan_source, "term"),
                at=_when(say, w.plan_at),
            )
        )
        for note in notes:
            plan = _noted(say, plan, note)
        out.append(plan)
    rows = []
    for line in w.lines:
        result = _met(say, line.met)
        if line.reported_met is not None:
            result += " " + say.say(
                Message(
                    "(report: {actual}, {met})",
                    actual=_num(line.reported_actual),
                    met=_met(say, line.reported_met),
                )
            )
        rows.append([line.item, _num(line.target), _num(line.planned), _num(line.actual), result])
    headers = [
        Message("item"),
        Message("target"),
        Message("planned"),
        Message("actual"),
        Message("result"),
    ]
    out += [f"  {x}" for x in _said_table(say, headers, rows)]
    if w.total:
        met = Message("{met} of {total} planned items met", met=w.met, total=w.total)
        out.append(say.say(met) + ("; " + say.say(Message("lagging")) if w.lagging else ""))
    out.append(
        say.say(Message("report: built {at}", at=_when(say, w.reported_at)))
        if w.reported
        else say.say(Message("report: due {at}", at=_when(say, w.deadlines.report_at)))
    )
    pay = w.expected
    if pay.redacted:
        bonus = commission = say.say(Message("hidden"))
    else:
        bonus = f"{_num(pay.bonus.amount)} {pay.bonus.currency}" if pay.bonus else "-"
        commission = (
            f"{_num(pay.commission.amount)} {pay.commission.currency}" if pay.commission else "-"
        )
    out.append(
        say.say(
            Message(
                "expected for {month} so far: sales {sales} of target {target}; bonus {bonus}; "
                "commission {commission}",
                month=pay.month,
                sales=_num(pay.month_sales),
                target=_num(pay.sales_target),
                bonus=bonus,
                commission=commission,
            )
        )
    )
    out.append(
        say.say(
            Message(
                "rank in team {team}: {rank}",
                team=w.rank.team_id,
                rank=say.cell(w.rank.text, "label"),
            )
        )
    )
    out += _feedback_lines(say, w)
    return out


def _feedback_lines(say: Speaker, w: RepWeek) -> list[str]:
    fb = w.feedback
    if fb.status == "given":
        out = [
            say.say(
                Message(
                    "feedback: given by {by} {at}: {text}",
                    by=fb.by or "-",
                    at=_when(say, fb.at),
                    text=fb.text or "",
                )
            )
        ]
        if fb.next_plan:
            out.append(_agreed(say, fb.next_plan))
        return out
    if fb.status == "pending":
        due = _when(say, w.deadlines.feedback_deadline)
        return [say.say(Message("feedback: pending (due {due})", due=due))]
    return [say.say(Message("feedback: missed"))]


def _board_text(say: Speaker, b: TeamBoard) -> list[str]:
    rows = [
        [
            r.employee_id,
            r.name or "",
            say.cell(r.has_cycle, "yes"),
            say.cell(r.plan_source, "term")
            if r.plan_source
            else (say.say(Message("not planned")) if r.has_cycle else "-"),
            f"{r.met}/{r.total}" if r.total is not None else "-",
            ", ".join(r.behind) or "-",
            say.cell(r.feedback, "term"),
        ]
        for r in b.rows
    ]
    t = b.totals
    headers = [
        Message("employee"),
        Message("name"),
        Message("cycle"),
        Message("plan"),
        Message("met"),
        Message("behind"),
        Message("feedback"),
    ]
    return [
        say.say(Message("team of {manager} · week {week}", manager=b.manager_id, week=b.week)),
        *_said_table(say, headers, rows),
        say.say(
            Message(
                "reps {reps} · with a cycle {with_cycle} · planned {planned} (submitted "
                "{submitted}, agreed {agreed}, defaulted {defaulted}) · not planned "
                "{not_planned} · reported {reported} · lagging {lagging} · feedback given "
                "{given}, missed {missed}, pending {pending}",
                reps=t.reps,
                with_cycle=t.with_cycle,
                planned=t.planned,
                submitted=t.submitted,
                agreed=t.agreed,
                defaulted=t.defaulted,
                not_planned=t.not_planned,
                reported=t.reported,
                lagging=t.lagging,
                given=t.feedback_given,
                missed=t.feedback_missed,
                pending=t.feedback_pending,
            )
        ),
    ]


def _completion_text(say: Speaker, c: CompletionRates) -> list[str]:
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

    headers = [Message("team"), Message("name"), Message("cycles"), Message("submitted")]
    headers += [Message("agreed"), Message("defaulted"), Message("no plan")]
    headers += [Message("reported"), Message("feedback given"), Message("feedback missed")]
    headers += [Message("feedback pending")]
    rows = [[t.team_id, t.team_name or "", *cells(t)] for t in c.teams]
    rows.append([say.say(Message("all teams")), "", *cells(c.overall)])
    title = say.say(Message("completion · week {week}", week=c.week))
    return [title, *_said_table(say, headers, rows)]


def _goals_text(say: Speaker, c: CascadeOverview) -> list[str]:
    money = "{:,.0f}".format
    out = [
        say.say(
            Message(
                "goal cascade {year} (version {version}) · company: last year {last}, "
                "+{growth}% -> {target}",
                year=c.year,
                version=c.cascade_version,
                last=money(c.company.previous_year_sales),
                growth=format(c.company.growth_percent, "g"),
                target=money(c.company.annual_target),
            )
        )
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
    out += _said_table(
        say,
        [
            Message("team"),
            Message("name"),
            Message("people"),
            Message("last year"),
            Message("team target"),
            Message("individual sum"),
            Message("gap"),
        ],
        rows,
    )
    sources = {
        "previous_year": Message("previous year"),
        "recent_months": Message("recent months"),
        "role_default": Message("role default"),
    }
    people = [
        [p.employee_id, p.team_id, f"+{p.growth_percent:g}%",
         say.say(sources[p.baseline_source]) if p.baseline_source in sources
         else p.baseline_source,
         money(p.monthly_sales_target), money(p.annual_target)]
        for p in c.people
    ]  # fmt: skip
    headers = [Message("employee"), Message("team"), Message("growth rate"), Message("baseline")]
    out += _said_table(say, [*headers, Message("monthly"), Message("annual")], people)
    return out


def _statement_text(say: Speaker, s: BonusStatement) -> list[str]:
    who = f"{s.employee_id} {s.name}" if s.name else s.employee_id
    out = [
        say.say(
            Message(
                "statement {statement}: {who} · {month} · team {team} · manager {manager}",
                statement=s.statement_id,
                who=who,
                month=s.month,
                team=s.team_id,
                manager=s.manager_id or "-",
            )
        ),
        say.say(
            Message(
                "closed {at} (ledger version {version})",
                at=_when(say, s.closed_at),
                version=s.ledger_version,
            )
        ),
        say.say(
            Message(
                "targets: monthly sales {sales}; retention {retention}% (goal cascade v{version})",
                sales=_num(s.targets.monthly_sales_target),
                retention=_num(s.targets.retention_target_percent),
                version=s.targets.cascade_version,
            )
        ),
    ]
    for title, figures, met in (
        (Message("bonus"), s.bonus, s.bonus.target_met),
        (Message("commission"), s.commission, None),
    ):
        name = say.say(title)
        if figures.rules_version:
            name = say.say(
                Message("{name} (rules v{version})", name=name, version=figures.rules_version)
            )
        if s.redacted:
            out.append(say.say(Message("{name}: hidden", name=name)))
            continue
        out.append(say.say(Message("{name}:", name=name)))
        # The amount in a column of its own: a line may say its figure too ("= 530").
        for line in figures.lines or []:
            out.append(f"  {_num(line.amount):>10}  {say.cell(line.text, 'label') or line.key}")
        total = say.say(
            Message(
                "total {amount} {currency}",
                amount=_num(figures.amount),
                currency=figures.currency or "",
            )
        ).rstrip()
        if met is not None:
            target = Message("sales target met") if met else Message("target not met")
            total = _noted(say, total, say.say(target))
        out.append(f"  {total}")
    if s.recommendations:
        out.append(say.say(Message("training:")))
        for r in s.recommendations:
            reason = say.cell(r.reason, "label") if r.reason else r.rule_id
            if r.alert_manager:
                reason = _noted(say, reason, say.say(Message("manager alerted")))
            out.append(f"  {r.course}: {reason}")
    else:
        out.append(say.say(Message("training: no recommendation")))
    return out


def _schedules_text(say: Speaker, states: list[ScheduleState]) -> list[str]:
    out = []
    for state in states:
        out.append(
            say.say(
                Message(
                    "{schedule} (time zone {zone})",
                    schedule=state.schedule_id,
                    zone=Message.zone(state.time_zone),
                )
            )
        )
        for run in state.next_runs:
            # In the schedule's own zone (it fires there), said in the CLI's language.
            at = Message.moment(run, state.time_zone)
            out.append("  " + say.say(Message("next run: {at}", at=at)))
        if not state.next_runs:
            out.append("  " + say.say(Message("no next run")))
    return out
