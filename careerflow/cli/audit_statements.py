"""What the audit commands say when they are done (`--json` prints the reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from careerflow.cli.text import _said_table, _when
from words.messages import Message

if TYPE_CHECKING:
    from careerflow.cli.tables import Speaker


def _indented(lines: list[str]) -> list[str]:
    return [f"  {x}" for x in lines]


def verified(say: Speaker, r: dict[str, Any]) -> list[str]:
    rows = [
        [
            a["application"],
            str(a["events"]),
            str(a["head_position"]),
            say.say(Message("tampered")) if a.get("finding") else say.say(Message("intact")),
        ]
        for a in r["applications"]
    ]
    headers = [Message("application"), Message("events"), Message("head"), Message("chain")]
    out = [
        say.say(
            Message("hash chain intact: {events} events checked", events=r["events"])
            if r["ok"]
            else Message("hash chain broken: {events} events checked", events=r["events"])
        ),
        *_indented(_said_table(say, headers, rows)),
    ]
    for a in r["applications"]:
        f = a.get("finding")
        if f:
            out.append(
                say.say(
                    Message(
                        "first finding in {application}: {problem} at event {position}",
                        application=f["application"],
                        problem=say.cell(f["problem"], "term"),
                        position=f["notification_id"] if f["notification_id"] is not None else "-",
                    )
                )
            )
            break
    return out


def verify_started(say: Speaker, r: dict[str, Any]) -> list[str]:
    return [
        say.say(
            Message(
                "verification {verify_id} started; follow it with `careerflow audit "
                "verification {verify_id}`",
                verify_id=r["verify_id"],
            )
        )
    ]


def verification(say: Speaker, v: dict[str, Any]) -> list[str]:
    if v["state"] == "running":
        return [
            say.say(
                Message(
                    "verification {verify_id} running: {checked} of {total} events checked "
                    "({percent}%)",
                    verify_id=v["verify_id"],
                    checked=v["checked"],
                    total=v["total"],
                    percent=v["percent"],
                )
            )
        ]
    if v["state"] == "failed" or v.get("report") is None:
        return [
            say.say(Message("verification {verify_id} failed: no report", verify_id=v["verify_id"]))
        ]
    title = say.say(Message("verification {verify_id} done", verify_id=v["verify_id"]))
    return [title, *verified(say, v["report"])]


def backfilled(say: Speaker, r: dict[str, Any]) -> list[str]:
    rows = [
        [a["application"], str(a["chained"]), str(a["head_position"]), a["head"]]
        for a in r["applications"]
    ]
    headers = [Message("application"), Message("chained"), Message("head"), Message("hash")]
    return [
        say.say(Message("{count} events chained; keep the new heads:", count=r["chained"])),
        *_indented(_said_table(say, headers, rows)),
    ]


def items(say: Speaker, r: dict[str, Any]) -> list[str]:
    rows = [
        [
            say.cell(i["kind"], "term"),
            i["ident"],
            i.get("person") or "-",
            i.get("name") or "",
            _when(say, i.get("at")),
            say.cell(i.get("status"), "term"),
        ]
        for i in r["items"]
    ]
    headers = [Message("kind"), Message("id"), Message("person"), Message("name")]
    headers += [Message("at"), Message("status")]
    out = [
        say.say(Message("{shown} of {total} items to audit", shown=len(rows), total=r["total"])),
        *_said_table(say, headers, rows),
    ]
    if r.get("next"):
        out.append(say.say(Message("next page: --cursor {cursor}", cursor=r["next"])))
    return out


def reevaluated(say: Speaker, r: dict[str, Any]) -> list[str]:
    text = (
        Message(
            "{kind} {subject}: re-evaluated, identical to the recorded outcome",
            kind=say.cell(r["kind"], "term"),
            subject=r["subject"],
        )
        if r["identical"]
        else Message(
            "{kind} {subject}: re-evaluated, differs from the recorded outcome",
            kind=say.cell(r["kind"], "term"),
            subject=r["subject"],
        )
    )
    rows = [
        [
            str(d.get("decision", "")),
            say.say(Message("identical") if d.get("identical") else Message("differs")),
            ", ".join(str(x["path"]) for x in d.get("differences") or []) or "-",
        ]
        for d in r["decisions"]
    ]
    headers = [Message("decision"), Message("result"), Message("differing fields")]
    return [say.say(text), *_indented(_said_table(say, headers, rows))]


def what_if(say: Speaker, r: dict[str, Any]) -> list[str]:
    out = [
        say.say(
            Message(
                "draft {kind}/{key} against {employees} employees (in force: version "
                "{version}): candidate pool {now} -> {draft}, eligible {eligible_now} -> "
                "{eligible_draft}",
                kind=r["kind"],
                key=r["key"],
                employees=r["employees"],
                version=r["in_force_version"] or "-",
                now=r["pool_size_now"],
                draft=r["pool_size_draft"],
                eligible_now=r["eligible_now"],
                eligible_draft=r["eligible_draft"],
            )
        ),
        say.say(Message("join the pool: {ids}", ids=", ".join(r["joined_pool"]) or "-")),
        say.say(Message("leave the pool: {ids}", ids=", ".join(r["left_pool"]) or "-")),
    ]
    rows = [
        [
            c["employee_id"],
            c["name"],
            c["team_id"],
            f"{c['score_now']:g} -> {c['score_draft']:g}",
            f"{say.cell(c['eligible_now'], 'yes')} -> {say.cell(c['eligible_draft'], 'yes')}",
        ]
        for c in r["changes"]
    ]
    if rows:
        headers = [Message("employee"), Message("name"), Message("team"), Message("score")]
        out += _said_table(say, [*headers, Message("eligible")], rows)
    return out


def states(say: Speaker, found: list[dict[str, Any]]) -> list[str]:
    import json

    out: list[str] = []
    for s in found:
        out.append(
            say.say(
                Message(
                    "{stream} at version {version}, recorded {at}",
                    stream=s["stream"],
                    version=s["version"],
                    at=_when(say, s["recorded_at"]),
                )
            )
        )
        if s.get("pay_redacted"):
            out.append("  " + say.say(Message("pay hidden")))
        out += [f"  {x}" for x in json.dumps(s["state"], indent=2, ensure_ascii=False).splitlines()]
    return out


def read_model_at(say: Speaker, r: dict[str, Any]) -> list[str]:
    import json

    applied = sum(r["events_applied"].values())
    head = say.say(
        Message("as of {at}, rebuilt from {events} events:", at=_when(say, r["at"]), events=applied)
    )
    body = json.dumps(r["result"], indent=2, ensure_ascii=False).splitlines()
    return [head, *(f"  {x}" for x in body)]


def projections_checked(say: Speaker, r: dict[str, Any]) -> list[str]:
    rows = [[t, str(n)] for t, n in r["rows_compared"].items()]
    text = (
        Message("every read model matches its rebuild")
        if r["ok"]
        else Message("{count} rows differ from the rebuild", count=r["difference_count"])
    )
    out = [say.say(text), *_indented(_said_table(say, [Message("table"), Message("rows")], rows))]
    for d in r["differences"][:20]:
        out.append(f"  {d['table']} {d['key']}: {say.cell(d['problem'], 'term')}")
    return out


def replayed(say: Speaker, r: dict[str, Any]) -> list[str]:
    rows = [[t, str(n)] for t, n in r["by_type"].items()]
    text = (
        Message("{count} workflow histories replayed; none failed", count=r["replayed"])
        if not r["failures"]
        else Message(
            "{count} workflow histories replayed; {failed} failed",
            count=r["replayed"],
            failed=len(r["failures"]),
        )
    )
    out = [
        say.say(text),
        *_indented(_said_table(say, [Message("workflow"), Message("runs")], rows)),
    ]
    out += [f"  {f['workflow_id']} ({f['workflow_type']}): {f['error']}" for f in r["failures"]]
    return out
