"""The base of validated commands, and the text rule every stored string obeys."""

from __future__ import annotations

from pydantic import AfterValidator, BaseModel, ConfigDict


class Command(BaseModel):
    """An immutable, validated request to change something; unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def storable(text: str) -> bool:
    """Whether both databases can hold `text`: no NUL (Postgres), no lone surrogate (UTF-8)."""
    return "\x00" not in text and not any("\ud800" <= char <= "\udfff" for char in text)


def storable_text(text: str) -> str:
    """Refuse text that one of the databases cannot store."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    if not storable(text):
        raise ValueError("must not contain unpaired surrogate characters")
    return text


# Use as `Annotated[str, StringConstraints(...), StorableText]`.
StorableText = AfterValidator(storable_text)
