"""The one error tree of Sijill: library code raises these, only cli and web translate them."""

from __future__ import annotations


class SijillError(Exception):
    """Base of every error Sijill raises on purpose."""


class ConfigError(SijillError):
    """Bad configuration or usage (maps to exit code 2)."""


class ArchiveNotFound(ConfigError):
    """No archive at the given place."""


class ArchiveExists(ConfigError):
    """An archive is already there."""


class PassphraseError(ConfigError):
    """Missing or wrong passphrase for the archive identity."""


class NotFound(SijillError):
    """An item, derivative or other record does not exist."""


class IntegrityError(SijillError):
    """A sealed blob or the custody chain does not match its recorded hash."""


class RunnerBusy(SijillError):
    """Another `sijill run` holds the archive's runner lock."""


class StageError(SijillError):
    """A stage could not process its input; recorded on the item, the run goes on."""


class InputRejected(StageError):
    """Hostile or malformed input refused by a limit (bomb, traversal, encrypted...)."""

    def __init__(self, message: str, status: str = "rejected") -> None:
        super().__init__(message)
        self.status = status


class ToolMissing(StageError):
    """An external tool or model a stage needs is not installed."""


class QueryError(SijillError):
    """A search query could not be parsed."""


class LeakFound(SijillError):
    """A publication copy failed the leak check: it may not leave (exit code 1)."""


class Forbidden(SijillError):
    """The acting person's role in a case does not allow this (they can see the case)."""


class AuthError(SijillError):
    """A login, password or token that does not open an account."""
