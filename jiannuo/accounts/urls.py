from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("security/", views.security, name="security"),
    path("users/", views.users, name="users"),
    path("users/grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("security/totp/", views.totp_start, name="totp_start"),
    path("security/tokens/", views.token_create, name="token_create"),
    path("security/tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("activate/", views.activate, name="activate"),
    path("people/<int:pk>/activation/", views.person_activation, name="person_activation"),
    path("villages/<int:pk>/activations/", views.village_activations, name="village_activations"),
    path("password/", views.PasswordChangeView.as_view(), name="password"),
]
