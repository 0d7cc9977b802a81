from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "jiannuo.evaluation"
    label = "evaluation"
