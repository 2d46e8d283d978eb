"""Database-level guards for the certification record (PostgreSQL).

Recommendations and committee decisions: every DELETE is refused, and every UPDATE
except linking a correction (``superseded_by_id`` NULL → id, nothing else
changed), as for the evidence log (0005). Status changes of certificates: no
UPDATE or DELETE at all. Certificates: no DELETE (their status column changes,
always together with a status-change row written by the services).

Other databases get nothing here; the models and QuerySets refuse the same in
Python. TRUNCATE stays possible for the table owner (test databases need it).
"""

from django.db import migrations

from lms.db import PostgresOnlyRunSQL, immutable_guard, row_trigger, trigger_backwards

SUPERSEDABLE = ("lms_assessorrecommendation", "lms_committeedecision")
IMMUTABLE = {
    "lms_certificatestatuschange": "UPDATE OR DELETE",
    "lms_certificate": "DELETE",
}


def _supersedable(table: str) -> tuple[list[str], list[str]]:
    function = f"""
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
DECLARE
    unchanged {table};
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '{table} is append-only: DELETE refused (id %)',
            OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    unchanged := NEW;
    unchanged.superseded_by_id := OLD.superseded_by_id;
    IF OLD.superseded_by_id IS NULL
       AND NEW.superseded_by_id IS NOT NULL
       AND unchanged IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{table} is append-only: UPDATE refused (id %)',
        OLD.id USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""
    return [function, row_trigger(table, "UPDATE OR DELETE")], trigger_backwards(table)


class Migration(migrations.Migration):
    dependencies = [("lms", "0007_certification")]

    operations = [
        PostgresOnlyRunSQL(*_supersedable(table)) for table in SUPERSEDABLE
    ] + [immutable_guard(t, e) for t, e in IMMUTABLE.items()]
