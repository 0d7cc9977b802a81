from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("todo/", views.todo, name="todo"),
    path("steps/<slug:step>/", views.step, name="step"),
    path("audit/", views.audit_log, name="audit"),
]
