"""Page types of the public site: home, regional centre, plain content page."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.blocks import ModuleBodyBlock
from courses import selectors as course_selectors
from courses import services as course_services
from courses.models import (
    CompletionRule,
    DeliveryMode,
    EnrolmentPolicy,
    EnrolmentState,
)
from courses.services import CourseSpec, ModuleSpec


class HomePage(Page):
    """The site's front page; lists the regional centres (BBPPKS)."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.CentrePage", "cms.StandardPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def route(self, request: HttpRequest, path_components: list[str]):
        # Wagtail walks the tree one level at a time (two queries per level); a
        # module page four levels down would spend most of its query budget on
        # routing. One lookup by URL path finds the same page; anything it does
        # not find (a sub-route of a routable page) falls back to the walk.
        if path_components:
            url_path = self.url_path + "/".join(path_components) + "/"
            page = Page.objects.descendant_of(self).filter(url_path=url_path).first()
            if page is not None:
                return page.specific.route(request, [])
        return super().route(request, path_components)

    def get_context(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["centre_pages"] = (
            CentrePage.objects.live()
            .public()
            .child_of(self)
            .select_related("organisation")
            .prefetch_related("organisation__provinces")
            .order_by("organisation__code")
        )
        return context


class CentrePage(Page):
    """A regional centre's own part of the site (its subtree in the admin).

    Each centre's trainers and admins may add, edit and publish only below their
    centre page; the permissions are set by `cms.services.centre_site_provision`.
    """

    organisation = models.OneToOneField(
        "lms.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("centre"),
        limit_choices_to={"kind": "centre"},
    )
    intro = RichTextField(_("introduction"), blank=True)
    address = models.TextField(_("address"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("organisation", permission="superuser"),
        FieldPanel("intro"),
        FieldPanel("address"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.StandardPage", "cms.CoursePage"]

    class Meta:
        verbose_name = _("centre page")


class StandardPage(Page):
    """A plain content page (about, contact, guides)."""

    body = RichTextField(_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["cms.HomePage", "cms.CentrePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


class CoursePage(Page):
    """A course as its centre's trainers author it; publishing syncs the course rows.

    The `courses.Course` row is keyed by this page's translation key, so the
    page points at the record, never the reverse.
    """

    code = models.CharField(_("code"), max_length=40)
    summary = models.TextField(_("summary"), blank=True)
    audience = models.TextField(_("audience"), blank=True)
    delivery_mode = models.CharField(
        _("delivery mode"),
        max_length=10,
        choices=DeliveryMode.choices,
        default=DeliveryMode.ONLINE,
    )
    total_jp = models.PositiveIntegerField(_("total JP"), default=0)
    enrolment_policy = models.CharField(
        _("enrolment policy"),
        max_length=10,
        choices=EnrolmentPolicy.choices,
        default=EnrolmentPolicy.OPEN,
    )
    units = ParentalManyToManyField(
        "lms.CompetencyUnit", blank=True, related_name="+", verbose_name=_("units")
    )
    prerequisites = ParentalManyToManyField(
        "cms.CoursePage", blank=True, related_name="+", verbose_name=_("prerequisites")
    )
    # Set by the central admin for certification-relevant courses: publishing
    # then also needs the central review (cms.workflows routes the page).
    requires_central_review = models.BooleanField(
        _("requires central review"),
        default=False,
        help_text=_(
            "Certification-relevant: after the centre's review, the central "
            "administrators review the course before it is published."
        ),
    )

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("code"),
                FieldPanel("summary"),
                FieldPanel("audience"),
                FieldPanel("delivery_mode"),
                FieldPanel("total_jp"),
                FieldPanel("enrolment_policy"),
            ],
            heading=_("Course"),
        ),
        FieldPanel("units"),
        FieldPanel("prerequisites"),
        FieldPanel("requires_central_review", permission="superuser"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("code"),
        index.SearchField("summary"),
        index.SearchField("audience"),
    ]
    parent_page_types = ["cms.CentrePage"]
    subpage_types = ["cms.ModulePage"]

    class Meta:
        verbose_name = _("course page")

    def get_context(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> dict:
        context = super().get_context(request, *args, **kwargs)
        # The course rows, not the pages, carry what trainees did: a draft or a
        # module added since the last publish does not appear here.
        state = course_selectors.course_page_state_get(
            user=request.user, source_key=self.translation_key
        )
        context.update(course=state.course, modules=state.modules, progress=state)
        return context

    def centre_page(self) -> CentrePage:
        return CentrePage.objects.ancestor_of(self).select_related("organisation").get()

    def course_spec(self) -> CourseSpec:
        """The published course and its live modules, as `course_sync` takes them."""
        modules = ModulePage.objects.live().child_of(self).order_by("path")
        return CourseSpec(
            source_key=self.translation_key,
            centre=self.centre_page().organisation,
            code=self.code,
            title=self.title,
            summary=self.summary,
            audience=self.audience,
            delivery_mode=self.delivery_mode,
            total_jp=self.total_jp,
            enrolment_policy=self.enrolment_policy,
            url=self.url or "",
            unit_ids=[u.pk for u in self.units.all()],
            prerequisite_keys=[p.translation_key for p in self.prerequisites.all()],
            modules=[m.module_spec() for m in modules],
        )


class ModulePage(Page):
    """One module of a course: a body from the block library and its completion rule."""

    body = StreamField(ModuleBodyBlock(), blank=True, verbose_name=_("body"))
    jp = models.PositiveIntegerField(_("JP"), default=0)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=0)
    completion_rule = models.CharField(
        _("completion rule"),
        max_length=12,
        choices=CompletionRule.choices,
        default=CompletionRule.VIEWED,
    )
    min_seconds = models.PositiveIntegerField(
        _("minimum seconds"),
        default=0,
        help_text=_("For the time-spent rule: seconds the trainee must spend."),
    )
    required = models.BooleanField(_("required"), default=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("jp"),
                FieldPanel("estimated_minutes"),
                FieldPanel("completion_rule"),
                FieldPanel("min_seconds"),
                FieldPanel("required"),
            ],
            heading=_("Completion"),
        ),
    ]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["cms.CoursePage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("module page")

    def serve(self, request: HttpRequest, *args: object, **kwargs: object):
        # Opening a module counts as viewing it; only the first view writes, so
        # re-reading a module (and resuming it) is a read-only request.
        state = course_selectors.module_view_get(
            user=request.user, source_key=self.translation_key
        )
        if (
            state.enrolment is not None
            and state.progress is None
            and state.enrolment.state
            in (EnrolmentState.ACTIVE, EnrolmentState.COMPLETED)
        ):
            course_services.module_progress_record(
                trainee=request.user, module=state.module
            )
        request.module_state = state
        return super().serve(request, *args, **kwargs)

    def get_context(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["state"] = getattr(request, "module_state", None)
        return context

    def module_spec(self) -> ModuleSpec:
        return ModuleSpec(
            source_key=self.translation_key,
            title=self.title,
            jp=self.jp,
            estimated_minutes=self.estimated_minutes,
            completion_rule=self.completion_rule,
            min_seconds=self.min_seconds,
            required=self.required,
            url=self.url or "",
            h5p_content_ids=tuple(
                block.value["content"].pk
                for block in self.body
                if block.block_type == "h5p" and block.value.get("content")
            ),
            assessment_ids=tuple(
                block.value["assessment"].pk
                for block in self.body
                if block.block_type == "assessment" and block.value.get("assessment")
            ),
        )
