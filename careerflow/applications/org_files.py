"""An organisation as HR uploads it: the API's JSON (teams and employees), or one table
of teams and employees (CSV in UTF-8 or GBK, or the first sheet of an XLSX workbook), a
row each, its `kind` saying which. Every problem is said as `line N: field: what is
wrong` (a JSON file's as `field: what is wrong`); a file with any problem gives nothing
to import. The People application then checks the references (managers, teams) and
writes all or nothing."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from careerflow.applications.files import (
    IngestError,
    field_errors,
    file_problem,
    parse_rows,
)
from careerflow.applications.people import EmployeeIn, OrgImport, TeamIn
from careerflow.validation import error_message
from words.messages import Message

# The table's columns, in the order the page documents them; a team row fills team_id,
# name and (optionally) manager_id and parent_team_id, an employee row the others.
COLUMNS = (
    "kind",
    "team_id",
    "employee_id",
    "name",
    "role",
    "manager_id",
    "parent_team_id",
    "hire_date",
    "email",
    "locale",
)
REQUIRED = ("kind", "team_id", "name")
OPTIONAL = frozenset(COLUMNS) - frozenset(REQUIRED)
TEAM_FIELDS = ("team_id", "name", "manager_id", "parent_team_id")
EMPLOYEE_FIELDS = (
    "employee_id",
    "name",
    "role",
    "team_id",
    "manager_id",
    "hire_date",
    "email",
    "locale",
)
KINDS = ("team", "employee")
FORMATS = {".json": "json", ".csv": "csv", ".xlsx": "xlsx"}


class OrgFile(BaseModel):
    """What an uploaded file holds: the import, and the line of each employee id."""

    org: OrgImport
    lines: dict[str, int] = {}


def refused(source: str, problems: list[Message]) -> IngestError:
    return IngestError.of(source, problems)


def _json(data: bytes, source: str) -> OrgFile:
    try:
        return OrgFile(org=OrgImport.model_validate_json(data))
    except ValidationError as exc:
        problems = [
            Message(
                "{field}: {problem}",
                field=".".join(str(p) for p in err["loc"]) or "file",
                problem=error_message(err),
            )
            for err in exc.errors()
        ]
        raise refused(source, problems) from None


def _row(line: int, row: dict[str, Any]) -> tuple[TeamIn | EmployeeIn | None, list[Message]]:
    kind = (row.get("kind") or "").strip().lower()
    if kind not in KINDS:
        # The kinds are words of the file (data), said as they are in every language.
        problem = Message(
            "{value!r} is neither {team} nor {employee}",
            value=row.get("kind") or "",
            team="team",
            employee="employee",
        )
        return None, [file_problem(line, "kind", problem)]
    fields = TEAM_FIELDS if kind == "team" else EMPLOYEE_FIELDS
    values = {k: v.strip() for k, v in row.items() if k != "kind" and v and v.strip()}
    others = sorted(set(values) - set(fields))
    if others:
        problem = (
            Message("not a column of a team row")
            if kind == "team"
            else Message("not a column of an employee row")
        )
        return None, [file_problem(line, field, problem) for field in others]
    try:
        if kind == "team":
            return TeamIn.model_validate(values), []
        return EmployeeIn.model_validate(values), []
    except ValidationError as exc:
        return None, field_errors(line, exc)


def _table(data: bytes, fmt: str, source: str) -> OrgFile:
    rows, problems = parse_rows(data, fmt, COLUMNS, OPTIONAL)
    teams: list[TeamIn] = []
    employees: list[EmployeeIn] = []
    lines: dict[str, int] = {}
    team_lines: dict[str, int] = {}
    for line, row in rows:
        item, found = _row(line, row)
        problems += found
        if isinstance(item, TeamIn):
            if item.team_id in team_lines:
                problems.append(_twice(line, "team_id", team_lines[item.team_id]))
            team_lines.setdefault(item.team_id, line)
            teams.append(item)
        elif isinstance(item, EmployeeIn):
            if item.employee_id in lines:
                problems.append(_twice(line, "employee_id", lines[item.employee_id]))
            lines.setdefault(item.employee_id, line)
            employees.append(item)
    if not rows and not problems:
        problems.append(file_problem(2, "file", Message("no rows below the header")))
    if problems:
        raise refused(source, problems)
    return OrgFile(org=OrgImport(teams=teams, employees=employees), lines=lines)


def _twice(line: int, field: str, first: int) -> Message:
    return file_problem(line, field, Message("also on line {first}", first=first))


def read_org_file(data: bytes, fmt: str, source: str = "upload") -> OrgFile:
    """The file's teams and employees; IngestError (its `messages` one per problem) when
    any line is wrong. `fmt`: json, csv or xlsx."""
    if fmt == "json":
        return _json(data, source)
    return _table(data, fmt, source)
