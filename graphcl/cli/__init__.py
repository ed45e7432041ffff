"""The ``graphcl`` command line.

Each subcommand lives in its own module under ``graphcl.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
Errors derived from :class:`graphcl.errors.GraphclError` are printed as one line
(``error: ...``) with exit code 2, never as a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from graphcl.errors import GraphclError

# Module names under graphcl.cli, in the order their subcommands are listed in --help.
SUBCOMMANDS = ["train", "evaluate", "data", "cluster", "hetero", "reproduce"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphcl", description="Graph contrastive learning toolkit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        importlib.import_module(f"graphcl.cli.{name}").register(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except GraphclError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
