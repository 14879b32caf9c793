"""The one exception the scripts raise for problems a user can fix."""


class UserError(SystemExit):
    """A missing or malformed file, an unwritable folder, a bad option value.

    It subclasses SystemExit so that a script run from the shell prints exactly one line
    ("error: ...") and exits with status 1, without a traceback, while tests can still catch it.
    """

    def __init__(self, message: str):
        self.message = message
        super().__init__(f"error: {message}")

    def __str__(self) -> str:
        return self.message
