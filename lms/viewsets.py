"""Wagtail admin viewsets of the core."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views.users import UserViewSet as WagtailUserViewSet

from lms.models import Organisation

PERSON_FIELDS = {"email", "full_name", "title_prefix", "title_suffix", "time_zone"}


class LmsUserCreationForm(UserCreationForm):
    """Wagtail's user form without first/last name: we keep one full-name field."""

    first_name = None
    last_name = None
    full_name = forms.CharField(label=_("Full name"), max_length=200)

    class Meta(UserCreationForm.Meta):
        fields = PERSON_FIELDS | {"is_superuser", "groups"}


class LmsUserEditForm(UserEditForm):
    first_name = None
    last_name = None
    full_name = forms.CharField(label=_("Full name"), max_length=200)

    class Meta(UserEditForm.Meta):
        fields = PERSON_FIELDS | {"is_active", "is_superuser", "groups"}


class UserViewSet(WagtailUserViewSet):
    """Users in the Wagtail admin, with our person fields and never the NIK."""

    def get_form_class(self, for_update: bool = False) -> type[forms.ModelForm]:
        return LmsUserEditForm if for_update else LmsUserCreationForm


class OrganisationViewSet(ModelViewSet):
    """Organisations as editable data (central admin): centres, universities, LSPs."""

    model = Organisation
    icon = "group"
    menu_label = _("Organisations")
    menu_order = 610
    add_to_settings_menu = True
    list_display = ["code", "short_name", "kind", "city", "time_zone"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "short_name", "city"]
    form_fields = [
        "kind",
        "code",
        "name",
        "short_name",
        "city",
        "time_zone",
        "provinces",
        "valid_from",
        "valid_until",
    ]
    copy_view_enabled = False
