from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "jiannuo.reports"
    label = "reports"
