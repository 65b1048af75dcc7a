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


class BadSettings(RagError, ValueError):
    """A `RAG_*` (or `GRADIO_SERVER_*`) setting, or an option standing for one, has a value that cannot work."""

    exit_code = 6


class ServerUnavailable(RagError):
    """The running app asked for by `--server` cannot be reached."""

    exit_code = 7


class OutputUnwritable(RagError):
    """A results file cannot be written where it was asked for."""

    exit_code = 8


class RateLimited(RagError):
    """A client asked more questions than `settings.rate_limit` allows."""

    exit_code = 9


class PortBusy(RagError):
    """The web app's host/port is already taken (or cannot be bound)."""

    exit_code = 10


class GeneratorUnavailable(RagError):
    """The configured language model cannot be loaded or reached (answers fall back to extractive)."""

    exit_code = 6  # a setting that cannot work, as BadSettings
