from django.apps import AppConfig


class SigningConfig(AppConfig):
    name = "jiannuo.signing"
    label = "signing"
