"""URL configuration: the composition root that wires every app together."""

from django.conf import settings
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView
from django.views.i18n import set_language
from ninja import NinjaAPI
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from lms.api import router as lms_router

api = NinjaAPI(
    title="LMS Kemensos API",
    version="1",
    urls_namespace="api-v1",
    docs_url="/docs",
)
api.add_router("/", lms_router)
api.add_router("/", "courses.api.router")
api.add_router("/", "assessments.api.router")
api.add_router("/grading", "assessments.grading.api.router")


class AdminLoginRedirectView(RedirectView):
    """Wagtail's own login page is replaced by allauth's (rate limits, MFA)."""

    url = reverse_lazy("account_login")
    query_string = True


urlpatterns = [
    path("admin/login/", AdminLoginRedirectView.as_view(), name="admin_login_redirect"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("saya/", include("cms.home_urls")),
    path("api/v1/", api.urls),
    path("h5p/", include("courses.h5p.urls")),
    path("staf/h5p/", include("courses.h5p.staff_urls")),
    path("verify/", include("lms.certification.urls")),
    path("rekam-kompetensi/", include("lms.certification.trainee_urls")),
    path("staf/sertifikasi/", include("lms.certification.staff_urls")),
    path("asesmen/", include("assessments.urls")),
    path("staf/asesmen/", include("assessments.staff_urls")),
    path("staf/penilaian/", include("assessments.grading.urls")),
    path("staf/dasbor/", include("cms.dashboards.urls")),
    path("", include("cms.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page serving comes last: it catches every other path.
urlpatterns.append(path("", include(wagtail_urls)))
