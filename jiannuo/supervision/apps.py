from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "jiannuo.supervision"
    label = "supervision"
