"""A database-level guard that keeps the evidence log append-only (PostgreSQL).

The trigger refuses every DELETE, and every UPDATE except the one a correction
needs: setting `superseded_by_id` on a row where it was NULL, with every other
column unchanged. On other databases (SQLite for development) this migration does
nothing; the model and its QuerySet carry the same rule in Python.

TRUNCATE is deliberately not refused: it needs the table owner's rights (an
operator, not the application), and test databases are emptied with it.
"""

from django.db import migrations

from lms.db import PostgresOnlyRunSQL

FUNCTION = """
CREATE OR REPLACE FUNCTION lms_evidencerecord_append_only() RETURNS trigger AS $$
DECLARE
    unchanged lms_evidencerecord;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'lms_evidencerecord is append-only: DELETE refused (id %)',
            OLD.id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    unchanged := NEW;
    unchanged.superseded_by_id := OLD.superseded_by_id;
    IF OLD.superseded_by_id IS NULL
       AND NEW.superseded_by_id IS NOT NULL
       AND unchanged IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'lms_evidencerecord is append-only: UPDATE refused (id %)',
        OLD.id USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""

TRIGGER = """
CREATE TRIGGER lms_evidencerecord_append_only
    BEFORE UPDATE OR DELETE ON lms_evidencerecord
    FOR EACH ROW EXECUTE FUNCTION lms_evidencerecord_append_only()
"""

BACKWARDS = [
    "DROP TRIGGER IF EXISTS lms_evidencerecord_append_only ON lms_evidencerecord",
    "DROP FUNCTION IF EXISTS lms_evidencerecord_append_only()",
]


class Migration(migrations.Migration):
    dependencies = [("lms", "0004_standards_evidence_records")]

    # Lists, not one script: the function body holds semicolons inside $$ quotes.
    operations = [PostgresOnlyRunSQL([FUNCTION, TRIGGER], BACKWARDS)]
