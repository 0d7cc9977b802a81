from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.index, name="index"),
    path("village/<int:village_id>/", views.village, name="village"),
    path("village/<int:village_id>/inspect/", views.inspection_new, name="inspection_new"),
    path("item/<int:letter_id>/<str:code>/", views.item, name="item"),
    path("item/<int:letter_id>/<str:code>/adjust/", views.adjust, name="adjust"),
    path("letter/<int:letter_id>/", views.letter_timeline, name="letter"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
    path("evidence/<int:pk>/retract/", views.evidence_retract, name="evidence_retract"),
    path("inspection/<int:pk>/", views.inspection, name="inspection"),
    path("finding/<int:pk>/respond/", views.finding_respond, name="finding_respond"),
    path("finding/<int:pk>/signoff/", views.finding_signoff, name="finding_signoff"),
    path("rectifications/", views.rectifications, name="rectifications"),
    path("digests/", views.digests, name="digests"),
    path("adjustments/", views.adjustments, name="adjustments"),
    path("adjustment/<int:pk>/decide/", views.adjustment_decide, name="adjustment_decide"),
]
