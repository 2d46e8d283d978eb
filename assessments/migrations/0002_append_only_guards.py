"""Database-level guards for attempts' answers and score overrides (PostgreSQL).

An answer may change only while its attempt is in progress (autosave), except
that a missing score may be given once (a person's final mark). Deleting an answer
is refused. Late answers and score overrides are never updated or deleted. Other
databases get nothing here; the services refuse the same in Python.
"""

from django.db import migrations

from lms.db import PostgresOnlyRunSQL, immutable_guard, row_trigger, trigger_backwards

ANSWER = "assessments_answer"

ANSWER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {ANSWER}_append_only() RETURNS trigger AS $$
DECLARE
    attempt_state varchar;
    unchanged {ANSWER};
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '{ANSWER}: DELETE refused (id %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT state INTO attempt_state FROM assessments_attempt WHERE id = OLD.attempt_id;
    IF attempt_state = 'in_progress' THEN
        RETURN NEW;
    END IF;
    -- After submit: only a missing score (and its fraction) may be filled in.
    unchanged := NEW;
    unchanged.score := OLD.score;
    unchanged.fraction := OLD.fraction;
    IF OLD.score IS NULL AND unchanged IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{ANSWER}: answers of a submitted attempt are final (id %)',
        OLD.id USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [
        PostgresOnlyRunSQL(
            [ANSWER_FUNCTION, row_trigger(ANSWER, "UPDATE OR DELETE")],
            trigger_backwards(ANSWER),
        ),
        immutable_guard("assessments_lateanswer", "UPDATE OR DELETE"),
        immutable_guard("assessments_attemptoverride", "UPDATE OR DELETE"),
    ]
