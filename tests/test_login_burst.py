"""Password guesses sent all at once are throttled like guesses sent one by one (privacy audit F4).

Failures used to be counted only when each password check ended, so a burst of 40 wrong guesses
from one address was checked in full before the pause began. Checks in flight now count against
the free failures. A unit test of `LoginThrottle`, then the real server under a real burst."""

import threading
from collections import Counter

import httpx
from fixtures.browser import served
from qualflow.review.server import create_app
from qualflow.review.throttle import LoginThrottle
from test_review_audit10 import data  # noqa: F401 (a fixture: a study with reviewer alice)
from test_review_hardening import csrf_of, slow_to_check

BURST = 3 * LoginThrottle.FREE_FAILURES


def test_checks_in_flight_count_against_the_free_failures():
    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    held = [throttle.reserve("192.0.2.1") for _ in range(LoginThrottle.FREE_FAILURES)]
    assert held == [0] * LoginThrottle.FREE_FAILURES
    assert throttle.reserve("192.0.2.1") == 1  # a sixth guess at once waits for the others
    assert throttle.reserve("192.0.2.2") == 0  # another address does not
    for _ in range(LoginThrottle.FREE_FAILURES):
        throttle.failed("192.0.2.1")
        throttle.release("192.0.2.1")
    assert throttle.reserve("192.0.2.1") == LoginThrottle.FIRST_WAIT
    now[0] += LoginThrottle.FIRST_WAIT
    assert throttle.reserve("192.0.2.1") == 0  # after the pause, one guess at a time
    assert throttle.reserve("192.0.2.1") == 1
    throttle.succeeded("192.0.2.1")
    throttle.release("192.0.2.1")
    assert [throttle.reserve("192.0.2.1") for _ in range(2)] == [0, 0]  # a success forgets the failures


def test_a_check_that_breaks_off_gives_its_place_back():
    throttle = LoginThrottle()
    for _ in range(LoginThrottle.FREE_FAILURES):
        assert throttle.reserve("192.0.2.1") == 0
        throttle.release("192.0.2.1")  # no failure counted: the request broke off before the check
    assert throttle.reserve("192.0.2.1") == 0


def test_a_burst_of_wrong_passwords_gets_no_more_checks_than_the_free_failures(data, monkeypatch):  # noqa: F811
    from argon2 import PasswordHasher
    from qualflow.review import accounts

    checked, lock = [0], threading.Lock()

    class CountingHasher(PasswordHasher):  # the real check, counted
        def verify(self, hash, password):
            with lock:
                checked[0] += 1
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", CountingHasher())
    slow_to_check(data)  # each check takes long enough for the whole burst to arrive meanwhile
    answers, ready = [], threading.Barrier(BURST)
    with served(create_app(data)) as base:
        def guess():
            with httpx.Client(base_url=base, timeout=120) as client:
                csrf = csrf_of(client.get("/login").text)
                ready.wait(60)
                answer = client.post("/login", data={"name": "alice", "password": "wrong guess", "csrf": csrf})
                with lock:
                    answers.append(answer.status_code)

        burst = [threading.Thread(target=guess) for _ in range(BURST)]
        for thread in burst:
            thread.start()
        for thread in burst:
            thread.join(180)
    assert len(answers) == BURST
    assert Counter(answers) == {401: LoginThrottle.FREE_FAILURES, 429: BURST - LoginThrottle.FREE_FAILURES}
    assert checked[0] == LoginThrottle.FREE_FAILURES
