import threading

import pytest
from django.db import connection

pytestmark = pytest.mark.postgres


def run_concurrently(work, arguments):
    """Run `work(argument)` in one thread per argument, all released at once by a barrier.

    Returns each call's result or the exception it raised, in argument order. Every thread
    uses (and closes) its own database connection, as separate web processes would.
    """
    barrier = threading.Barrier(len(arguments))
    outcomes = [None] * len(arguments)

    def run(index, argument):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = work(argument)
        except Exception as error:  # noqa: BLE001 - the test inspects every outcome
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish: deadlock?"
    return outcomes
