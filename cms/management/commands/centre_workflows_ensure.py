"""`manage.py centre_workflows_ensure`: reviewer groups and workflows per centre."""

from django.core.management.base import BaseCommand

from cms.workflows import centre_workflows_ensure


class Command(BaseCommand):
    help = (
        "Create each centre's reviewer group and moderation workflows (centre "
        "review; centre + central review) and assign them. Safe to run again."
    )

    def handle(self, *args, **options):
        created = centre_workflows_ensure()
        self.stdout.write(
            self.style.SUCCESS(f"Workflows ready ({created['workflows']} created).")
        )
