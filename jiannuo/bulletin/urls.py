from django.urls import path

from . import views

app_name = "bulletin"
urlpatterns = [
    path("", views.index, name="index"),
    path("batch/", views.batch_start, name="batch_start"),
    path("batch/<int:pk>/", views.batch, name="batch"),
    path("batch/<int:pk>/download/", views.batch_download, name="batch_download"),
    path("<str:code>/", views.village, name="village"),
    path("<str:code>/poster/", views.poster, name="poster"),
    path("<str:code>/posting/", views.posting_record, name="posting"),
]
