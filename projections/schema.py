"""Read-model tables. Every table is rebuilt from events alone, so none holds a clock
reading or anything else that a rebuild could not reproduce."""

from __future__ import annotations

READ_MODEL_PREFIX = "rm_"


def read_model_name(table: str) -> str:
    """A read-model table by its name without the prefix ("employee"): what the faces key
    its word by (careerflow.api.audit_words.READ_MODELS), as no `rm_` name is written
    outside projections/."""
    return table.removeprefix(READ_MODEL_PREFIX)


READ_MODEL_TABLES: dict[str, str] = {
    "rm_team": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_team (
            team_id text PRIMARY KEY,
            name text NOT NULL,
            manager_id text,
            parent_team_id text
        )""",
    "rm_employee": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_employee (
            employee_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            name text NOT NULL,
            role text NOT NULL,
            team_id text NOT NULL,
            manager_id text,
            hire_date date NOT NULL,
            email text,
            locale text NOT NULL,
            active boolean NOT NULL,
            version integer NOT NULL
        )""",
    "rm_measurement": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_measurement (
            employee_id text NOT NULL,
            period text NOT NULL,
            metric text NOT NULL,
            item text NOT NULL DEFAULT '',
            value double precision NOT NULL,
            source text NOT NULL,
            batch_id text NOT NULL,
            ledger_version integer NOT NULL,
            PRIMARY KEY (employee_id, period, metric, item)
        )""",
    "rm_policy": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_policy (
            kind text NOT NULL,
            key text NOT NULL,
            version integer NOT NULL,
            document jsonb NOT NULL,
            note text NOT NULL,
            published_by text NOT NULL,
            published_at timestamptz NOT NULL,
            PRIMARY KEY (kind, key, version)
        )""",
    "rm_readiness": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_readiness (
            employee_id text PRIMARY KEY,
            team_id text NOT NULL,
            role text NOT NULL,
            as_of_month text,
            score double precision NOT NULL,
            potential jsonb NOT NULL,
            next_role text,
            eligible boolean,
            unmet integer,
            evaluation jsonb,
            policy_versions jsonb NOT NULL
        )""",
    # Each month's values of each metric with the employee's role and whether they are
    # active: the population that top-percent rules rank against, so that one employee's
    # percentile is two index counts (projections.metric_ranks), not a scan of every peer.
    # The metrics projection writes the values, the people projection the role and
    # `active` (both under one advisory lock). `value` is the rank key (rounded).
    "rm_metric_rank": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_metric_rank (
            metric text NOT NULL,
            period text NOT NULL,
            employee_id text NOT NULL,
            role text,
            active boolean NOT NULL,
            value double precision NOT NULL,
            PRIMARY KEY (metric, period, employee_id)
        )""",
    # Employees whose readiness must be recomputed; filled in the same transaction as
    # the rows that made it stale, drained by the refresher. A mark made again moves
    # `marked`: the refresher deletes only the marks it read, as it read them.
    "rm_readiness_dirty": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_readiness_dirty (
            employee_id text PRIMARY KEY,
            marked timestamptz NOT NULL DEFAULT clock_timestamp()
        )""",
    # The in-app inbox: one row per notification; `delivered` maps a channel to its
    # latest outcome (delivered, skipped or failed). Times are the events' timestamps.
    "rm_inbox": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_inbox (
            notification_id uuid PRIMARY KEY,
            key text NOT NULL,
            recipient_id text NOT NULL,
            kind text NOT NULL,
            title jsonb NOT NULL,
            body jsonb NOT NULL,
            ref jsonb,
            created_at timestamptz NOT NULL,
            read_at timestamptz,
            delivered jsonb NOT NULL DEFAULT '{{}}'::jsonb
        )""",
}

READ_MODEL_TABLES["rm_application"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_application (
            application_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            workflow_id text NOT NULL,
            employee_id text NOT NULL,
            from_role text NOT NULL,
            target_role text NOT NULL,
            stage text NOT NULL,
            round integer NOT NULL,
            started_by text NOT NULL,
            started_at timestamptz NOT NULL,
            stage_since timestamptz NOT NULL,
            decided_at timestamptz,
            manager_id text,
            eligible boolean,
            score double precision,
            evaluation jsonb,
            unmet jsonb,
            policy_versions jsonb,
            returned_count integer NOT NULL DEFAULT 0,
            effective_date date
        )"""
# The timeline: every step with who, when and why, in order.
READ_MODEL_TABLES["rm_application_step"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_application_step (
            application_id text NOT NULL,
            seq integer NOT NULL,
            at timestamptz NOT NULL,
            kind text NOT NULL,
            actor text NOT NULL,
            actor_role text NOT NULL,
            round integer,
            comment text,
            detail jsonb,
            PRIMARY KEY (application_id, seq)
        )"""


READ_MODEL_TABLES["rm_plan"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_plan (
            plan_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            employee_id text NOT NULL,
            manager_id text,
            role text NOT NULL,
            effective_date date NOT NULL,
            months integer NOT NULL,
            template_version integer NOT NULL,
            milestones jsonb NOT NULL,
            confirmed jsonb NOT NULL DEFAULT '{{}}',
            overdue jsonb NOT NULL DEFAULT '[]',
            overall text NOT NULL,
            done integer NOT NULL DEFAULT 0,
            total integer NOT NULL,
            progress jsonb,
            evaluated_on date,
            closed boolean NOT NULL DEFAULT false,
            outcome text
        )"""


# One row per rep and ISO week. Times are the events' timestamps; `plan_late` compares
# the plan's event timestamp with the deadline recorded when the week opened.
READ_MODEL_TABLES["rm_cycle"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_cycle (
            cycle_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            workflow_id text NOT NULL,
            employee_id text NOT NULL,
            week text NOT NULL,
            month text NOT NULL,
            manager_id text,
            team_id text NOT NULL,
            targets jsonb NOT NULL,
            settings_version integer,
            opened_at timestamptz NOT NULL,
            plan_deadline timestamptz NOT NULL,
            report_at timestamptz NOT NULL,
            feedback_deadline timestamptz NOT NULL,
            plan jsonb,
            plan_source text,
            plan_revisions integer NOT NULL DEFAULT 0,
            plan_at timestamptz,
            plan_late boolean,
            report jsonb,
            met integer,
            total integer,
            report_ledger_version integer,
            reported_at timestamptz,
            feedback_status text NOT NULL DEFAULT 'pending',
            feedback text,
            feedback_by text,
            feedback_at timestamptz,
            next_plan jsonb,
            UNIQUE (employee_id, week)
        )"""
# One row per rep and closed month: targets, bonus and commission with derivation, rule
# versions and inputs, every training rule's verdict and the recommendations.
READ_MODEL_TABLES["rm_month_statement"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_month_statement (
            statement_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            employee_id text NOT NULL,
            month text NOT NULL,
            manager_id text,
            team_id text NOT NULL,
            targets jsonb NOT NULL,
            ledger_version integer NOT NULL,
            closed_at timestamptz NOT NULL,
            bonus_amount double precision,
            bonus_currency text,
            bonus_target_met boolean,
            bonus_rules_version integer,
            bonus_inputs jsonb,
            bonus_lines jsonb,
            commission_amount double precision,
            commission_currency text,
            commission_rules_version integer,
            commission_inputs jsonb,
            commission_lines jsonb,
            training_rules_version integer,
            training_checks jsonb NOT NULL DEFAULT '[]',
            recommendations jsonb NOT NULL DEFAULT '[]',
            UNIQUE (employee_id, month)
        )"""

# One row per launched period (a week's cycles or a month close), by HR or the schedule:
# who launched it by hand (NULL: the schedule), when, and once the launcher's roster is
# exhausted, when it finished and how many workflows it started and reps it skipped.
READ_MODEL_TABLES["rm_cycle_launch"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_cycle_launch (
            launch_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            kind text NOT NULL,
            period text NOT NULL,
            workflow_id text NOT NULL,
            launched_by text,
            launched_at timestamptz NOT NULL,
            finished_at timestamptz,
            started integer NOT NULL DEFAULT 0,
            skipped integer NOT NULL DEFAULT 0
        )"""


# API tokens for HR's list: who holds which role, until when; never the secret's hash.
READ_MODEL_TABLES["rm_token"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_token (
            token_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            person_id text NOT NULL,
            role text NOT NULL,
            label text NOT NULL,
            issued_by text NOT NULL,
            issued_at timestamptz NOT NULL,
            expires_at timestamptz,
            revoked_at timestamptz,
            revoked_by text,
            revoke_reason text
        )"""


READ_MODEL_INDEXES: list[str] = [
    # Tables made before `marked` existed get it (every existing mark: made now). Looked
    # up first: an ALTER, even one with nothing to do, would lock the table at every start.
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
    "'{schema}.rm_readiness_dirty'::regclass AND attname = 'marked' AND NOT attisdropped) "
    "THEN ALTER TABLE {schema}.rm_readiness_dirty "
    "ADD COLUMN marked timestamptz NOT NULL DEFAULT clock_timestamp(); END IF; END $$",
    "CREATE INDEX IF NOT EXISTS rm_plan_manager ON {schema}.rm_plan (manager_id)",
    "CREATE INDEX IF NOT EXISTS rm_application_employee ON {schema}.rm_application (employee_id)",
    "CREATE INDEX IF NOT EXISTS rm_application_stage ON {schema}.rm_application (stage)",
    "CREATE INDEX IF NOT EXISTS rm_measurement_metric_period "
    "ON {schema}.rm_measurement (metric, period)",
    # The latest month on record is asked for on every metric event (bench/HISTORY.md).
    "CREATE INDEX IF NOT EXISTS rm_measurement_period ON {schema}.rm_measurement (period)",
    "CREATE INDEX IF NOT EXISTS rm_employee_team ON {schema}.rm_employee (team_id)",
    "CREATE INDEX IF NOT EXISTS rm_employee_manager ON {schema}.rm_employee (manager_id)",
    # The people directory pages by name (then id): projections/people_queries.py.
    "CREATE INDEX IF NOT EXISTS rm_employee_name ON {schema}.rm_employee (name, employee_id)",
    # The candidate pool walks the best scores, a readiness its team's rows
    # (projections/readiness_queries.py): neither reads every readiness row.
    "CREATE INDEX IF NOT EXISTS rm_readiness_score ON {schema}.rm_readiness (score DESC)",
    "CREATE INDEX IF NOT EXISTS rm_readiness_team ON {schema}.rm_readiness (team_id)",
    "CREATE INDEX IF NOT EXISTS rm_inbox_recipient "
    "ON {schema}.rm_inbox (recipient_id, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS rm_cycle_week_manager ON {schema}.rm_cycle (week, manager_id)",
    "CREATE INDEX IF NOT EXISTS rm_cycle_week_team ON {schema}.rm_cycle (week, team_id)",
    "CREATE INDEX IF NOT EXISTS rm_cycle_team_month ON {schema}.rm_cycle (team_id, month)",
    "CREATE INDEX IF NOT EXISTS rm_month_statement_month "
    "ON {schema}.rm_month_statement (month, team_id)",
]


# Support requests: one row each with its routing and SLA clock as recorded (the times
# are the workflow's moments carried by the events); clocks that run on (time waited,
# breached while unacknowledged) are computed when read. The timeline has every step.
READ_MODEL_TABLES["rm_support_request"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_support_request (
            request_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            workflow_id text NOT NULL,
            employee_id text NOT NULL,
            category text NOT NULL,
            category_label jsonb NOT NULL,
            team text NOT NULL,
            team_label jsonb NOT NULL,
            lead_id text NOT NULL,
            members jsonb NOT NULL,
            text text NOT NULL,
            customer text,
            status text NOT NULL,
            raised_at timestamptz NOT NULL,
            week text NOT NULL,
            time_zone text NOT NULL,
            due_at timestamptz NOT NULL,
            sla_minutes integer NOT NULL,
            process_version integer NOT NULL,
            escalate_to jsonb NOT NULL,
            reminders_sent integer NOT NULL DEFAULT 0,
            breached_at timestamptz,
            acknowledged_by text,
            acknowledged_at timestamptz,
            response_minutes double precision,
            waited_minutes double precision,
            sla_met boolean,
            answer text,
            answered_by text,
            answered_at timestamptz,
            answers integer NOT NULL DEFAULT 0,
            reopens integer NOT NULL DEFAULT 0,
            reopen_reason text,
            finished_at timestamptz
        )"""
READ_MODEL_TABLES["rm_support_step"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_support_step (
            request_id text NOT NULL,
            seq integer NOT NULL,
            at timestamptz NOT NULL,
            kind text NOT NULL,
            actor text NOT NULL,
            actor_role text NOT NULL,
            text text,
            detail jsonb,
            PRIMARY KEY (request_id, seq)
        )"""
READ_MODEL_INDEXES += [
    "CREATE INDEX IF NOT EXISTS rm_support_request_employee "
    "ON {schema}.rm_support_request (employee_id, raised_at)",
    "CREATE INDEX IF NOT EXISTS rm_support_request_queue "
    "ON {schema}.rm_support_request (team, status, raised_at)",
    "CREATE INDEX IF NOT EXISTS rm_support_request_week "
    "ON {schema}.rm_support_request (team, week)",
]


# 360° assessment rounds. No row holds a per-rating moment or content: a task row says
# only whether the rater has rated (and, for named groups, whether late), and results
# exist only as each person's profile, written at the close with small groups hidden.
READ_MODEL_TABLES["rm_assessment_round"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_assessment_round (
            round_id text PRIMARY KEY,
            aggregate_id uuid NOT NULL UNIQUE,
            workflow_id text NOT NULL,
            title text NOT NULL,
            model_key text NOT NULL,
            model_version integer NOT NULL,
            anonymous_groups jsonb NOT NULL,
            started_by text NOT NULL,
            started_at timestamptz NOT NULL,
            deadline timestamptz NOT NULL,
            close_at timestamptz NOT NULL,
            time_zone text NOT NULL,
            status text NOT NULL,
            ratees integer NOT NULL,
            asked integer NOT NULL,
            rated integer NOT NULL DEFAULT 0,
            late integer NOT NULL DEFAULT 0,
            reminders_sent integer NOT NULL DEFAULT 0,
            closed_at timestamptz,
            gap_summary jsonb
        )"""
READ_MODEL_TABLES["rm_assessment_task"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_assessment_task (
            round_id text NOT NULL,
            ratee_id text NOT NULL,
            rater_id text NOT NULL,
            grp text NOT NULL,
            anonymous boolean NOT NULL,
            rated boolean NOT NULL DEFAULT false,
            late boolean,
            PRIMARY KEY (round_id, ratee_id, rater_id)
        )"""
READ_MODEL_TABLES["rm_assessment_profile"] = """
        CREATE TABLE IF NOT EXISTS {schema}.rm_assessment_profile (
            round_id text NOT NULL,
            employee_id text NOT NULL,
            name text NOT NULL,
            manager_id text,
            team_id text NOT NULL,
            profile jsonb,
            gaps jsonb,
            PRIMARY KEY (round_id, employee_id)
        )"""
READ_MODEL_INDEXES += [
    "CREATE INDEX IF NOT EXISTS rm_assessment_task_rater "
    "ON {schema}.rm_assessment_task (rater_id, round_id)",
    "CREATE INDEX IF NOT EXISTS rm_assessment_profile_employee "
    "ON {schema}.rm_assessment_profile (employee_id)",
]

# The monthly ranking's indexes and one-time fill come last: a view creating its tables
# locks each table it indexes, while running projections write rm_employee and
# rm_measurement before rm_metric_rank; the same order here keeps that free of lock
# cycles (indexing rm_metric_rank before rm_employee deadlocked against the people
# projection).
READ_MODEL_INDEXES += [
    "CREATE INDEX IF NOT EXISTS rm_metric_rank_peers "
    "ON {schema}.rm_metric_rank (metric, period, role, value) WHERE active",
    "CREATE INDEX IF NOT EXISTS rm_metric_rank_employee ON {schema}.rm_metric_rank (employee_id)",
    # A store projected before rm_metric_rank existed: filled once from the rows there.
    # Only then is the INSERT run at all (an INSERT locks its table even when it writes
    # nothing, and views create their tables concurrently: that deadlocked).
    "DO $fill$ BEGIN IF NOT EXISTS (SELECT 1 FROM {schema}.rm_metric_rank) "
    "AND EXISTS (SELECT 1 FROM {schema}.rm_measurement) THEN "
    "INSERT INTO {schema}.rm_metric_rank "
    "SELECT m.metric, m.period, m.employee_id, e.role, coalesce(e.active, false), "
    "round(m.value::numeric, 6)::double precision FROM {schema}.rm_measurement m "
    "LEFT JOIN {schema}.rm_employee e USING (employee_id) "
    "WHERE m.item = '' AND m.period ~ '^[0-9]{{4}}-[0-9]{{2}}$' ON CONFLICT DO NOTHING; "
    "END IF; END $fill$",
]
