from django.apps import AppConfig


class InvestorsConfig(AppConfig):
    name = "investors"
    verbose_name = "Investors: applications and payments"
