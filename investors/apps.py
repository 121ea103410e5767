from django.apps import AppConfig


class InvestorsConfig(AppConfig):
    name = "investors"
    verbose_name = "Investors: applications and payments"

    def ready(self):
        from investors.accounts import receivers  # noqa: F401  (connects allauth's signals)
