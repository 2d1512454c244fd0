"""Homework checking: judge a student's gradient against the derived reference.

``check(problem, answer)`` parses the answer (expression language or LaTeX), compares shapes,
decides equivalence at random and exact points, diagnoses near misses with partial credit and
writes the feedback. Assignments grade whole submissions for Gradescope and PrairieLearn.
"""

from .check import check, context
from .diagnosis import DEFAULT_CREDIT, Diagnosis
from .problem import KnownWrong, Problem
from .result import CheckResult

__all__ = [
    "check",
    "context",
    "CheckResult",
    "Diagnosis",
    "DEFAULT_CREDIT",
    "KnownWrong",
    "Problem",
]
