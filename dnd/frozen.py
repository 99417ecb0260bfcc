"""The engine's plain data: frozen pydantic models that refuse unknown fields, and copy cheaply.

A fight is immutable state replaced at every event (a blow, a log line, a turn), so ``model_copy`` is the
engine's hottest call; pydantic's goes through ``copy.copy`` three times per copy. :class:`Frozen` does the same
shallow copy directly: the fields' ``__dict__`` with the update applied (not validated, as pydantic's), the set
of fields set, no extra fields (they are forbidden) and no private attributes (these models have none; a model
with some, or a deep copy, takes pydantic's way). :meth:`Frozen.trusted` builds one from values the engine made
itself, for the same reason (a line of the fight's log at every event).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

_set = object.__setattr__


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        if deep or self.__pydantic_private__ is not None:
            return super().model_copy(update=update, deep=deep)
        cls = type(self)
        copied = cls.__new__(cls)
        values = self.__dict__.copy()
        fields_set = set(self.__pydantic_fields_set__)
        if update:
            values.update(update)
            fields_set.update(update)
        _set(copied, "__dict__", values)
        _set(copied, "__pydantic_extra__", None)
        _set(copied, "__pydantic_fields_set__", fields_set)
        _set(copied, "__pydantic_private__", None)
        return copied

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """An instance of ``values`` the engine computed itself: every field given, in the order the model declares
        them, each of its field's type. Not validated again (as ``model_construct``, in a fraction of its time)."""
        made = cls.__new__(cls)
        _set(made, "__dict__", values)
        _set(made, "__pydantic_extra__", None)
        _set(made, "__pydantic_fields_set__", set(values))
        _set(made, "__pydantic_private__", None)
        return made
