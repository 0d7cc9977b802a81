from django.urls import path

from . import views

app_name = "organisation"
urlpatterns = [
    path("", views.index, name="index"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("districts/add/", views.district_add, name="district_add"),
    path("units/<int:pk>/roster/import/", views.roster_import, name="roster_import"),
    path("units/<int:pk>/roster.xlsx", views.roster_export, name="roster_export"),
    path("roster-template.xlsx", views.roster_template, name="roster_template"),
    path("units/<int:pk>/add/", views.unit_add, name="unit_add"),
    path("units/<int:pk>/people/add/", views.person_add, name="person_add"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/posts/add/", views.post_add, name="post_add"),
    path("posts/<int:pk>/end/", views.post_end, name="post_end"),
    path("units/<int:pk>/terms/add/", views.term_add, name="term_add"),
    path("units/<int:pk>/terms/<int:term_pk>/carry-over/", views.carry_over, name="carry_over"),
]
