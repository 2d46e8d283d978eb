"""Writes on the Wagtail side: the site, centre pages and their permissions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.text import slugify
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    Site,
)

from cms.models import CentrePage, HomePage
from lms import services as lms_services
from lms.models import Organisation, Role

# What each centre role may do below its centre page and in its collection.
CENTRE_PAGE_PERMISSIONS: dict[str, list[str]] = {
    Role.TRAINER: [
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
    ],
    Role.CENTRE_ADMIN: [
        "add_page",
        "change_page",
        "publish_page",
        "lock_page",
        "unlock_page",
        "bulk_delete_page",
    ],
}
CENTRE_COLLECTION_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    role: [
        ("wagtailimages", "add_image"),
        ("wagtailimages", "change_image"),
        ("wagtailimages", "choose_image"),
        ("wagtaildocs", "add_document"),
        ("wagtaildocs", "change_document"),
        ("wagtaildocs", "choose_document"),
    ]
    for role in (Role.TRAINER, Role.CENTRE_ADMIN)
}


def wagtail_roots_ensure() -> None:
    """Wagtail's own starting rows: default locale, root page, root collection.

    Its migrations create them; a database emptied by `flush` (browser tests do
    that between tests) has none, and the demo loader must still work there.
    """
    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    if Page.get_first_root_node() is None:
        Page.add_root(
            instance=Page(
                title="Root",
                slug="root",
                content_type=ContentType.objects.get_for_model(Page),
            )
        )
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


@transaction.atomic
def home_page_ensure(*, title: str = "LMS Kemensos") -> HomePage:
    """The site's home page, replacing Wagtail's placeholder root child if needed."""
    wagtail_roots_ensure()
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = root.add_child(instance=HomePage(title=title, slug="beranda"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=title,
        )
    elif site.root_page_id != home.pk:
        placeholder = site.root_page
        site.root_page = home
        site.site_name = title
        site.save()
        # Wagtail's initial "Welcome" page has no use once our home page is the root.
        if (
            placeholder.specific_class is Page
            and not placeholder.get_children().exists()
        ):
            placeholder.delete()
    return home


@transaction.atomic
def centre_site_provision(*, organisation: Organisation, home: HomePage) -> CentrePage:
    """Give a centre its page subtree, its media collection and its role groups.

    Idempotent: running it again changes nothing that is already in place.
    """
    page = CentrePage.objects.filter(organisation=organisation).first()
    if page is None:
        page = home.add_child(
            instance=CentrePage(
                title=organisation.short_name,
                slug=slugify(organisation.code),
                organisation=organisation,
            )
        )
    if organisation.collection_id is None:
        collection = Collection.get_first_root_node().add_child(
            name=organisation.short_name
        )
        organisation.collection = collection
        organisation.save(update_fields=["collection"])
    page_type = ContentType.objects.get_for_model(Page)
    for role, codenames in CENTRE_PAGE_PERMISSIONS.items():
        group = lms_services.role_group_ensure(organisation=organisation, role=role)
        for codename in codenames:
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=page,
                permission=Permission.objects.get(
                    content_type=page_type, codename=codename
                ),
            )
        for app_label, codename in CENTRE_COLLECTION_PERMISSIONS[role]:
            GroupCollectionPermission.objects.get_or_create(
                group=group,
                collection=organisation.collection,
                permission=Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                ),
            )
    return page
