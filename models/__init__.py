"""Domain records and their storage. Depends on nothing else in qualflow."""

from qualflow.models.coding import ManualCode, ManualCoding, ManualCodingImport  # noqa: F401
from qualflow.models.records import (
    ASSIGNMENT_STATUSES,
    THEME_STATUSES,
    AppendOnlyError,
    Base,
    Decision,
    Embedding,
    Memo,
    Pseudonym,
    Replacement,
    Reviewer,
    Statement,
    Suggestion,
    Theme,
    ThemeSet,
    Transcript,
    Turn,
    Withdrawal,
)
from qualflow.models.store import Store, default_database_url
from qualflow.models.theme_codes import ThemeCode

__all__ = [
    "ASSIGNMENT_STATUSES",
    "THEME_STATUSES",
    "AppendOnlyError",
    "Base",
    "Decision",
    "Embedding",
    "Memo",
    "Pseudonym",
    "Replacement",
    "Reviewer",
    "Statement",
    "Store",
    "Suggestion",
    "Theme",
    "ThemeCode",
    "ThemeSet",
    "Transcript",
    "Turn",
    "Withdrawal",
    "default_database_url",
]
