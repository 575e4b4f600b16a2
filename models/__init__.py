"""Domain records and their storage. Depends on nothing else in qualflow."""

from qualflow.models.records import (
    Base,
    Embedding,
    Pseudonym,
    Replacement,
    Statement,
    Suggestion,
    Theme,
    ThemeSet,
    Transcript,
    Turn,
)
from qualflow.models.store import Store, default_database_url

__all__ = [
    "Base",
    "Embedding",
    "Pseudonym",
    "Replacement",
    "Statement",
    "Store",
    "Suggestion",
    "Theme",
    "ThemeSet",
    "Transcript",
    "Turn",
    "default_database_url",
]
