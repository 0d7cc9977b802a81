from django.apps import AppConfig


class OpinionsConfig(AppConfig):
    name = "jiannuo.opinions"
    label = "opinions"
