"""The one rule of who may see and change an alarm or a call task, without I/O."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hub.api.access import ApiError, check_holder, visible, visible_row
from hub.auth.users import Role, User

ANNA = User("anna", Role.OPERATOR, ("ats-11",))
BRUNO = User("bruno", Role.OPERATOR, ("ats-11",))
SARA = User("sara", Role.SUPERVISOR, ("ats-11",))
ADA = User("ada", Role.ADMIN, ())


@pytest.mark.parametrize("what", ["alarm", "call"])
def test_a_held_task_is_changed_by_its_holder_or_a_supervisor_only(what: str) -> None:
    """Alarms and calls alike: the holder and supervisors pass, another operator gets a 409."""
    for user in (ANNA, SARA, ADA):
        check_holder(user, "anna", what)
    with pytest.raises(ApiError) as refused:
        check_holder(BRUNO, "anna", what)
    body = refused.value.body
    assert (refused.value.status, body.error) == (409, f"the {what} is handled by anna")
    assert (body.code, body.params) == (f"{what}.held_by", {"user": "anna"})


@pytest.mark.parametrize("what", ["alarm", "call"])
def test_a_task_nobody_holds_is_open_to_everyone_who_acts(what: str) -> None:
    """Unclaimed (or closed: the caller passes None), anyone who may act goes on."""
    check_holder(BRUNO, None, what)


@pytest.mark.parametrize("what", ["alarm", "call", "home"])
def test_another_districts_thing_is_not_found_rather_than_forbidden(what: str) -> None:
    """Its existence is not confirmed: the same 404 as for one that does not exist."""
    assert visible(ANNA, "ats-11", what) == "ats-11"
    assert visible(ADA, "ats-12", what) == "ats-12"
    for district in ("ats-12", None):
        with pytest.raises(ApiError) as refused:
            visible(ANNA, district, what)
        assert (refused.value.status, refused.value.body.error) == (404, f"no such {what}")


@dataclass(frozen=True)
class _Row:
    district: str


@pytest.mark.parametrize("what", ["alarm", "call"])
def test_a_row_is_shown_only_in_the_callers_districts(what: str) -> None:
    """A stored alarm or call: the same 404 whether missing or another district's."""
    row = _Row("ats-11")
    assert visible_row(ANNA, row, what) is row
    for hidden in (_Row("ats-12"), None):
        with pytest.raises(ApiError) as refused:
            visible_row(ANNA, hidden, what)
        assert (refused.value.status, refused.value.body.error) == (404, f"no such {what}")
