"""The base of every broken business rule a domain raises."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A broken business rule; `code` names it for clients, `field` points at the input."""

    code: ClassVar[str] = "INVALID_INPUT"

    def __init__(self, message: str, field: tuple[str, ...] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """An input that breaks a rule the command's validation could not see on its own."""

    code = "INVALID_INPUT"
