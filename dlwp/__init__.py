"""Shared code for the Deep Learning with Python exercises: data, flags, results. Nothing else."""

from dlwp.errors import UserError

__all__ = ["UserError"]
