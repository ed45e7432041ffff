"""Errors that graphcl reports to users as one clear line.

Every error raised for bad input derives from :class:`GraphclError`; the CLI prints
``error: <message>`` and exits non-zero instead of showing a traceback.
"""
from __future__ import annotations

from os import PathLike
from typing import Optional, Union


class GraphclError(Exception):
    """Base class for errors caused by user input or the environment."""


class ConfigError(GraphclError):
    """An unknown key, a wrong type or an invalid value in a configuration."""


class DataError(GraphclError):
    """A missing, malformed or inconsistent data file.

    The message names the file and, where it applies, the 1-based line number.
    """

    def __init__(self, path: Union[str, PathLike, None], problem: str, line: Optional[int] = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.problem = problem
        where = "" if self.path is None else self.path
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {problem}" if where else problem)


class TrainingDiverged(GraphclError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""
