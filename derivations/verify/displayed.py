"""The fourth check, ``displayed_form``: what the student reads is what was verified.

Every displayed formula (gradients, Jacobians, Hessians, the definitions δ, z, h they use, the
chain-rule steps) is read back with the LaTeX reader and evaluated by plain NumPy semantics of
the syntax tree (``syntax_values.py``), at a sampled point, against the generated code. Names a
formula uses take the generated code's values there, so each formula is checked on its own.
Index forms (Σ_k, 𝟙[i = j], the Kronecker delta's only spelling) are read on the grid of their
free indices: the results' against the generated code, the steps' (∂h_i/∂W_jk) against the
backprop engine's Jacobian of the intermediate. Entries picked by a position (x_{n}, z_{y + 1},
δ_{x,3 d + i}) take the draw's sizes and labels. What is still not read is counted as not read,
never as passed.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np

from ..engine.compile import compile_program
from ..errors import ChainruleError
from ..expr import nodes as N
from ..expr import shapes as S
from ..language.ast import Name
from ..language.latex_reader import parse_latex
from ..ops.registry import node_spec
from ..printing.latex import LatexPrinter
from ..printing.numpy_code import NumpyPrinter, numpy_source
from ..printing.unicode import to_unicode
from ..result import DerivationResult
from .index_values import evaluate_index_form
from .numeric import load_module, rel_error
from .report import skipped
from .sampling import choose_sizes, draw_inputs
from .syntax_values import Ambiguous, Mismatch, ReadError, evaluate_syntax

METHOD = "displayed_form"
TOLERANCE = 1e-8
# Printed forms the reader does not read, with why (kept small: each is a gap, not a pass).
UNREADABLE = {
    r"\\sum_\{": "an index sum (index notation has no matrix reading)",
    r"_\{ij\}": "an index form",
}


def unreadable_ops(derivation: Any) -> list[tuple[str, str]]:
    """The printed forms of the derivation's ops that the reader cannot read (the registry's
    ``unreadable``: Xᵏ would read as an elementwise power), each with why."""
    roots = [derivation.program.output, *(d.node for d in derivation.extended_definitions())]
    roots += [item.matrix for item in derivation.items if item.matrix is not None]
    out: dict[str, str] = {}
    printer = LatexPrinter()
    for root in roots:
        for node in N.walk(root):
            why = node_spec(node).unreadable
            if why is not None:
                out.setdefault(printer.doprint(node), why)
    return list(out.items())


def _split_equation(line: str) -> list[str]:
    """``a = b = c`` outside braces and brackets (``\\sum_{k=1}`` and 𝟙[i = j] keep theirs)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        depth += ch in "{["
        depth -= ch in "}]"
        if ch == "=" and depth == 0:
            parts.append(line[start:i].strip())
            start = i + 1
    parts.append(line[start:].strip())
    return parts


def _unreadable(latex: str, index_form: bool = False) -> str | None:
    for pattern, why in UNREADABLE.items():
        if index_form and why.startswith("an index"):
            continue  # read by the index evaluator
        if re.search(pattern, latex):
            return why
    if index_form and re.search(r"\\right\]_\{", latex):  # [⟨w_[i], y⟩]_{i,i}: no reading
        return "an entry [x]_{i} in an index form"
    return None


def _environment(
    result: DerivationResult, inputs: dict[str, Any], sizes: dict[str, int]
) -> dict[str, Any]:
    """The generated code's value of every name a formula may use: inputs, sizes, z, h, δ."""
    derivation = result.derivation
    printer = NumpyPrinter()
    params = [*derivation.program.inputs, *(f"{k}={v}" for k, v in sizes.items())]
    lines = [f"def _environment({', '.join(params)}):"]
    program = derivation.program
    lines += [f"    {d.name} = {printer.doprint(d.node)}" for d in program.definitions]
    # A result may read the output by name: p in diag(p) − p pᵀ (p = softmax(z)).
    outputs = {program.output_name, derivation.output_symbol} - {None, ""}
    outputs -= set(program.inputs) | {d.name for d in derivation.extended_definitions()}
    lines += [f"    {name} = {printer.doprint(program.output)}" for name in sorted(outputs)]
    lines += [f"    {d.name} = {printer.doprint(d.node)}" for d in derivation.adjoint_definitions()]
    lines.append("    return dict(locals())")
    return dict(load_module(numpy_source(printer, "\n".join(lines)))["_environment"](**inputs))


def _as_displayed(result: DerivationResult, env: dict[str, Any]) -> dict[str, Any]:
    """The code keeps vectors 1-D; a row (δ = yᵀ diag(x)) is read as the row it is shown as."""
    rows = {d.name for d in result.derivation.extended_definitions() if S.is_row(d.node.shape)}
    return {k: np.reshape(v, (1, -1)) if k in rows else v for k, v in env.items()}


def _adjoint_values(result: DerivationResult, env: dict[str, Any]) -> dict[str, Any]:
    """∂s/∂h for every intermediate h the backward pass reached (the steps display them)."""
    backward = result.derivation.backward
    if backward is None:
        return {}
    printer = NumpyPrinter()
    items = list(backward.adjoints.items())
    body = ", ".join(f"{k!r}: {printer.doprint(node)}" for k, node in items)
    source = numpy_source(printer, f"def _adjoints({', '.join(env)}):\n    return {{{body}}}")
    return load_module(source)["_adjoints"](**env)


def _references(result: DerivationResult, inputs: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """(kind, wrt) -> the generated module's derivative at the inputs."""
    module = load_module(result.code["numpy"])
    out: dict[tuple[str, str], Any] = {}
    derivation = result.derivation
    if derivation.scalar_output:
        _, grads = module["value_and_grad"](**inputs)
        out.update({("gradient", w): g for w, g in grads.items()})
        if result.hessian:
            out.update({("hessian", w): h for w, h in module["hessian"](**inputs).items()})
    else:
        jac = module["jacobian"](**inputs)
        out.update({(kind, w): j for w, j in jac.items() for kind in ("jacobian", "partials")})
    return out


class _Reader:
    """Read formulas back and keep the worst error, the failures and what was not read."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.env = env
        self.inputs: dict[str, Any] = {}  # the draw, for the engine's Jacobians of index steps
        self.names = set(env)
        self.sizes: set[str] = set()  # e_{n}, [x]_{n}: a size as a position is the last entry
        self.positions: set[str] = set()  # the sizes and labels an index form's x_{n} may use
        self.errors: list[tuple[str, float]] = []
        self.failures: list[str] = []
        self.unread: list[str] = []
        self.read = 0
        self.opaque: list[tuple[str, str]] = []  # (printed op, why it has no reading)

    def opaque_in(self, latex: str) -> str | None:
        """Why ``latex`` cannot be read, if it prints an op the reader has no reading of."""
        return next((why for text, why in self.opaque if text in latex), None)

    def value(self, latex: str, expected: tuple[int, ...] | None) -> np.ndarray:
        tree = parse_latex(latex, names=self.names).statements[0].value
        try:
            return evaluate_syntax(tree, self.env, expected, self.sizes)
        except Ambiguous:
            raise
        except ReadError:
            if expected is not None and len(expected) == 1:
                try:  # a chain of Jacobians is a row: ∂s/∂b = uᵀ diag(f′(z)) I
                    return evaluate_syntax(tree, self.env, (1, expected[0]), self.sizes).reshape(
                        expected
                    )
                except ReadError:
                    pass
            # 0 stands for a zero array of any shape: uᵀ diag(f′(z)) 0 is the zero row.
            value = evaluate_syntax(tree, self.env, None, self.sizes)
            if expected is None or np.any(value != 0):
                raise
            return np.zeros(expected)

    def compare(self, label: str, latex: str, reference: Any) -> None:
        why = self.opaque_in(latex) or _unreadable(latex)
        if why:
            self.unread.append(f"{label}: {why}")
            return
        ref = np.asarray(reference, dtype=float)
        try:
            shown = self.value(latex, ref.shape)
        except Ambiguous as exc:
            self.unread.append(f"{label}: {exc}")
            return
        except (ChainruleError, ReadError, ValueError, np.linalg.LinAlgError) as exc:
            message = exc.message if isinstance(exc, ChainruleError) else str(exc)
            if isinstance(exc, ChainruleError) and exc.kind == "limit":
                # too long or deep for the reader's bounds: a gap (as for index forms), not a
                # wrong formula; a correct Hessian of nested softmaxes was reported failed
                self.unread.append(f"{label}: not read ({message})")
                return
            self.failures.append(f"{label}: {latex!r} does not read back ({message})")
            return
        self.read += 1
        err, _ = rel_error(shown.reshape(ref.shape), ref)
        self.errors.append((label, err))
        if not err <= TOLERANCE:
            self.failures.append(f"{label}: {latex!r} reads back with relative error {err:.2e}")

    def name_of(self, latex: str) -> str | None:
        try:
            tree = parse_latex(latex, names=self.names).statements[0].value
        except ChainruleError:
            return None
        return tree.id if isinstance(tree, Name) else None


_PARTIAL = re.compile(r"\\frac\{\\partial (.+)\}\{\\partial (.+)\}")


def _check_steps(
    result: DerivationResult, d: dict[str, Any], reader: _Reader, refs: dict, adjoints: dict
) -> None:
    derivation = result.derivation
    for wrt, lines in d["steps"].items():
        for number, raw in enumerate(lines, 1):
            line = re.sub(r"\s*\\quad.*$", "", raw)
            first, *rest = _split_equation(line)
            m = _PARTIAL.fullmatch(first)
            reference = None
            if m:
                name = reader.name_of(m.group(2))
                if m.group(1) != d["output_symbol"] or name is None:
                    if rest:
                        _index_step(result, reader, f"step {number} for {wrt}", m, [first, *rest])
                    else:
                        reader.unread.append(f"step {number} for {wrt}: no right-hand side")
                    continue
                if name in derivation.program.inputs:
                    reference = refs.get(("gradient", name))
                else:
                    reference = adjoints.get(name)
            else:
                name = reader.name_of(first)
                reference = reader.env.get(name) if name else None
            if reference is None:
                reader.unread.append(f"step {number} for {wrt}: no reference for {first!r}")
                continue
            for part in rest:
                if not part.startswith(r"\frac{\partial"):
                    ref = np.asarray(reference, dtype=float)
                    reader.compare(
                        f"step {number} for {wrt}", part, ref.ravel() if ref.ndim == 1 else ref
                    )


_TERM = re.compile(
    r"\\partial(?:\^\{2\})?\s+((?:\\[A-Za-z]+|[A-Za-z])(?:[A-Za-z0-9]*)(?:_\{(?:[^{}]|\{[^{}]*\})*\})?)"
)


def _letters(term: str) -> list[str]:
    """``W_{ij}`` -> [i, j]; ``v_{c,i}`` -> [i]; ``x`` or ``b_{2}`` -> []."""
    m = re.search(r"_\{((?:[^{}]|\{[^{}]*\})*)\}$", term)
    if not m:
        return []
    last = m.group(1).split(",")[-1]
    return list(last) if last.isalpha() and last.islower() else []


def _check_index_forms(d: dict[str, Any], reader: _Reader, refs: dict) -> None:
    """∂s/∂W_ij = δ_i x_j: the entry at every index of the grid, against the generated code."""
    for item in d["derivatives"]:
        label = f"index form of the {item['kind']} wrt {item['wrt']}"
        lhs, *rest = _split_equation(item["index_latex"])
        if not rest:
            reader.unread.append(f"{label}: no right-hand side")
            continue
        reference = np.asarray(refs[(item["kind"], item["wrt"])], dtype=float)
        _read_index(reader, label, lhs, rest[-1], reference)


def _read_index(reader: _Reader, label: str, lhs: str, rhs: str, reference: np.ndarray) -> None:
    """Read one index form ``lhs = rhs`` on the grid of the lhs's letters, against ``reference``
    (an array with one axis per letter)."""
    letters = [ch for term in _TERM.findall(lhs) for ch in _letters(term)]
    if len(letters) != reference.ndim or len(set(letters)) != len(letters):
        reader.unread.append(f"{label}: its indices {letters} do not match the array")
        return
    why = reader.opaque_in(rhs) or _unreadable(rhs, index_form=True)
    if why:
        reader.unread.append(f"{label}: {why}")
        return
    try:
        program = parse_latex(rhs, names=reader.names, indices=letters, positions=reader.positions)
        tree = program.statements[0].value
    except ChainruleError as exc:
        reader.unread.append(f"{label}: not read ({exc.message})")
        return
    try:
        shown = evaluate_index_form(tree, reader.env, letters, reference.shape)
    except Ambiguous as exc:
        reader.unread.append(f"{label}: {exc}")
        return
    except (Mismatch, ValueError, IndexError, np.linalg.LinAlgError) as exc:
        reader.failures.append(f"{label}: {rhs!r} does not read back ({exc})")
        return
    reader.read += 1
    err, _ = rel_error(shown, reference)
    reader.errors.append((label, err))
    if not err <= TOLERANCE:
        reader.failures.append(f"{label}: {rhs!r} reads back with relative error {err:.2e}")


def _base(term: str) -> str:
    """The array an entry belongs to: ``h_{2,i}`` -> ``h_{2}``, ``W_{jl}`` -> ``W``."""
    m = re.fullmatch(r"(.*?)_\{((?:[^{}]|\{[^{}]*\})*)\}", term)
    if not m or not _letters(term):
        return term
    kept = m.group(2).split(",")[:-1]
    return f"{m.group(1)}_{{{','.join(kept)}}}" if kept else m.group(1)


def _index_step(
    result: DerivationResult, reader: _Reader, label: str, lhs: re.Match, line: list[str]
) -> None:
    """A step in index notation, ∂h_i/∂W_jk = 𝟙[i = j] f′(z_j) x_k, against the Jacobian of the
    intermediate h by W from the backprop engine's hand-written gates (not from our rules)."""
    program = result.derivation.program
    top, var = reader.name_of(_base(lhs.group(1))), reader.name_of(_base(lhs.group(2)))
    bodies = {d.name: d for d in program.definitions}
    if var not in program.inputs or not (top in bodies or top == result.derivation.output_symbol):
        reader.unread.append(f"{label}: an index form of {lhs.group(0)!r}")
        return
    output = bodies[top].ref if top in bodies else program.output
    graph = compile_program(dataclasses.replace(program, output=output, output_name=None))
    with np.errstate(all="ignore"):
        reference = np.asarray(graph.jacobian(reader.inputs, [var])[var], dtype=float)
    _read_index(reader, label, line[0], line[-1], reference)


def check_displayed(
    result: DerivationResult,
    seed: int = 0,
    steps: bool = True,
    index_forms: bool = True,
    inputs: dict[str, Any] | None = None,
    sizes: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Read every displayed formula back and compare it with the generated code at a draw.

    ``inputs`` and ``sizes`` (optional) reuse the draw of the other checks; otherwise one is
    made as verify_result makes it (the first set of exposing sizes, then the second).
    """
    program = result.derivation.program
    try:
        module = load_module(result.code["numpy"])
        if inputs is None or sizes is None:
            rng = np.random.default_rng(seed)
            for which in (0, 1):
                sizes = choose_sizes(program, which)
                inputs, why = draw_inputs(program, sizes, rng, module["value"])
                if inputs is not None or len(sizes) < 2:
                    break
            if inputs is None:
                return skipped(METHOD, sizes, why)
        with np.errstate(all="ignore"):
            env = _environment(result, inputs, sizes)
            refs = _references(result, inputs)
            adjoints = _adjoint_values(result, env)
            env = _as_displayed(result, env)
    except Exception as exc:  # generated code that raises is a failed check, never a crash
        return _verdict(
            sizes or {}, [], [f"the generated code raised {type(exc).__name__}: {exc}"], [], 0
        )
    derivation = result.derivation
    d = result.to_dict()
    d["output_symbol"] = LatexPrinter().name(derivation.output_symbol)
    reader = _Reader(env)
    reader.sizes = set(sizes or {})
    labels = {k for k, v in inputs.items() if np.ndim(v) == 0}  # z_{y + 1}: class y
    reader.positions = reader.sizes | labels
    reader.inputs = inputs
    reader.opaque = unreadable_ops(derivation)
    for defn in d["definitions"]:
        reader.compare(
            f"definition of {to_unicode(defn['symbol'])}", defn["latex"], env[defn["name"]]
        )
    for item in d["derivatives"]:
        label = f"{item['kind']} wrt {item['wrt']}"
        if not item["matrix_form"]:
            if not index_forms:  # else its index form is read below
                reader.unread.append(f"{label}: an index form")
            continue
        reader.compare(label, item["latex"], refs[(item["kind"], item["wrt"])])
    if steps and d["steps"]:
        _check_steps(result, d, reader, refs, adjoints)
    if index_forms:
        _check_index_forms(d, reader, refs)
    return _verdict(sizes, reader.errors, reader.failures, reader.unread, reader.read)


def _verdict(
    sizes: dict[str, int],
    errors: list[tuple[str, float]],
    failures: list[str],
    unread: list[str],
    read: int,
) -> dict[str, Any]:
    worst = max((e for _, e in errors), default=0.0)
    detail = f"{read} displayed formulas read back with the LaTeX reader and evaluated"
    if unread:
        detail += (
            f"; {len(unread)} not read ({'; '.join(unread[:3])}{'; …' if len(unread) > 3 else ''})"
        )
    if failures:
        detail = "; ".join(failures[:3]) + ("; …" if len(failures) > 3 else "") + "; " + detail
    return {
        "method": METHOD,
        "passed": not failures,
        "skipped": False,
        "max_rel_error": worst,
        "tolerance": TOLERANCE,
        "sizes": sizes,
        "detail": detail,
        "read": read,
        "not_read": unread,
    }
