from django.urls import path

from . import settings_ui, views

app_name = "accountability"
urlpatterns = [
    path("", views.index, name="index"),
    path("cases/", views.index, name="cases"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/decision.pdf", views.decision_pdf, name="decision_pdf"),
    path("cases/<int:pk>/<slug:action>/", views.case_act, name="case_act"),
    path("townships/<int:township_id>/<int:year>/", views.preview, name="preview"),
    path("honours/", views.honours, name="honours"),
    path("settings/", settings_ui.settings_page, name="settings"),
]
