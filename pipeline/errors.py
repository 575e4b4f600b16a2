"""Errors a user can act on. The CLI prints them as one line, never as a traceback."""


class QualflowError(Exception):
    """Base class for errors caused by input or configuration, not by a bug."""


class ConfigError(QualflowError):
    """A config file is missing, malformed, or has an unknown key or bad value."""


class UnreadableFile(QualflowError):
    """An input file cannot be read as a transcript (unsupported, corrupt, undecodable, too large)."""
