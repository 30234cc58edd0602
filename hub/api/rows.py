"""Answers built from storage rows by field name, so no field is copied by hand."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def out(model: type[M], row: object, **extra: object) -> M:
    """``model`` from ``row`` (a dataclass or named tuple), plus ``extra`` worked-out fields.

    Each of the model's fields is read from the row's attribute of the same name; a field the
    row does not have must come in ``extra`` (like a call's ``due``, which depends on now).
    """
    fields = {name: getattr(row, name) for name in model.model_fields if hasattr(row, name)}
    return model.model_validate({**fields, **extra})
