from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Members decide: general meetings, resolutions, elections, ballots with receipts, and the
    society's public, hash-chained decision record (which also records the board's decisions
    announced by the apps below through `capital.decisions.decision_taken`)."""

    name = "governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from capital.decisions import decision_taken
        from capital.signals import demo_loaded
        from governance.dashboard import meetings_panel
        from governance.demo import add_demo_meetings
        from governance.services.record import record_announced
        from shares.member_panels import register_member_panel

        decision_taken.connect(record_announced, dispatch_uid="governance.record_announced")
        register_member_panel(meetings_panel)
        demo_loaded.connect(add_demo_meetings, dispatch_uid="governance.add_demo_meetings")
