"""Reviewer accounts: argon2id password hashes (argon2-cffi's defaults), never the password."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from qualflow.models import Reviewer
from qualflow.review.actions import ReviewError
from sqlalchemy import select
from sqlalchemy.orm import Session

MIN_PASSWORD_LENGTH = 8
# What a removed reviewer's password hash becomes: no password matches it. The row stays so that the
# name, which the decision log still shows on their decisions, is not given to someone else.
REMOVED = "removed"
_hasher = PasswordHasher()
# Verifying against this when the name is unknown keeps the response time the same: names do not leak.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def add_reviewer(session: Session, name: str, password: str) -> Reviewer:
    name = name.strip()
    if not name or len(name) > 100 or any(ch.isspace() for ch in name):
        raise ReviewError("a reviewer name is 1 to 100 characters without spaces")
    _check_password_rules(password)
    existing = session.scalar(select(Reviewer).where(Reviewer.name == name))
    if existing is not None and existing.password_hash == REMOVED:
        raise ReviewError(f"{name} is a removed reviewer (the decision log keeps the name on their decisions); "
                          f"to let the same person sign in again: qualflow review set-password {name} --restore")
    if existing is not None:
        raise ReviewError(f"there is already a reviewer called {name} "
                          f"(a new password: qualflow review set-password {name})")
    reviewer = Reviewer(name=name, password_hash=_hasher.hash(password))
    session.add(reviewer)
    session.flush()
    return reviewer


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ReviewError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _named(session: Session, name: str) -> Reviewer:
    reviewer = session.scalar(select(Reviewer).where(Reviewer.name == name.strip()))
    if reviewer is None:
        raise ReviewError(f"there is no reviewer called {name.strip()} (see `qualflow review list-reviewers`)")
    return reviewer


def settable(session: Session, name: str, restore: bool = False) -> Reviewer:
    """The reviewer whose password may be set (asked before the password is typed twice for nothing)."""
    reviewer = _named(session, name)
    if reviewer.password_hash == REMOVED and not restore:
        raise ReviewError(f"{reviewer.name} was removed; to let them sign in again, add --restore")
    return reviewer


def set_password(session: Session, name: str, password: str, restore: bool = False) -> Reviewer:
    """A new password. Every session the reviewer has open ends: the server compares each request's
    session generation with the database's (review/server.py `who`), so this works from another process."""
    reviewer = settable(session, name, restore)
    _check_password_rules(password)
    reviewer.password_hash = _hasher.hash(password)
    reviewer.session_generation += 1
    return reviewer


def remove_reviewer(session: Session, name: str) -> Reviewer:
    """They can no longer sign in and their open sessions end; their decisions stay in the log under
    their name, which is kept (no one else can be added under it)."""
    reviewer = _named(session, name)
    if reviewer.password_hash == REMOVED:
        raise ReviewError(f"{reviewer.name} is already removed")
    reviewer.password_hash = REMOVED
    reviewer.session_generation += 1
    return reviewer


def reviewers(session: Session) -> list[tuple[str, bool]]:
    """Every reviewer account by name, with whether it may sign in (False: removed)."""
    return [(r.name, r.password_hash != REMOVED) for r in session.scalars(select(Reviewer).order_by(Reviewer.name))]


def check_password(session: Session, name: str, password: str) -> str | None:
    """The reviewer's name when the password is right, else None."""
    reviewer = session.scalar(select(Reviewer).where(Reviewer.name == name.strip()))
    if reviewer is not None and reviewer.password_hash == REMOVED:
        reviewer = None  # checked against the dummy, so a removed name takes as long as any other
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
    return session.scalar(select(Reviewer.id).where(Reviewer.password_hash != REMOVED).limit(1)) is not None
