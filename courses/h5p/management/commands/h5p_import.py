"""`manage.py h5p_import PATH --centre CODE`: import an H5P package as an operator.

Exit 0 and print the content id, or exit 1 with every reason the package was
refused. Operators may install library code; nothing is written on refusal.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.h5p.services import content_import
from lms.models import Organisation, OrganisationKind


class Command(BaseCommand):
    help = "Import an .h5p package for a centre; prints the new content's id."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--centre", required=True, help="Centre code, e.g. R3")

    def handle(self, *args, **options):
        centre = Organisation.objects.filter(
            code=options["centre"], kind=OrganisationKind.CENTRE
        ).first()
        if centre is None:
            raise CommandError(f"No centre with code {options['centre']!r}.")
        try:
            with open(options["path"], "rb") as handle:
                result = content_import(
                    source=handle, centre=centre, user=None, can_install_libraries=True
                )
        except FileNotFoundError:
            raise CommandError(f"No such file: {options['path']}") from None
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from None
        for folder in result.kept:
            self.stderr.write(
                f"{folder}: already installed with other files; the installed "
                "version is kept."
            )
        self.stdout.write(str(result.content.uuid))
