"""Bounds on user input, enforced by the library so that every caller is protected.

The service fills these from its settings; the CLI and Python API use the defaults. Each bound
is checked before the work it protects (parsing, elaboration, allocation), never after.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_expression_length: int = 20_000
    max_depth: int = 200
    max_statements: int = 500
    max_variables: int = 256
    max_numeric_dim: int = 10_000
    # Verification instantiates dimensions; numeric ones above this are checked at reduced
    # sizes rather than allocated (see verify/sizes.py).
    max_verify_dim: int = 16
    max_exponent: int = 64
    # Units of work (subexpressions built, nodes differentiated and evaluated) the exact SymPy
    # check may spend before it stops, reported as skipped with the number of entries it
    # compared. Counted, not timed, so a verdict never depends on the machine's load.
    exact_check_work: int = 100_000
    # A wall-clock safety net only (the service sets it inside its time limit); the work
    # budget above ends the check long before this on any machine that is not starved.
    exact_check_seconds: float = 60.0


DEFAULT_LIMITS = Limits()
