"""Wagtail admin screens for authoring assessments (menu group "Asesmen").

Question banks, questions, rubrics and assessments, each a `ModelViewSet` whose
views read through the scoped reads of `assessments.authoring` and write only
through its services. A trainer or centre admin sees their own centre's objects
(plus banks other centres share with them, read-only); another centre's object
answers 404 on every view (edit, delete, history, usage, structure). The central
admin sees everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as django_messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import HeaderButton
from wagtail.log_actions import log
from wagtail.permission_policies.base import BasePermissionPolicy

from assessments import authoring, forms
from assessments.instruments import instrument_types
from assessments.models import (
    Assessment,
    AssessmentStatus,
    Question,
    QuestionBank,
    Rubric,
)
from assessments.questions.types import question_types
from assessments.services import assessment_problems, assessment_publish

# Permission -------------------------------------------------------------------------


def _scope(user: Any) -> tuple[bool, frozenset[int]]:
    """(is central admin, centre ids) of a person, computed once per request."""
    cached = getattr(user, "_assessment_author_scope", None)
    if cached is None:
        cached = (
            authoring.author_is_central(user),
            frozenset(authoring.author_centre_ids(user)),
        )
        user._assessment_author_scope = cached
    return cached


class AuthorPolicy(BasePermissionPolicy):
    """Centre staff author their own centre's objects; the central admin all.

    `centre_of` names the centre an instance belongs to; `scope` is the scoped
    read of objects the person may change (the listing may show more, e.g. shared
    banks, which stay read-only).
    """

    def __init__(
        self,
        model: type,
        *,
        centre_of: Callable[[Any], int],
        scope: Callable[[Any], QuerySet],
    ) -> None:
        super().__init__(model)
        self.centre_of = centre_of
        self.scope = scope

    def user_has_permission(self, user: Any, action: str) -> bool:
        if not user.is_authenticated or not user.is_active:
            return False
        central, centres = _scope(user)
        return central or bool(centres)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return self.user_has_permission(user, "change")

    def user_has_permission_for_instance(
        self, user: Any, action: str, instance: Any
    ) -> bool:
        if not self.user_has_permission(user, action):
            return False
        central, centres = _scope(user)
        return central or self.centre_of(instance) in centres

    def instances_user_has_permission_for(self, user: Any, action: str) -> QuerySet:
        if not self.user_has_permission(user, action):
            return self.model._default_manager.none()
        return self.scope(user)

    def users_with_permission(self, action: str) -> QuerySet:
        from lms.models import User

        return User.objects.none()


# View mixins ------------------------------------------------------------------------


class AuthorPolicyMixin:
    """Views use the viewset's `AuthorPolicy`, not one registered for the model
    (which would also govern other screens of the model, e.g. the page editor's
    assessment chooser)."""

    author_policy: AuthorPolicy | None = None

    @cached_property
    def permission_policy(self) -> AuthorPolicy | None:
        return self.author_policy


class ScopedObjectMixin(AuthorPolicyMixin):
    """Objects outside the person's scope answer 404 (not 403: nothing leaks)."""

    def scoped(self) -> QuerySet:
        return self.permission_policy.scope(self.request.user)

    # EditView / DeleteView (SingleObjectMixin)
    def get_queryset(self) -> QuerySet:
        return self.scoped()


class ScopedListingObjectMixin(AuthorPolicyMixin):
    """History and usage list rows of one object: the object itself is scoped."""

    def get_base_object_queryset(self) -> QuerySet:
        return self.permission_policy.scope(self.request.user)


class ServiceFormMixin:
    """Create/edit views whose form saves through an authoring service.

    The service's problems (every one at once) appear on the form; the
    transaction the generic view opens is rolled back, so nothing is written.
    """

    log_action = "wagtail.edit"

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["for_user"] = self.request.user
        return kwargs

    def save_instance(self) -> Any:
        instance = self.form.save(user=self.request.user)
        log(instance=instance, action=self.log_action, user=self.request.user)
        return instance

    def form_valid(self, form: Any) -> Any:
        try:
            return super().form_valid(form)
        except ValidationError as error:
            form.add_error(None, error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class ScopedCreateView(AuthorPolicyMixin, ServiceFormMixin, generic.CreateView):
    log_action = "wagtail.create"


class ScopedEditView(ScopedObjectMixin, ServiceFormMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedObjectMixin, generic.DeleteView):
    """Deletes through a service that refuses what is still in use."""

    delete_service: Callable[..., None] | None = None
    log_action = "wagtail.delete"

    def delete_action(self) -> None:
        # One transaction: a refused deletion leaves no "deleted" log entry behind.
        with transaction.atomic():
            log(instance=self.object, action=self.log_action, user=self.request.user)
            self.delete_service(self.object)

    def form_valid(self, form: Any) -> Any:
        try:
            return super().form_valid(form)
        except ValidationError as error:
            for problem in error.messages:
                messages.error(self.request, problem)
            return HttpResponseRedirect(self.get_success_url())


class ScopedHistoryView(ScopedListingObjectMixin, HistoryView):
    pass


class ScopedUsageView(ScopedListingObjectMixin, UsageView):
    pass


class ScopedIndexView(AuthorPolicyMixin, generic.IndexView):
    """The listing: what `list_scope` gives the person, in a constant number of
    queries (annotations and joins, never a query per row)."""

    list_scope: Callable[[Any], QuerySet] | None = None

    def get_base_queryset(self) -> QuerySet:
        return self.list_scope(self.request.user)

    def _may_change(self, instance: Any) -> bool:
        return self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", instance
        )

    def get_edit_url(self, instance: Any) -> str | None:
        return super().get_edit_url(instance) if self._may_change(instance) else None

    def get_delete_url(self, instance: Any) -> str | None:
        return super().get_delete_url(instance) if self._may_change(instance) else None


class AuthoringViewSet(ModelViewSet):
    """Common settings: scoped views, no copy or inspect, a custom policy."""

    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_admin_menu = False
    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    form_class: type
    list_scope: Callable[[Any], QuerySet]
    edit_scope: Callable[[Any], QuerySet]
    centre_of: Callable[[Any], int]
    delete_service: Callable[..., None]

    @cached_property
    def permission_policy(self) -> AuthorPolicy:
        return AuthorPolicy(
            self.model, centre_of=type(self).centre_of, scope=type(self).edit_scope
        )

    def get_form_class(self, for_update: bool = False) -> type:
        return self.form_class

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_common_view_kwargs(
            author_policy=self.permission_policy, **kwargs
        )

    @cached_property
    def menu_item_class(self) -> type:
        from wagtail.admin.menu import MenuItem

        policy = self.permission_policy

        class AuthoringMenuItem(MenuItem):
            def is_shown(self, request: Any) -> bool:
                return policy.user_has_permission(request.user, "view")

        return AuthoringMenuItem

    def get_index_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_index_view_kwargs(list_scope=type(self).list_scope, **kwargs)

    def get_delete_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_delete_view_kwargs(
            delete_service=type(self).delete_service, **kwargs
        )

    def get_permissions_to_register(self) -> Any:
        return []

    def register_permissions(self) -> None:
        # The policy stays with these screens: registering it for the model would
        # also change who may use other screens of the same model (the page
        # editor's assessment chooser).
        pass


# Question banks ---------------------------------------------------------------------


def _banks_listed(user: Any) -> QuerySet:
    return (
        authoring.bank_list_for_author(user)
        .annotate(shared_count=Count("shared_with", distinct=True))
        .order_by("centre__code", "title")
    )


class QuestionBankViewSet(AuthoringViewSet):
    model = QuestionBank
    icon = "folder-open-inverse"
    menu_label = gettext_lazy("Question banks")
    url_prefix = "asesmen/bank-soal"
    form_class = forms.BankForm
    list_scope = staticmethod(_banks_listed)
    edit_scope = staticmethod(
        lambda user: authoring.bank_list_for_author(user, editable=True)
    )
    centre_of = staticmethod(lambda bank: bank.centre_id)
    delete_service = staticmethod(lambda bank: authoring.bank_delete(bank=bank))
    list_display = [
        "title",
        Column("centre", label=gettext_lazy("Centre"), accessor="centre"),
        Column(
            "questions_count",
            label=gettext_lazy("Questions"),
            accessor="questions_count",
        ),
        Column(
            "shared_count", label=gettext_lazy("Shared with"), accessor="shared_count"
        ),
    ]
    search_fields = ["title"]


# Questions -----------------------------------------------------------------------


class QuestionKindColumn(Column):
    def get_value(self, instance: Any) -> Any:
        if instance.kind in question_types:
            return question_types.get(instance.kind).label
        return instance.kind


class QuestionDeleteView(ScopedDeleteView):
    """Questions are never deleted (attempts keep their versions): they retire."""

    page_title = gettext_lazy("Retire")
    log_action = "wagtail.edit"

    @property
    def confirmation_message(self) -> str:
        return _(
            "Retire this question? It will no longer be drawn or added to "
            "assessments; attempts keep the version they showed."
        )

    def get_success_message(self) -> str:
        return _("Question '%(name)s' retired.") % {"name": self.object.name}


def _questions_listed(user: Any) -> QuerySet:
    return authoring.question_list_for_author(user).order_by("bank__title", "pk")


class QuestionViewSet(AuthoringViewSet):
    model = Question
    icon = "help"
    menu_label = gettext_lazy("Questions")
    url_prefix = "asesmen/soal"
    form_class = forms.QuestionForm
    delete_view_class = QuestionDeleteView
    list_scope = staticmethod(_questions_listed)
    edit_scope = staticmethod(
        lambda user: authoring.question_list_for_author(user, editable=True)
    )
    centre_of = staticmethod(lambda question: question.bank.centre_id)
    delete_service = staticmethod(
        lambda question: authoring.question_retire(question=question)
    )
    list_display = [
        "name",
        QuestionKindColumn("kind", label=gettext_lazy("Question type")),
        Column("bank", label=gettext_lazy("Question bank"), accessor="bank"),
        Column(
            "version",
            label=gettext_lazy("Version"),
            accessor="current_version.number",
        ),
        DateColumn("retired_at", label=gettext_lazy("Retired at")),
    ]
    list_filter = ["kind"]
    search_fields = ["name", "idnumber"]


# Rubrics -----------------------------------------------------------------------------


class RubricViewSet(AuthoringViewSet):
    model = Rubric
    icon = "table"
    menu_label = gettext_lazy("Rubrics")
    url_prefix = "asesmen/rubrik"
    form_class = forms.RubricForm
    list_scope = staticmethod(
        lambda user: authoring.rubric_list_for_author(user).order_by("title")
    )
    edit_scope = staticmethod(authoring.rubric_list_for_author)
    centre_of = staticmethod(lambda rubric: rubric.centre_id)
    delete_service = staticmethod(lambda rubric: authoring.rubric_delete(rubric=rubric))
    list_display = [
        "title",
        Column("centre", label=gettext_lazy("Centre"), accessor="centre"),
        Column(
            "criteria_count",
            label=gettext_lazy("Criteria"),
            accessor="criteria_count",
        ),
    ]
    search_fields = ["title"]


# Assessments and their structure -----------------------------------------------------


class AssessmentIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance: Any) -> list[Any]:
        from wagtail.admin.widgets.button import MenuItem

        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("Sections"),
                url=reverse("assessment_authoring:structure", args=[instance.pk]),
                icon_name="list-ul",
                priority=5,
            )
        )
        return buttons


class AssessmentEditView(ScopedEditView):
    def get_header_buttons(self) -> list[Any]:
        return [
            *super().get_header_buttons(),
            HeaderButton(
                _("Sections"),
                url=reverse("assessment_authoring:structure", args=[self.object.pk]),
                icon_name="list-ul",
            ),
        ]


class StructureMixin(WagtailAdminTemplateMixin):
    """Custom views of one assessment: scoped like the viewset's own views."""

    header_icon = "tasks"
    permission_policy: AuthorPolicy

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.assessment = self.load_assessment(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load_assessment(self, **kwargs: Any) -> Assessment:
        scope = authoring.assessment_list_for_author(self.request.user)
        return get_object_or_404(scope, pk=kwargs["pk"])

    def structure_url(self) -> str:
        return reverse("assessment_authoring:structure", args=[self.assessment.pk])

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse("assessment_authoring:index"),
                "label": _("Assessments"),
            },
            {"url": self.structure_url(), "label": str(self.assessment)},
        ]


class AssessmentStructureView(StructureMixin, TemplateView):
    """The sections of an assessment with their items and checklist lines, what
    still stops it from being published, and the publish action."""

    template_name = "assessments/admin/structure.html"

    def get_page_title(self) -> str:
        return _("Sections of %(assessment)s") % {"assessment": self.assessment}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        sections = list(
            self.assessment.sections.select_related("rubric")
            .prefetch_related(
                "items__question",
                "items__draw_bank",
                "items__draw_tag",
                "checklist_lines__criterion",
            )
            .order_by("position")
        )
        for section in sections:
            section.instrument_label = (
                instrument_types.get(section.instrument).label
                if section.instrument in instrument_types
                else section.instrument
            )
        context.update(
            assessment=self.assessment,
            sections=sections,
            problems=assessment_problems(assessment=self.assessment),
            lock=authoring.structure_lock_problems(self.assessment),
            is_draft=self.assessment.status == AssessmentStatus.DRAFT,
            has_attempts=self.assessment.attempts_count > 0,
            edit_url=reverse("assessment_authoring:edit", args=[self.assessment.pk]),
        )
        return context


class SectionFormView(StructureMixin, FormView):
    """Add a section to a draft, or edit one."""

    template_name = "assessments/admin/section_form.html"
    form_class = forms.SectionForm

    def load_assessment(self, **kwargs: Any) -> Assessment:
        if "section" in kwargs:
            self.section = authoring.section_get_for_author(
                self.request.user, kwargs["section"]
            )
            kwargs = {"pk": self.section.assessment_id}
        else:
            self.section = None
        return super().load_assessment(**kwargs)

    def get_page_title(self) -> str:
        return _("Edit section") if self.section else _("Add a section")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(
            assessment=self.assessment,
            instance=self.section,
            for_user=self.request.user,
        )
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            assessment=self.assessment,
            structure_url=self.structure_url(),
            lock=authoring.structure_lock_problems(self.assessment),
        )
        return context

    def form_valid(self, form: Any) -> Any:
        try:
            section = form.save(user=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        log(instance=self.assessment, action="wagtail.edit", user=self.request.user)
        messages.success(
            self.request,
            _("Section %(n)d saved.") % {"n": section.position},
        )
        return HttpResponseRedirect(self.structure_url())


class StructureActionView(StructureMixin, View):
    """A POST-only action on an assessment's structure; problems become messages."""

    http_method_names = ["post"]

    def post(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            message = self.act(**kwargs)
        except ValidationError as error:
            for problem in error.messages:
                django_messages.error(request, problem)
        else:
            log(instance=self.assessment, action="wagtail.edit", user=request.user)
            messages.success(request, message)
        return HttpResponseRedirect(self.structure_url())

    def act(self, **kwargs: Any) -> str:
        raise NotImplementedError


class SectionActionView(StructureActionView):
    def load_assessment(self, **kwargs: Any) -> Assessment:
        self.section = authoring.section_get_for_author(
            self.request.user, kwargs["section"]
        )
        return super().load_assessment(pk=self.section.assessment_id)


class SectionMoveView(SectionActionView):
    step = 1

    def act(self, **kwargs: Any) -> str:
        authoring.section_move(section=self.section, step=self.step)
        return _("Section moved.")


class SectionRemoveView(SectionActionView):
    def act(self, **kwargs: Any) -> str:
        authoring.section_remove(section=self.section)
        return _("Section removed.")


class PublishView(StructureActionView):
    def act(self, **kwargs: Any) -> str:
        assessment_publish(assessment=self.assessment)
        return _("The assessment is published.")


class UnpublishView(StructureActionView):
    def act(self, **kwargs: Any) -> str:
        authoring.assessment_unpublish(assessment=self.assessment)
        return _("The assessment is back to draft.")


def _assessments_listed(user: Any) -> QuerySet:
    return authoring.assessment_list_for_author(user).order_by("centre__code", "code")


class AssessmentViewSet(AuthoringViewSet):
    model = Assessment
    icon = "tasks"
    menu_label = gettext_lazy("Assessments")
    url_prefix = "asesmen/asesmen"
    form_class = forms.AssessmentForm
    index_view_class = AssessmentIndexView
    edit_view_class = AssessmentEditView
    list_scope = staticmethod(_assessments_listed)
    edit_scope = staticmethod(authoring.assessment_list_for_author)
    centre_of = staticmethod(lambda assessment: assessment.centre_id)
    delete_service = staticmethod(
        lambda assessment: authoring.assessment_delete(assessment=assessment)
    )
    list_display = [
        "title",
        Column("code", label=gettext_lazy("Code"), accessor="code"),
        Column("centre", label=gettext_lazy("Centre"), accessor="centre"),
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        Column(
            "sections_count",
            label=gettext_lazy("Sections"),
            accessor="sections_count",
        ),
        Column(
            "attempts_count",
            label=gettext_lazy("Attempts"),
            accessor="attempts_count",
        ),
    ]
    list_filter = ["status", "purpose"]
    search_fields = ["code", "title"]

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path(
                "susunan/<int:pk>/", AssessmentStructureView.as_view(), name="structure"
            ),
            path(
                "susunan/<int:pk>/bagian/",
                SectionFormView.as_view(),
                name="section_add",
            ),
            path(
                "bagian/<int:section>/",
                SectionFormView.as_view(),
                name="section_edit",
            ),
            path(
                "bagian/<int:section>/naik/",
                SectionMoveView.as_view(step=-1),
                name="section_up",
            ),
            path(
                "bagian/<int:section>/turun/",
                SectionMoveView.as_view(step=1),
                name="section_down",
            ),
            path(
                "bagian/<int:section>/hapus/",
                SectionRemoveView.as_view(),
                name="section_remove",
            ),
            path("terbitkan/<int:pk>/", PublishView.as_view(), name="publish"),
            path("draf/<int:pk>/", UnpublishView.as_view(), name="unpublish"),
        ]


class AssessmentAuthoringGroup(ViewSetGroup):
    """The "Asesmen" menu: banks, questions, rubrics, assessments."""

    menu_label = gettext_lazy("Assessments")
    menu_icon = "tasks"
    menu_order = 250
    items = (
        AssessmentViewSet("assessment_authoring"),
        QuestionBankViewSet("question_bank_authoring"),
        QuestionViewSet("question_authoring"),
        RubricViewSet("rubric_authoring"),
    )
