"""`make demo`'s last line: stopping UCS, as the demo does, is not a failure."""

import signal

from scripts.demo import how_it_ended


def test_the_stop_the_demo_asked_for_reads_as_a_plain_stop():
    assert how_it_ended(-signal.SIGTERM) == "UCS stopped"
    assert how_it_ended(0) == "UCS stopped"


def test_any_other_end_says_what_happened():
    assert how_it_ended(-signal.SIGKILL) == "UCS did not stop on SIGTERM within 10 s and was killed"
    assert how_it_ended(1) == "UCS ended with exit code 1"
