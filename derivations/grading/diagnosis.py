"""Near misses: what a wrong answer would need to be right, as a teaching assistant says it.

Each diagnosis has a stable ``kind``, a message for the student and a default share of credit
(``DEFAULT_CREDIT``; a problem's ``credit`` table overrides it). A candidate repair of the answer
(its transpose, its negative, a rescaling, one name for another, one elementwise factor put
back, one term of a sum restored) is judged against the reference at the same draws as the
answer itself; the first repair that makes it equal names the mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..printing.latex import latex
from .equivalence import Judge
from .expression_text import readable
from .factors import factor_of
from .problem import Reference

DEFAULT_CREDIT: dict[str, float] = {
    "transpose": 0.5,
    "layout": 0.75,
    "sign": 0.5,
    "scale": 0.5,
    "substitution": 0.5,
    "missing_factor": 0.25,
    "missing_term": 0.5,
    "shape": 0.0,
    "not_equivalent": 0.0,
    "not_evaluable": 0.0,
    "syntax": 0.0,
}
MAX_CANDIDATES = 400  # repairs tried per answer: a bound in work, not in time


@dataclass
class Diagnosis:
    kind: str
    message: str
    credit: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "message": self.message, "credit": self.credit}
        if self.details:
            out["details"] = self.details
        return out


def shape_text(shape: S.Shape) -> str:
    """(n, m), (n,) for a column vector, (1, n) for a row, "a scalar"."""
    if S.is_scalar(shape):
        return "a scalar"
    if S.is_column(shape):
        return f"({shape[0]},)"
    return f"({shape[0]}, {shape[1]})"


def same_shape(a: S.Shape, b: S.Shape) -> bool:
    return all(sp.expand(x - y) == 0 for x, y in zip(a, b, strict=True))


def what_is_asked(ref: Reference) -> str:
    """∂s/∂W has the shape of W, (n, m)  /  the Jacobian ∂z/∂x is (n, m)."""
    p = ref.problem
    expected = shape_text(ref.expected_shape)
    if p.kind == "gradient":
        return f"∂{ref.symbol}/∂{p.wrt} has the shape of {p.wrt}, {expected}"
    return f"the Jacobian ∂{ref.symbol}/∂{p.wrt} in numerator layout is {expected}"


def transposed(node: N.Node) -> N.Node:
    return node.children[0] if isinstance(node, N.Transpose) else N.Transpose(node)


class Diagnoser:
    """Tries the repairs in a fixed order; ``credit`` maps a kind to its share."""

    def __init__(self, judge: Judge, credit: dict[str, float], typed: bool = False) -> None:
        self.judge = judge
        self.typed = typed  # an expression answer: name repairs as the student types them
        self.ref = judge.ref
        self.credit = {**DEFAULT_CREDIT, **credit}
        self.tried = 0

    def make(self, kind: str, message: str, **details: Any) -> Diagnosis:
        return Diagnosis(kind, message, self.credit.get(kind, 0.0), details)

    def matches(self, candidate: N.Node) -> bool:
        self.tried += 1
        return self.judge.close(candidate, self.ref.node)

    # -- entry point ---------------------------------------------------------------------

    def diagnose(self, answer: N.Node) -> list[Diagnosis]:
        expected = self.ref.expected_shape
        if same_shape(answer.shape, expected):
            return self.near_miss(answer)
        if same_shape(answer.shape, S.transpose(expected)):
            return self.transposed_shape(answer)
        return [
            self.make(
                "shape",
                f"Your answer is {shape_text(answer.shape)}; {what_is_asked(self.ref)}.",
                answer_shape=S.user_shape(answer.shape),
            )
        ]

    def transposed_shape(self, answer: N.Node) -> list[Diagnosis]:
        vector = S.is_vector(answer.shape) or S.is_vector(self.ref.expected_shape)
        kind = "layout" if vector else "transpose"
        here = f"Your answer is {shape_text(answer.shape)}; {what_is_asked(self.ref)}"
        if kind == "layout" and self.ref.problem.kind == "gradient":
            text = f"{here}. You gave the Jacobian layout (a row); the shape convention asks for the transpose."
        elif kind == "layout":
            text = f"{here}. You gave the gradient layout; the numerator-layout Jacobian is its transpose."
        else:
            text = f"{here}: your answer is the transpose of the right one."
        fixed = transposed(answer)
        if self.matches(fixed):
            return [self.make(kind, text)]
        further = self.near_miss(fixed, after_transpose=True)
        if further and further[0].kind != "not_equivalent":
            return [self.make(kind, text), *further]
        return [
            self.make(
                "shape",
                f"{here} (the transpose of the expected shape), and even transposed it is not equivalent.",
            )
        ]

    def near_miss(self, answer: N.Node, after_transpose: bool = False) -> list[Diagnosis]:
        for attempt in (
            self.sign,
            self.scale,
            self.square_transpose,
            self.substitution,
            self.missing_factor,
            self.cross_substitution,
            self.missing_term,
        ):
            if after_transpose and attempt is self.square_transpose:
                continue
            found = attempt(answer)
            if found is not None:
                return [found]
        return []

    # -- the repairs ---------------------------------------------------------------------

    def sign(self, answer: N.Node) -> Diagnosis | None:
        if self.matches(N.Neg(answer)):
            return self.make(
                "sign", "Your answer has the wrong sign: it is the negative of the right one."
            )
        return None

    def scale(self, answer: N.Node) -> Diagnosis | None:
        ratios = self._ratios(answer)
        factor = factor_of(ratios) if ratios is not None else None
        if factor is None:
            return None
        if factor.constant is not None:
            value = factor.constant
            if abs(value - 1) < 1e-9 or abs(value + 1) < 1e-9 or value == 0:
                return None
            return self.make(
                "scale",
                f"Your answer is off by a constant factor: it is {factor.text} times the right one.",
                factor=factor.text,
            )
        if factor.monomial is not None:
            return self.make(
                "scale",
                "Your answer is off by a factor that depends on the sizes: it is "
                f"{factor.text} times the right one. Check how many entries each sum or mean "
                "counts.",
                factor=factor.text,
            )
        return self.make(
            "not_equivalent",
            f"Your answer is not equivalent to ∂{self.ref.symbol}/∂{self.ref.problem.wrt}: it is the right one times a "
            f"factor that depends on the sizes ({factor.text}), and no product of powers of "
            "the sizes explains it. Check every term that counts entries or uses a size.",
            factors=[{"sizes": s, "factor": c} for s, c in factor.per_set or []],
        )

    def _ratios(self, answer: N.Node) -> list[tuple[dict[str, int], float]] | None:
        """The c with answer = c · reference at each draw, if there is one at every draw."""
        ratios = []
        for draw in self.judge.draws:
            a = draw.value(answer).ravel()
            r = draw.value(self.ref.node).ravel()
            rr = float(r @ r)
            if not np.all(np.isfinite(a)):
                return None
            if rr == 0:  # a zero reference here says nothing about c, unless a is not zero
                if np.any(a != 0):
                    return None
                continue
            c = float(a @ r) / rr
            if np.max(np.abs(a - c * r)) > 1e-7 * max(1.0, float(np.max(np.abs(a)))):
                return None
            ratios.append((draw.sizes, c))
        return ratios

    def square_transpose(self, answer: N.Node) -> Diagnosis | None:
        shape = self.ref.expected_shape
        if S.is_scalar(shape) or not same_shape(shape, S.transpose(shape)):
            return None
        if self.matches(transposed(answer)):
            return self.make(
                "transpose",
                f"Your answer is the transpose of the right one ({what_is_asked(self.ref)}; "
                "the shape alone cannot tell here, the entries do).",
            )
        return None

    def substitution(self, answer: N.Node, cross: bool = False) -> Diagnosis | None:
        """One name for another: z for h, delta1 for delta2 (same family: forward quantities
        or derived ones). Across families (u where δ is meant) only after missing factors,
        since leaving out f′(z) is the likelier mistake."""
        names = self.ref.names
        if cross and isinstance(answer, N.Var):
            # A bare name of the other family (δ for ∂s/∂u = h, h for ∂s/∂b = δ) keeps nothing
            # of the right answer: any vector of the right shape would earn the credit.
            return None
        used = [n for n in N.walk(answer) if isinstance(n, N.Var) and n.name in names]
        for var in used:
            for other in names.values():
                if other.name == var.name or not same_shape(other.shape, var.shape):
                    continue
                if (_family(other) != _family(var)) != cross:
                    continue
                if self.tried > MAX_CANDIDATES:
                    return None
                if self.matches(N.substitute(answer, {var: other})):
                    return self.make(
                        "substitution",
                        f"Your answer would be right with {other.name} in place of {var.name}.",
                        used=var.name,
                        needed=other.name,
                    )
        return None

    def cross_substitution(self, answer: N.Node) -> Diagnosis | None:
        return self.substitution(answer, cross=True)

    def factors(self) -> list[N.Node]:
        """Elementwise factors of the reference and of every quantity it is defined through:
        each factor of a product, and the product of all but one (u ∘ σ ∘ (1 − σ) without u)."""
        roots = [self.ref.node, *(d.node for d in self.ref.definitions)]
        found: list[N.Node] = []

        def add(f: N.Node) -> None:
            if not isinstance(f, N.Const) and f not in found:
                found.append(f)

        for root in roots:
            for node in N.walk(root):
                if isinstance(node, N.Mul):
                    for f in node.children:
                        add(f)
                    if len(node.children) > 2:
                        for i in range(len(node.children)):
                            add(N.Mul(*node.children[:i], *node.children[i + 1 :]))
        return found

    def _with_factor(self, sub: N.Node, f: N.Node) -> list[N.Node]:
        """``sub`` times ``f`` elementwise, or scaled row- or column-wise by the vector ``f``
        (δ xᵀ with δ = u ∘ f′(z) is diag(f′(z)) u xᵀ: the factor of a vector inside an outer
        product)."""
        if f.is_scalar or same_shape(f.shape, sub.shape):
            return [N.Mul(sub, f)]
        out: list[N.Node] = []
        if S.is_column(f.shape) and S.is_matrix(sub.shape):
            if same_shape((f.shape[0],), (sub.shape[0],)):
                out.append(N.MatMul(N.Diag(f), sub))
            if same_shape((f.shape[0],), (sub.shape[1],)):
                out.append(N.MatMul(sub, N.Diag(f)))
        return out

    def missing_factor(self, answer: N.Node) -> Diagnosis | None:
        factors = self.factors()
        for sub in N.walk(answer):
            if isinstance(sub, N.Const):
                continue
            for f in factors:
                for candidate in self._with_factor(sub, f):
                    if self.tried > MAX_CANDIDATES:
                        return None
                    if self.matches(N.substitute(answer, {sub: candidate})):
                        return self._factor_message(f, sub)
        return None

    def _factor_message(self, f: N.Node, sub: N.Node) -> Diagnosis:
        try:
            where = f" (it multiplies ${latex(sub)}$)"
        except NotImplementedError:  # the NumPy grader's leaf: the function's whole value
            where = ""
        return self.make(
            "missing_factor",
            f"An elementwise factor is missing: ${latex(f)}${self.typed_as(f)}{where}. "
            "Check the derivative of each function on the path.",
            factor_latex=latex(f),
        )

    def typed_as(self, node: N.Node) -> str:
        """`` (typed: sign(x - 1))`` for an expression answer, when the language writes it."""
        if not self.typed:
            return ""
        try:
            return f" (typed: `{readable(node)}`)"
        except NotImplementedError:
            return ""

    def missing_term(self, answer: N.Node) -> Diagnosis | None:
        full = self.inlined_reference()
        for add in [n for n in N.walk(full) if isinstance(n, N.Add)]:
            terms = add.children
            for i, term in enumerate(terms):
                rest = terms[:i] + terms[i + 1 :]
                dropped = rest[0] if len(rest) == 1 else N.Add(*rest)
                if dropped.shape != add.shape and not dropped.is_scalar:
                    continue
                if dropped.shape != add.shape:  # 1 − tanh² without tanh²: 1 is every entry
                    dropped = N.Mul(dropped, N.Ones(add.shape))
                variants = [(N.substitute(full, {add: dropped}), None)]
                variants += [
                    (N.substitute(full, {add: N.Add(*rest, other)}), other)
                    for other in rest
                    if other.shape == term.shape
                ]
                for variant, repeated in variants:
                    if self.tried > MAX_CANDIDATES:
                        return None
                    self.tried += 1
                    if variant.shape == answer.shape and self.judge.close(answer, variant):
                        return self._term_message(term, repeated)
        return None

    def _term_message(self, term: N.Node, repeated: N.Node | None) -> Diagnosis:
        if repeated is None:
            text = (
                "A term of a sum is missing: your answer leaves out "
                f"${latex(term)}${self.typed_as(term)}."
            )
        else:
            text = (
                f"A term of the sum is wrong: where ${latex(term)}$ belongs your answer has "
                f"${latex(repeated)}$ again (is a matrix assumed symmetric?)."
            )
        return self.make("missing_term", text, term_latex=latex(term))

    def inlined_reference(self) -> N.Node:
        """The reference with the derivation's and the instructor's quantities expanded."""
        program_names = {d.name for d in self.ref.program.definitions}
        expanded: dict[N.Node, N.Node] = {}
        for d in self.ref.definitions:
            if d.name in program_names:
                continue
            ref_var = N.Var(d.name, d.node.shape, "adjoint")
            expanded[ref_var] = N.substitute(d.node, expanded)
            expanded[N.Var(d.name, d.node.shape, "defined")] = expanded[ref_var]
        return N.substitute(self.ref.node, expanded)


def _family(var: N.Var) -> str:
    return "derived" if var.role in ("adjoint", "defined") else "forward"
