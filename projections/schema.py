"""Read-model tables. Every table is rebuilt from events alone, so none holds a clock
reading or anything else that a rebuild could not reproduce."""

from __future__ import annotations

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
    # Employees whose readiness must be recomputed; filled in the same transaction as
    # the rows that made it stale, drained by the refresher.
    "rm_readiness_dirty": """
        CREATE TABLE IF NOT EXISTS {schema}.rm_readiness_dirty (
            employee_id text PRIMARY KEY
        )""",
}

READ_MODEL_INDEXES: list[str] = [
    "CREATE INDEX IF NOT EXISTS rm_measurement_metric_period "
    "ON {schema}.rm_measurement (metric, period)",
    "CREATE INDEX IF NOT EXISTS rm_employee_team ON {schema}.rm_employee (team_id)",
    "CREATE INDEX IF NOT EXISTS rm_employee_manager ON {schema}.rm_employee (manager_id)",
]
