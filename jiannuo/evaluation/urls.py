from django.urls import path

from . import views

app_name = "evaluation"
urlpatterns = [
    path("", views.index, name="index"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<int:pk>/", views.group, name="group"),
    path("villages/<int:village_id>/<int:year>/", views.village_year, name="village_year"),
    path(
        "villages/<int:village_id>/<int:year>/verdicts.xlsx",
        views.verdicts_xlsx,
        name="verdicts_xlsx",
    ),
    path(
        "villages/<int:village_id>/<int:year>/<slug:action>/",
        views.village_year_act,
        name="village_year_act",
    ),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_page, name="round"),
    path("rounds/<int:pk>/slips/", views.slips, name="slips"),
    path("rounds/<int:pk>/ballots/", views.ballots, name="ballots"),
    path("rounds/<int:pk>/ballots.pdf", views.ballots_pdf, name="ballots_pdf"),
    path("rounds/<int:pk>/slips.pdf", views.slips_pdf, name="slips_pdf"),
    path("rounds/<int:pk>/signin.pdf", views.signin_pdf, name="signin_pdf"),
    path("rounds/<int:pk>/tallysheet.pdf", views.tallysheet_pdf, name="tallysheet_pdf"),
    path("rounds/<int:pk>/tallies.xlsx", views.tallies_xlsx, name="tallies_xlsx"),
    path("rounds/<int:pk>/<slug:action>/", views.round_act, name="round_act"),
    path("vote/<str:code>/", views.vote, name="vote"),
]
