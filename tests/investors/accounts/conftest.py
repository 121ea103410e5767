import pytest


@pytest.fixture
def run_after_commit(db, django_capture_on_commit_callbacks):
    """Emails are sent once the database has committed; run those callbacks as a commit would."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run
