from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "jiannuo.api"
    label = "api"
