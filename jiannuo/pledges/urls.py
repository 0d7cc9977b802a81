from django.urls import path

from . import views

app_name = "pledges"
urlpatterns = [
    path("", views.index, name="index"),
    path("checks/", views.rules_page, name="rules"),
    path("items-template.xlsx", views.items_template, name="items_template"),
    path("villages/<int:village_id>/<slug:period>/", views.period_page, name="period"),
    path("villages/<int:village_id>/<slug:period>/prepare/", views.prepare, name="prepare"),
    path(
        "villages/<int:village_id>/<slug:period>/from-previous/",
        views.start_from_previous,
        name="start_from_previous",
    ),
    path("villages/<int:village_id>/<slug:period>/submit/", views.submit_all, name="submit_all"),
    path(
        "villages/<int:village_id>/<slug:period>/joint-meeting/",
        views.joint_meeting,
        name="joint_meeting",
    ),
    path(
        "villages/<int:village_id>/<slug:period>/consultation/",
        views.consultation,
        name="consultation",
    ),
    path("villages/<int:village_id>/<slug:period>/coverage/", views.coverage, name="coverage"),
    path("letters/<int:pk>/", views.letter_page, name="letter"),
    path("letters/<int:pk>/quality/", views.quality, name="quality"),
    path("letters/<int:pk>/versions/", views.versions, name="versions"),
    path("letters/<int:pk>/import/", views.items_import, name="import"),
    path("letters/<int:pk>/items/new/", views.item_form, name="item_new"),
    path("letters/<int:pk>/items/<int:item_id>/", views.item_form, name="item_edit"),
    path("letters/<int:pk>/items/<int:item_id>/delete/", views.item_delete, name="item_delete"),
    path("letters/<int:pk>/clauses/new/", views.clause_form, name="clause_new"),
    path("letters/<int:pk>/clauses/<int:clause_id>/", views.clause_form, name="clause_edit"),
    path(
        "letters/<int:pk>/clauses/<int:clause_id>/delete/",
        views.clause_delete,
        name="clause_delete",
    ),
    path("letters/<int:pk>/<slug:action>/", views.act, name="act"),
]
