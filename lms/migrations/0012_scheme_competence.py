"""`SchemeCompetence`: trainee × scheme competent on every unit (derived, issue 7).

Filled here from the competency records already present (the same statement as
`lms.records.services._scheme_competence_sync`, frozen as of this migration);
afterwards `competency_recompute` keeps it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL = """
    INSERT INTO lms_schemecompetence (trainee_id, scheme_id, as_of)
    SELECT r.trainee_id, su.scheme_id, MAX(r.last_evidence_at)
    FROM lms_competencyrecord r
    JOIN lms_schemeunit su ON su.unit_id = r.unit_id
    WHERE r.outcome = 'K'
    GROUP BY r.trainee_id, su.scheme_id
    HAVING COUNT(*) = (
        SELECT COUNT(*) FROM lms_schemeunit n WHERE n.scheme_id = su.scheme_id
    )
"""


class Migration(migrations.Migration):
    dependencies = [
        ("lms", "0011_profile_role_type"),
    ]

    operations = [
        migrations.CreateModel(
            name="SchemeCompetence",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "as_of",
                    models.DateTimeField(
                        blank=True,
                        help_text=(
                            "Latest evidence behind the K records of the scheme's "
                            "units."
                        ),
                        null=True,
                        verbose_name="competent as of",
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="competences",
                        to="lms.certificationscheme",
                        verbose_name="scheme",
                    ),
                ),
                (
                    "trainee",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="scheme_competences",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="trainee",
                    ),
                ),
            ],
            options={
                "verbose_name": "scheme competence",
                "verbose_name_plural": "scheme competences",
                "ordering": ["trainee", "scheme"],
                "indexes": [
                    models.Index(
                        fields=["scheme", "trainee"], name="lms_schemecomp_scheme_idx"
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("trainee", "scheme"),
                        name="lms_schemecompetence_unique",
                    )
                ],
            },
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
