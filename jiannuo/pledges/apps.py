from django.apps import AppConfig


class PledgesConfig(AppConfig):
    name = "jiannuo.pledges"
    label = "pledges"
