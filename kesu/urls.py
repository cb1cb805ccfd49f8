from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("kesu.web.urls")),
    path("cases/", include("kesu.cases.urls")),
    path("deadlines/", include("kesu.sla.urls")),
    path("triage/", include("kesu.triage.urls")),
    path("notifications/", include("kesu.notifications.urls")),
    path("", include("kesu.intake.urls")),
    path("api/v1/", include("kesu.api.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
