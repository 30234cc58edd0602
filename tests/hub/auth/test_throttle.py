"""Login throttling's three limits, on a clock the tests move."""

from __future__ import annotations

from hub.auth.throttle import (
    MAX_PER_ADDRESS,
    MAX_PER_USER,
    MAX_PER_USER_AT_ADDRESS,
    WINDOW_S,
    LoginThrottle,
)


def test_a_user_name_failing_from_one_address_is_not_refused_from_another() -> None:
    """Five failures for anna from A refuse anna from A only, for the window."""
    throttle = LoginThrottle()
    for second in range(MAX_PER_USER_AT_ADDRESS):
        assert throttle.retry_after("anna", "203.0.113.1", second) == 0
        throttle.failed("anna", "203.0.113.1", second)
    assert throttle.retry_after("anna", "203.0.113.1", 10) == WINDOW_S - 10
    assert throttle.retry_after("anna", "198.51.100.2", 10) == 0
    assert throttle.retry_after("bruno", "203.0.113.1", 10) == 0
    assert throttle.retry_after("anna", "203.0.113.1", WINDOW_S + 1) == 0


def test_an_address_trying_many_user_names_is_refused_for_all() -> None:
    """Failures spread over user names still count against their address."""
    throttle = LoginThrottle()
    for n in range(MAX_PER_ADDRESS):
        throttle.failed(f"user-{n}", "203.0.113.1", n)
    assert throttle.retry_after("someone-else", "203.0.113.1", 30) > 0
    assert throttle.retry_after("someone-else", "198.51.100.2", 30) == 0


def test_a_user_name_failing_from_many_addresses_is_refused_everywhere() -> None:
    """The ceiling per user name takes failures from ten addresses at five each."""
    throttle = LoginThrottle()
    addresses = [f"203.0.113.{n}" for n in range(MAX_PER_USER // MAX_PER_USER_AT_ADDRESS)]
    for address in addresses:
        for _ in range(MAX_PER_USER_AT_ADDRESS):
            throttle.failed("anna", address, 1)
    assert throttle.retry_after("anna", "198.51.100.2", 2) > 0
    assert throttle.retry_after("bruno", "198.51.100.2", 2) == 0


def test_a_success_forgives_its_own_slips_but_not_the_address_or_user_name_counts() -> None:
    """After a success the pair starts afresh; the address keeps its failures, not that success."""
    throttle = LoginThrottle()
    for second in range(MAX_PER_USER_AT_ADDRESS - 1):
        throttle.failed("anna", "203.0.113.1", second)
    throttle.failed("anna", "203.0.113.1", 10)
    throttle.succeeded("anna", "203.0.113.1", 10)
    for second in range(MAX_PER_USER_AT_ADDRESS - 1):
        throttle.failed("anna", "203.0.113.1", 20 + second)
    assert throttle.retry_after("anna", "203.0.113.1", 30) == 0
    slips = 2 * (MAX_PER_USER_AT_ADDRESS - 1)
    for n in range(MAX_PER_ADDRESS - slips - 1):
        throttle.failed(f"user-{n}", "203.0.113.1", 40)
    assert throttle.retry_after("zoe", "203.0.113.1", 50) == 0
    throttle.failed("yann", "203.0.113.1", 40)
    assert throttle.retry_after("zoe", "203.0.113.1", 50) > 0


def test_ipv6_addresses_of_one_network_count_together() -> None:
    """A host picking new addresses in its /64 is still one address."""
    throttle = LoginThrottle()
    for n in range(MAX_PER_USER_AT_ADDRESS):
        throttle.failed("anna", f"2001:db8:1:2::{n + 1:x}", n)
    assert throttle.retry_after("anna", "2001:db8:1:2:ffff::1", 10) > 0
    assert throttle.retry_after("anna", "2001:db8:1:3::1", 10) == 0
