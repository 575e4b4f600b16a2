"""Reviewer accounts: argon2id password hashes (argon2-cffi's defaults), never the password."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from qualflow.models import Reviewer
from qualflow.review.actions import ReviewError
from sqlalchemy import select
from sqlalchemy.orm import Session

MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
# Verifying against this when the name is unknown keeps the response time the same: names do not leak.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def add_reviewer(session: Session, name: str, password: str) -> Reviewer:
    name = name.strip()
    if not name or len(name) > 100 or any(ch.isspace() for ch in name):
        raise ReviewError("a reviewer name is 1 to 100 characters without spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ReviewError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(Reviewer).where(Reviewer.name == name)):
        raise ReviewError(f"there is already a reviewer called {name}")
    reviewer = Reviewer(name=name, password_hash=_hasher.hash(password))
    session.add(reviewer)
    session.flush()
    return reviewer


def check_password(session: Session, name: str, password: str) -> str | None:
    """The reviewer's name when the password is right, else None."""
    reviewer = session.scalar(select(Reviewer).where(Reviewer.name == name.strip()))
    try:
        _hasher.verify(reviewer.password_hash if reviewer else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if reviewer is None:
        return None
    if _hasher.check_needs_rehash(reviewer.password_hash):
        reviewer.password_hash = _hasher.hash(password)
    return reviewer.name


def has_reviewers(session: Session) -> bool:
    return session.scalar(select(Reviewer.id).limit(1)) is not None
