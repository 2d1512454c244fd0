"""CLI subcommands for the catalog (``catalog``, ``train-code``); filled in with the catalog."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the catalog's subcommands to the ``chainrule`` parser."""
