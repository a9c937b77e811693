"""Reading ahead on a background thread keeps order, errors and early stops as a plain loop."""

from __future__ import annotations

import threading

import pytest

from opendata.core.readers.ahead import read_ahead


def test_items_arrive_in_order_from_another_thread():
    producers = set()

    def numbers():
        for i in range(1000):
            producers.add(threading.current_thread().name)
            yield i

    assert list(read_ahead(numbers(), depth=3)) == list(range(1000))
    assert producers == {"read-ahead"}


def test_an_error_while_producing_is_raised_in_the_caller_after_the_items_before_it():
    def failing():
        yield 1
        yield 2
        raise ValueError("row 3 is broken")

    seen = []
    with pytest.raises(ValueError, match="row 3 is broken"):
        for item in read_ahead(failing()):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_closes_the_source_and_its_thread():
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    ahead = read_ahead(endless(), depth=2)
    assert [next(ahead) for _ in range(5)] == [0, 1, 2, 3, 4]
    ahead.close()
    assert closed.is_set()
    assert not any(t.name == "read-ahead" for t in threading.enumerate())
