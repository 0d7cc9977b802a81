from django.urls import path

from . import views

app_name = "organisation"
urlpatterns = [
    path("", views.index, name="index"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/roster/import/", views.roster_import, name="roster_import"),
    path("units/<int:pk>/roster.xlsx", views.roster_export, name="roster_export"),
    path("roster-template.xlsx", views.roster_template, name="roster_template"),
    path("people/<int:pk>/", views.person_detail, name="person"),
]
