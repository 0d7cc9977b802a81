from django.urls import path

from . import views

app_name = "opinions"
urlpatterns = [
    path("", views.index, name="index"),
    path("villages/<int:pk>/", views.village, name="village"),
    path("villages/<int:pk>/card/", views.card, name="card"),
    path("villages/<int:pk>/enter/", views.enter, name="enter"),
    path("villages/<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("villages/<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("villages/<int:pk>/group/", views.group, name="group"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("issues/<int:pk>/", views.issue, name="issue"),
    path("issues/<int:pk>/<slug:action>/", views.issue_action, name="issue_action"),
    path("townships/<int:pk>/tasks/", views.township_tasks, name="township_tasks"),
    path("assignments/<int:pk>/<slug:action>/", views.assignment_action, name="assignment_action"),
    # Public, no log-in: the link printed on the card and shown as a QR code.
    path("say/<str:code>/", views.public, name="public"),
]
