from django.urls import include, path

from jiannuo.api.main import api

urlpatterns = [
    path("", include("jiannuo.core.urls")),
    path("accounts/", include("jiannuo.accounts.urls")),
    path("org/", include("jiannuo.organisation.urls")),
    path("opinions/", include("jiannuo.opinions.urls")),
    path("pledges/", include("jiannuo.pledges.urls")),
    path("signing/", include("jiannuo.signing.urls")),
    path("bulletin/", include("jiannuo.bulletin.urls")),
    path("supervision/", include("jiannuo.supervision.urls")),
    path("evaluation/", include("jiannuo.evaluation.urls")),
    path("accountability/", include("jiannuo.accountability.urls")),
    path("reports/", include("jiannuo.reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
