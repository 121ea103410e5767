from django.apps import AppConfig


class SharesConfig(AppConfig):
    name = "shares"
    verbose_name = "Shares: the register"

    def ready(self):
        from capital.decisions import decision_taken
        from shares.board_mail import email_appointee

        decision_taken.connect(email_appointee, dispatch_uid="shares.email_appointee")
