"""When incidents open and resolve: thresholds, inhibition by dependencies, suppression."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from insa.watch.incidents import Book, Rule

T0 = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)


def _book(*rules: Rule) -> Book:
    n = itertools.count(1)
    return Book(rules, lambda key: f"INC-{next(n)}")


def _at(i: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=30 * i)


def test_a_single_failed_check_between_good_ones_opens_nothing() -> None:
    book = _book(Rule("web"))
    events = [e for i, ok in enumerate([True, False, True, True, False, False, True])
              for e in book.record("web", ok, "[STATUS] (500) == 200", _at(i))]  # fmt: skip
    assert events == []


def test_opens_at_the_threshold_and_resolves_after_enough_good_checks() -> None:
    book = _book(Rule("web", failure_threshold=3, success_threshold=2))
    seq = [False, False, False, False, True, True, True]
    events = [
        (i, e.event) for i, ok in enumerate(seq) for e in book.record("web", ok, "down", _at(i))
    ]
    assert events == [(2, "open"), (5, "resolve")]


def test_a_shared_database_outage_is_one_incident_with_its_dependents_listed() -> None:
    rules = [Rule("db"), *(Rule(f"svc{i}", depends_on=("db",)) for i in range(3))]
    book = _book(*rules)
    for k in ("db", "svc0", "svc1", "svc2"):
        book.record(k, True, "", _at(0))
    events = []
    for step in range(1, 5):  # all fail at the same moment; the dependents' checks come first
        for k in ("svc0", "svc1", "svc2", "db"):
            events += book.record(k, False, f"{k} down", _at(step))
    assert [(e.monitor, e.event) for e in events] == [("db", "open")]
    assert sorted(book.open["INC-1"].affected) == ["svc0", "svc1", "svc2"]
    assert {book.state(k) for k in ("svc0", "svc1", "svc2")} == {"inhibited"}
    resolved = []
    for step in range(5, 8):  # repaired: everything good again
        for k in ("db", "svc0", "svc1", "svc2"):
            resolved += book.record(k, True, "", _at(step))
    assert [(e.monitor, e.event) for e in resolved] == [("db", "resolve")]


def test_a_dependent_still_failing_after_its_dependency_recovers_opens_its_own() -> None:
    book = _book(Rule("db", success_threshold=1), Rule("app", depends_on=("db",)))
    events = []
    for step in range(3):
        events += book.record("db", False, "db down", _at(step))
        events += book.record("app", False, "app down", _at(step))
    events += book.record("db", True, "", _at(3))
    events += book.record("app", False, "app down", _at(3))
    assert [(e.monitor, e.event) for e in events] == [
        ("db", "open"),
        ("db", "resolve"),
        ("app", "open"),
    ]


def test_inhibition_is_transitive() -> None:
    book = _book(Rule("net", failure_threshold=1), Rule("db", depends_on=("net",), failure_threshold=1),
                 Rule("app", depends_on=("db",), failure_threshold=1))  # fmt: skip
    events = []
    for k in ("app", "db", "net"):
        events += book.record(k, False, f"{k} down", _at(0))
    assert [(e.monitor, e.event) for e in events] == [("net", "open")]
    assert sorted(book.open["INC-1"].affected) == ["app", "db"]


def test_suppression_keeps_incidents_from_opening() -> None:
    book = _book(Rule("web"))
    events = []
    for i in range(5):
        events += book.record("web", False, "down", _at(i), suppressed=True)
    assert events == []
    events += book.record("web", False, "down", _at(5))
    assert [e.event for e in events] == ["open"]


@given(st.lists(st.booleans(), max_size=60), st.integers(1, 4), st.integers(1, 4))
def test_a_lone_monitor_agrees_with_the_plain_rule(seq: list[bool], fail: int, good: int) -> None:
    book = _book(Rule("m", failure_threshold=fail, success_threshold=good))
    got = [(i, e.event) for i, ok in enumerate(seq) for e in book.record("m", ok, "x", _at(i))]
    expected, is_open, run_f, run_s = [], False, 0, 0
    for i, ok in enumerate(seq):
        run_f, run_s = (0, run_s + 1) if ok else (run_f + 1, 0)
        if not is_open and run_f >= fail:
            expected.append((i, "open"))
            is_open = True
        elif is_open and run_s >= good:
            expected.append((i, "resolve"))
            is_open = False
    assert got == expected


def test_dependents_failing_before_their_dependency_is_checked_again_wait_for_it() -> None:
    """The database was last checked (good) just before the outage; its services fail twice
    before its next check: they wait, and that check decides — failing, they are listed on
    its incident; good, they open their own."""
    for db_down in (True, False):
        book = _book(
            Rule("db", failure_threshold=1), Rule("svc", failure_threshold=2, depends_on=("db",))
        )
        assert book.record("db", True, "", _at(0)) == []
        assert book.record("svc", False, "503", _at(1)) == []
        assert (
            book.record("svc", False, "503", _at(2)) == []
        )  # the threshold: waits on db's next check
        events = book.record("db", not db_down, "refused", _at(3))
        if db_down:
            assert [(e.monitor, e.event) for e in events] == [("db", "open")]
            assert (
                book.open[events[0].incident].affected == ["svc"]
                and book.state("svc") == "inhibited"
            )
        else:
            assert [(e.monitor, e.event) for e in events] == [("svc", "open")]


def test_a_dependency_check_that_began_before_the_failure_is_no_news() -> None:
    """Under load a database check that began before the outage comes back good after its
    services began failing: it says nothing of the outage, so they keep waiting — its next
    check, begun after, decides (the checker's harness test once saw a service open its own
    incident here)."""
    book = _book(
        Rule("db", failure_threshold=1), Rule("svc", failure_threshold=2, depends_on=("db",))
    )
    assert book.record("db", True, "", _at(0)) == []
    assert book.record("svc", False, "503", _at(2), started=_at(2)) == []
    # db's check began at 1 (before the outage), came back at 3: still good, old news
    assert book.record("db", True, "", _at(3), started=_at(1)) == []
    assert book.record("svc", False, "503", _at(4), started=_at(4)) == []  # the threshold: waits
    events = book.record("db", False, "refused", _at(6), started=_at(5))
    assert [(e.monitor, e.event) for e in events] == [("db", "open")] and book.state(
        "svc"
    ) == "inhibited"
