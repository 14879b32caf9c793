"""The ground floor of the exercises: data (`dlwp.data`), flags, results, errors and small
plumbing modules named for what they do. Nothing here names a chapter or defines a model."""

from dlwp.errors import UserError

__all__ = ["UserError"]
