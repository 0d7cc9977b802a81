from django.urls import path

from . import views

app_name = "signing"
urlpatterns = [
    path("", views.index, name="index"),
    path("villages/<int:village_id>/new/", views.ceremony_new, name="ceremony_new"),
    path("ceremonies/<int:pk>/", views.ceremony_page, name="ceremony"),
    path("ceremonies/<int:pk>/<slug:action>/", views.ceremony_act, name="ceremony_act"),
    path("checkin/<str:code>/", views.checkin, name="checkin"),
    path("letters/<int:letter_id>/", views.letter_sign, name="letter"),
    path("letters/<int:letter_id>/amend/", views.letter_amend, name="amend"),
    path("custody/", views.custody, name="custody"),
    path("archive/", views.archive, name="archive"),
    path("custody/<int:pk>/receipt/", views.receipt, name="receipt"),
    path("signed/<int:pk>/scan/", views.scan, name="scan"),
    path("v/<str:code>/", views.verify, name="verify"),
]
