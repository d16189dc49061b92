"""The adopter's logic test, against the installed library's fakes; never shipped in the zip."""

from greeter import greet

from cloudfn.testing import invocation


def test_greet() -> None:
    assert greet([], invocation()) == {"greeted": []}
