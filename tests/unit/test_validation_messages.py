"""What a form field or a CLI option says when a value is out of bounds: in words a person
reads, the same for text, a secret and a list."""

from __future__ import annotations

from pydantic import Field, SecretStr

from stm_tui.api.writes.validation import RequestModel, check


class Sample(RequestModel):
    name: str = Field(min_length=3, max_length=8)
    secret: SecretStr = Field(min_length=8, max_length=12)
    users: tuple[str, ...] = Field(min_length=1, max_length=2)


GOOD = {"name": "abcd", "secret": "s" * 10, "users": ("u1",)}


def problems(**bad: object) -> dict[str, str]:
    value, found = check(Sample, {**GOOD, **bad})
    assert value is None
    return found


def test_bounds_read_the_same_for_text_secrets_and_lists() -> None:
    assert check(Sample, GOOD)[1] == {}
    assert problems(name="ab") == {"name": "at least 3 characters"}
    assert problems(name="a" * 9) == {"name": "at most 8 characters"}
    assert problems(secret="short") == {"secret": "at least 8 characters"}
    assert problems(secret="s" * 13) == {"secret": "at most 12 characters"}
    assert problems(users=()) == {"users": "pick at least one"}
    assert problems(users=("a", "b", "c")) == {"users": "at most 2 items"}
