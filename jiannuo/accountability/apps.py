from django.apps import AppConfig


class AccountabilityConfig(AppConfig):
    name = "jiannuo.accountability"
    label = "accountability"
