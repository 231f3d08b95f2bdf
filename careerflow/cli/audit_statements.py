"""What the audit commands say when they are done (`--json` prints the reports): the
engine's own names (event stores, state fields, workflow types, …) by the audit's words
(careerflow.api.audit_words, the pages' too), read when a statement is said (the
catalogue is not loaded for every command)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from careerflow.cli.text import AS_OF_MONTH, RANK_IN_TEAM, _num, _said_table, _when
from words.messages import SEPARATORS, Message

if TYPE_CHECKING:
    from careerflow.cli.tables import Speaker


def _indented(lines: list[str]) -> list[str]:
    return [f"  {x}" for x in lines]


def _store(say: Speaker, name: str) -> str:
    """An event store by its word (its name, the code it is, when the words lack it)."""
    from careerflow.api.audit_words import store_word

    return store_word(name, say.gettext) or name


def _problem(say: Speaker, problem: str) -> str:
    """What a verification found, in words."""
    from careerflow.api.audit_words import PROBLEMS

    return say.gettext(PROBLEMS[problem]) if problem in PROBLEMS else say.cell(problem, "term")


def _document(say: Speaker, key: str) -> str:
    """A policy document ("promotion_criteria/sales_supervisor") by its name."""
    from careerflow.api import i18n

    kind, _slash, doc_key = key.partition("/")
    return i18n.document_name(kind, doc_key or "default", say.gettext, say.lang)


def verified(say: Speaker, r: dict[str, Any]) -> list[str]:
    rows = [
        [
            _store(say, a["application"]),
            str(a["events"]),
            str(a["head_position"]),
            say.say(Message("tampered")) if a.get("finding") else say.say(Message("intact")),
        ]
        for a in r["applications"]
    ]
    headers = [Message("event store"), Message("events"), Message("head"), Message("chain")]
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
                        application=_store(say, f["application"]),
                        problem=_problem(say, f["problem"]),
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
        [_store(say, a["application"]), str(a["chained"]), str(a["head_position"]), a["head"]]
        for a in r["applications"]
    ]
    headers = [Message("event store"), Message("chained"), Message("head"), Message("hash")]
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
    from careerflow.api.audit_words import decision_name

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
            decision_name(str(d.get("decision", "")), say.gettext),
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
                "draft {document} against {employees} employees (in force: version "
                "{version}): candidate pool {now} -> {draft}, eligible {eligible_now} -> "
                "{eligible_draft}",
                document=_document(say, f"{r['kind']}/{r['key']}"),
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


def _stream(say: Speaker, stream: str) -> str:
    """ "employee E00001" → the kind's word and the subject (a policy by its name)."""
    kind, _sep, ident = stream.partition(" ")
    if kind == "policy":
        return _document(say, ident)
    return f"{say.cell(kind, 'term')} {ident}".strip()


def _value(say: Speaker, value: Any) -> str:
    """A scalar of a state: a yes or no, a state or kind the terms know, a rung of the
    ladder and a moment said; anything else (ids, names, dates) as it is; a list of
    scalars joined."""
    from aggregates.ladder import Role
    from careerflow.api import i18n

    if isinstance(value, bool):
        return say.cell(value, "yes")
    if isinstance(value, list):
        return ", ".join(_value(say, v) for v in value) or "-"
    if isinstance(value, str):
        if value in i18n.TERMS:
            return say.cell(value, "term")
        if value in {r.value for r in Role}:
            return say.cell(value, "role")
        if len(value) > 10 and value[10] == "T":
            return say.cell(value, "time")
    return say.cell(value, "text")


def _nested(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value)
    return isinstance(value, list) and any(isinstance(v, dict | list) for v in value)


def _flat(say: Speaker, path: str, value: Any) -> list[tuple[str, str]]:
    """A nested value as (path, value) lines: its keys by their words where the audit's
    words have them (ids, periods and the like as they are), list items by number."""
    from careerflow.api.audit_words import field_word, said

    def under(step: str) -> str:
        return f"{path} › {step}" if path else step

    if (text := said(value, say.lang)) is not None:  # a stored text: said, not unfolded
        return [(path, text)]

    def word(key: Any) -> str:
        return field_word(str(key), say.gettext) or str(key)

    if isinstance(value, dict) and not any(_nested(v) for v in value.values()):
        # A record of scalars on one line: "period 2026-11; value 130".
        between = SEPARATORS.get(say.lang, "; ")
        return [(path, between.join(f"{word(k)} {_value(say, v)}" for k, v in value.items()))]
    if isinstance(value, dict):
        return [line for key, v in value.items() for line in _flat(say, under(word(key)), v)]
    if _nested(value):
        return [line for i, v in enumerate(value, 1) for line in _flat(say, under(str(i)), v)]
    return [(path, _value(say, value))]


def states(say: Speaker, found: list[dict[str, Any]]) -> list[str]:
    """Each stream's state then: its fields by their words (the audit pages' words; a
    field they lack by its code), scalars in a table, nested values after it (their
    count in the table, then one line per value below, as the page unfolds them)."""
    from careerflow.api.audit_words import field_word, said

    out: list[str] = []
    for s in found:
        out.append(
            say.say(
                Message(
                    "{stream} at version {version}, recorded {at}",
                    stream=_stream(say, s["stream"]),
                    version=s["version"],
                    at=_when(say, s["recorded_at"]),
                )
            )
        )
        if s.get("pay_redacted"):
            out.append("  " + say.say(Message("pay hidden")))
        rows: list[list[str]] = []
        nested: list[tuple[str, Any]] = []
        for key, value in sorted(s["state"].items()):
            word = field_word(key, say.gettext) or key
            if (text := said(value, say.lang)) is not None:
                rows.append([word, text])
            elif _nested(value):
                count = Message("fields: {count}", count=len(value))
                if isinstance(value, list):
                    count = Message("items: {count}", count=len(value))
                rows.append([word, say.say(count)])
                nested.append((word, value))
            else:
                rows.append([word, _value(say, value)])
        out += _indented(_said_table(say, [Message("field"), Message("value")], rows))
        for word, value in nested:
            out.append(f"  {word}:")
            lines = _flat(say, "", value)
            out += [f"    {path}: {said}" if path else f"    {said}" for path, said in lines]
    return out


def _rebuilt(say: Speaker, r: dict[str, Any]) -> str:
    applied = sum(r["events_applied"].values())
    return say.say(
        Message("as of {at}, rebuilt from {events} events:", at=_when(say, r["at"]), events=applied)
    )


def readiness_at(say: Speaker, r: dict[str, Any]) -> list[str]:
    """One employee's readiness as it was: the facts the page shows, then each
    indicator with its score and rank in the team."""
    from careerflow.api import i18n

    d = r["result"]
    versions = SEPARATORS.get(say.lang, "; ").join(
        f"{_document(say, k)} v{v}" for k, v in (d.get("policy_versions") or {}).items()
    )
    facts = [
        [say.say(Message("employee")), str(d.get("employee_id") or "-")],
        [say.say(Message("role")), say.cell(d.get("role"), "role")],
        [say.say(Message("next role")), say.cell(d.get("next_role"), "role")],
        [
            say.say(AS_OF_MONTH),
            i18n.month_text(d["as_of_month"], say.lang) if d.get("as_of_month") else "-",
        ],
        [say.say(Message("potential score")), _num(d.get("score"))],
        [
            say.say(RANK_IN_TEAM),
            f"{d.get('team_rank', '-')}/{d.get('team_size', '-')}",
        ],
        [say.say(Message("eligible")), say.cell(d.get("eligible"), "yes")],
        [say.say(Message("policy versions")), versions or "-"],
    ]
    ranks = d.get("indicator_ranks") or {}
    indicators = ((d.get("potential") or {}).get("indicators") or {}).items()
    rows = [
        [
            say.cell(ind.get("label"), "label") if ind.get("label") else say.metric(name),
            _num(ind.get("raw")),
            _num(ind.get("score")),
            str(ranks.get(name, "-")),
        ]
        for name, ind in indicators
    ]
    headers = [Message("indicator"), Message("value"), Message("score"), RANK_IN_TEAM]
    return [
        _rebuilt(say, r),
        *_indented(_said_table(say, [Message("field"), Message("value")], facts)),
        *(_indented(_said_table(say, headers, rows)) if rows else []),
    ]


def pool_at(say: Speaker, r: dict[str, Any]) -> list[str]:
    """The candidate pool as it was: who, by score."""
    members = r["result"] or []
    head = [
        _rebuilt(say, r),
        say.say(Message("people in the candidate pool: {count}", count=len(members))),
    ]
    if not members:
        return head
    rows = [
        [
            str(c.get("employee_id") or "-"),
            say.cell(c.get("name"), "text"),
            say.cell(c.get("role"), "role"),
            say.cell(c.get("team_id"), "text"),
            _num(c.get("score")),
        ]
        for c in members
    ]
    headers = [Message("employee"), Message("name"), Message("role"), Message("team")]
    headers.append(Message("potential score"))
    return [*head, *_indented(_said_table(say, headers, rows))]


def projections_checked(say: Speaker, r: dict[str, Any]) -> list[str]:
    """Each read model by its word with the rows compared, then each difference: the read
    model, its key (columns by their words, values as they are), what was found and, of
    a row that differs, its differing columns."""
    from careerflow.api.audit_words import difference_word, field_word, read_model_word

    def table(name: str) -> str:
        return read_model_word(name, say.gettext) or name

    def column(name: str) -> str:
        return field_word(name, say.gettext) or name

    rows = [[table(t), str(n)] for t, n in r["rows_compared"].items()]
    text = (
        Message("every read model matches its rebuild")
        if r["ok"]
        else Message("{count} rows differ from the rebuild", count=r["difference_count"])
    )
    headers = [Message("read model"), Message("rows")]
    out = [say.say(text), *_indented(_said_table(say, headers, rows))]
    between = SEPARATORS.get(say.lang, "; ")
    for d in r["differences"][:20]:
        key = between.join(f"{column(k)} {v}" for k, v in (d.get("key") or {}).items())
        found = difference_word(d["problem"], say.gettext)
        if d.get("columns"):
            columns = between.join(column(c) for c in d["columns"])
            found = say.say(Message("{found}: {columns}", found=found, columns=columns))
        said = Message("{table} ({key}): {found}", table=table(d["table"]), key=key, found=found)
        out.append("  " + say.say(said))
    return out


def replayed(say: Speaker, r: dict[str, Any]) -> list[str]:
    from careerflow.api.audit_words import workflow_word

    rows = [[workflow_word(t, say.gettext) or t, str(n)] for t, n in r["by_type"].items()]
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
    for f in r["failures"]:
        kind = workflow_word(f["workflow_type"], say.gettext) or f["workflow_type"]
        out.append(f"  {f['workflow_id']} ({kind}): {f['error']}")
    return out
