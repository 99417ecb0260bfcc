"""Errors raised by the rules engine.

Every refusal the engine makes (an illegal choice at character creation, a level 21, a spell with
no slot left, ...) raises :class:`RulesError`. Its message is written to be shown to the player as is.
"""

from __future__ import annotations


class RulesError(ValueError):
    """A choice or action the 5e rules do not allow; ``str(err)`` is the reason for the player."""
