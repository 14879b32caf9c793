"""The errors a user can fix: each carries fields (what, which file, the fix), not prose.

They subclass SystemExit, so a script run from the shell prints exactly one line
("error: ...") and exits with status 1, without a traceback, while tests can catch them and
the runner can store their fields (see `dlwp.flags.run`). `to_dict()` never holds a path of
the machine that ran: files are named as inside their data folder.
"""

from __future__ import annotations


class UserError(SystemExit):
    """A bad flag value, an unwritable folder, a file the user named that is not there..."""

    kind = "error"

    def __init__(self, problem: str, fix: str = "", portable: str | None = None, **fields):
        self.problem = problem
        self.fix = fix
        self.portable = portable  # the problem without this machine's paths, where they differ
        self.fields = fields
        super().__init__(f"error: {self.message}")

    @property
    def message(self) -> str:
        return f"{self.problem}; {self.fix}" if self.fix else self.problem

    def __str__(self) -> str:
        return self.message

    def portable_problem(self) -> str:
        return self.portable or _scrub(self.problem)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "problem": self.portable_problem(),
            "fix": self.fix,
            **self.fields,
        }


def _scrub(text: str) -> str:
    """Absolute paths in a message reduced to their last part: a last guard for to_dict()."""
    import re

    return re.sub(r"(?<![\w.])(/[^\s/;,:()'\"]+)+/([^\s/;,:()'\"]+)", r"\2", text)


class MissingData(UserError):
    """A data file that is in none of the data folders and could not be downloaded.

    `files` are named as inside a data folder (`datasets/mnist.npz`); `searched` names the
    folders by what chose them (`--data-dir`, `$DLWP_DATA_DIR`, `data/`); `folders` are their
    paths on this machine (in the message, never in `to_dict`).
    """

    kind = "missing input"

    def __init__(self, files, searched, folders=(), url=None, reason=None, fix=None):
        files = [files] if isinstance(files, str) else list(files)
        self.files, self.folders, self.reason = files, [str(f) for f in folders], reason
        if fix is None:
            fix = (
                "put it there (Keras-cache layout) or point --data-dir / $DLWP_DATA_DIR at a "
                "folder that has it"
            )
            if url:
                fix = f"it comes from {url}: {fix}"
        where = ", ".join(self.folders or searched)
        problem = f"{' or '.join(files)} not found in {where}" + (f" ({reason})" if reason else "")
        super().__init__(problem, fix, files=files, searched=list(searched), url=url, reason=reason)

    def portable_problem(self) -> str:
        searched = ", ".join(self.fields["searched"])
        return f"{' or '.join(self.files)} not found in {searched}" + (
            f" ({self.reason})" if self.reason else ""
        )


class BadData(UserError):
    """A file that is there but is not what it should be (truncated, wrong keys, ...).

    `file` is the path (in the message); `name` how results name it (`datasets/mnist.npz`).
    """

    kind = "bad input"

    def __init__(self, file, what: str, fix: str = "replace it with the official file", name=None):
        self.file, self.what = file, what
        super().__init__(f"{file}: {what}", fix, file=name or getattr(file, "name", str(file)))

    def portable_problem(self) -> str:
        return f"{self.fields['file']}: {self.what}"
