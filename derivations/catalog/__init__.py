"""The lecture catalog: every derivation and technique of CS224N lecture 4 as validated data."""

from .loader import get_entry, list_entries

__all__ = ["get_entry", "list_entries"]
