from django.apps import AppConfig


class BulletinConfig(AppConfig):
    name = "jiannuo.bulletin"
    label = "bulletin"
