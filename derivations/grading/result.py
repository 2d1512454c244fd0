"""The verdict on one answer: a dict for the service, a Markdown note for the student."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .diagnosis import Diagnosis

VERDICTS = ("correct", "incorrect", "invalid")


@dataclass
class CheckResult:
    correct: bool
    score: float
    verdict: str  # correct | incorrect | invalid
    diagnosis: list[Diagnosis]
    expected_shape: list[str]
    answer_shape: list[str] | None
    answer_latex: str | None
    evidence: dict[str, Any]
    feedback: str
    reference_latex: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "correct": self.correct,
            "score": round(float(self.score), 6),
            "verdict": self.verdict,
            "diagnosis": [d.to_dict() for d in self.diagnosis],
            "expected_shape": self.expected_shape,
            "answer_shape": self.answer_shape,
            "answer_latex": self.answer_latex,
            "evidence": self.evidence,
            "feedback": self.feedback,
        }
        if self.reference_latex is not None:
            out["reference_latex"] = self.reference_latex
        out.update(self.extra)
        return out

    # -- notebooks: the verdict as the site shows it (MathML), or the Markdown feedback ------------

    def _repr_html_(self) -> str:
        from ..site.fragments import check_fragment

        return check_fragment(self.to_dict())

    def _repr_markdown_(self) -> str:
        return self.feedback

    def _repr_latex_(self) -> str | None:
        return f"$${self.answer_latex}$$" if self.answer_latex else None

    @property
    def kinds(self) -> list[str]:
        return [d.kind for d in self.diagnosis]


def score_of(diagnosis: list[Diagnosis]) -> float:
    """Several mistakes at once (transposed and mis-signed) multiply their shares."""
    score = 1.0
    for d in diagnosis:
        score *= d.credit
    return score if diagnosis else 0.0


def feedback_markdown(result: CheckResult, what: str) -> str:
    """What the student reads: the verdict, how the answer was read, and what to fix."""
    lines: list[str] = []
    shown = f" ${result.answer_latex}$" if result.answer_latex else ""
    if result.verdict == "correct":
        ev = result.evidence
        lines.append(f"**Correct.** Your answer{shown} equals {what}.")
        lines.append(
            f"Checked at {ev.get('draws', 0)} random inputs over {len(ev.get('sizes', []))} sets "
            "of sizes" + (", and exactly." if not ev.get("exact", {}).get("skipped") else ".")
        )
    elif result.verdict == "invalid":
        unread = any(d.kind != "not_evaluable" for d in result.diagnosis)
        lines.append(f"**Your answer could not be {'read' if unread else 'evaluated'}.**")
        for d in result.diagnosis:
            lines.append(d.message)
            if d.details.get("excerpt"):
                lines.append("```\n" + d.details["excerpt"] + "\n```")
            if d.details.get("hint"):
                lines.append(f"Hint: {d.details['hint']}")
    else:
        head = "**Not quite.**" if result.score > 0 else "**Incorrect.**"
        lines.append(f"{head} Your answer read as{shown}.")
        for d in result.diagnosis:
            lines.append(d.message)
        if result.score > 0:
            lines.append(f"Partial credit: {round(100 * result.score)}%.")
    if result.reference_latex is not None and result.verdict != "correct":
        lines.append(f"The expected answer: ${result.reference_latex}$.")
    return "\n\n".join(lines)
