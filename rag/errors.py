"""User-facing errors.

Each error carries a message a citizen or operator can act on. `cli.py` turns them into a
clean message and a non-zero exit code; `app.py` turns them into `gr.Error`.
"""


class RagError(Exception):
    """Base class for every error the user should see as a message, not a traceback."""

    exit_code = 1


class BadQuestion(RagError, ValueError):
    """The question is empty, too long, or otherwise unusable."""

    exit_code = 2


class CorpusMissing(RagError):
    """The corpus directory does not exist."""

    exit_code = 3


class NoDocuments(RagError):
    """The corpus directory has no readable supported files."""

    exit_code = 3


class IndexUnavailable(RagError):
    """The index is missing, corrupt or from another format/model and could not be rebuilt."""

    exit_code = 4


class BadQuestionsFile(RagError):
    """An eval questions file that cannot be read or parsed."""

    exit_code = 5


class GeneratorUnavailable(RagError):
    """The configured language model cannot be loaded or reached (answers fall back to extractive)."""

    exit_code = 6
