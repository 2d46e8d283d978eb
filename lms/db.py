"""Database helpers shared by migrations: PostgreSQL-only guards for append-only tables.

The append-only rules live in the models and services for every database; on
PostgreSQL, triggers refuse the same changes even from outside the application.
TRUNCATE stays possible for the table owner (test databases are emptied with it).
"""

from __future__ import annotations

from django.db import migrations


class PostgresOnlyRunSQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only (the SQL is plpgsql)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def trigger_backwards(table: str) -> list[str]:
    """SQL that removes the guard `immutable_guard` or a migration installed."""
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_append_only()",
    ]


def immutable_guard(table: str, events: str) -> PostgresOnlyRunSQL:
    """A trigger refusing `events` (e.g. "UPDATE OR DELETE") on every row of a table."""
    function = f"""
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table}: % refused (id %)', TG_OP, OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""
    return PostgresOnlyRunSQL(
        [function, row_trigger(table, events)], trigger_backwards(table)
    )


def row_trigger(table: str, events: str) -> str:
    """The BEFORE … FOR EACH ROW trigger calling `<table>_append_only()`."""
    return f"""
CREATE TRIGGER {table}_append_only
    BEFORE {events} ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_append_only()
"""
