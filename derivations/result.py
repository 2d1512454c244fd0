"""The derivation result: one object for the Python API, the CLI and (as JSON) the service."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .calculus.derivation import Derivation, Item, free_indices, reserved_names
from .expr import nodes as N
from .expr import shapes as S
from .expr.kinds import FACTS, PARAMETER
from .printing.backends import BACKENDS
from .printing.index import index_latex, label_cases, partial_lhs, subscript
from .printing.latex import LatexPrinter
from .printing.module import generate_module
from .printing.numpy_code import NumpyPrinter
from .printing.steps import steps_for
from .printing.unicode import to_unicode


class GeneratedCode(Mapping[str, str]):
    """The generated modules by backend ("numpy", "torch", "jax"), each written on first use:
    verification needs only NumPy's, so the others cost nothing until someone reads them."""

    def __init__(self, derivation: Derivation, hessian: bool) -> None:
        self._derivation = derivation
        self._hessian = hessian
        self._modules: dict[str, str] = {}
        self._plans: dict[str, list[tuple[str, N.Node]]] = {}  # shared CSE, see ModuleWriter

    def __getitem__(self, backend: str) -> str:
        if backend not in BACKENDS:
            raise KeyError(backend)
        if backend not in self._modules:
            self._modules[backend] = generate_module(
                self._derivation, self._hessian, backend, self._plans
            )
        return self._modules[backend]

    def __setitem__(self, backend: str, source: str) -> None:
        """Replace a module (tests plant broken code this way, to see verification fail)."""
        if backend not in BACKENDS:
            raise KeyError(backend)
        self._modules[backend] = source

    def __iter__(self) -> Iterator[str]:
        return iter(BACKENDS)

    def __len__(self) -> int:
        return len(BACKENDS)


@dataclass
class DerivationResult:
    derivation: Derivation
    hessian: bool
    code: Mapping[str, str]
    verification: dict[str, Any] | None = None
    _dict: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def verification_passed(self) -> bool | None:
        return None if self.verification is None else self.verification["passed"]

    # -- the dict ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        if not self._dict:
            self._dict = build_dict(self)
        out = dict(self._dict)
        out["verification"] = self.verification or {
            "passed": None,
            "checks": [],
            "skipped": "verify=False",
        }
        return out

    # -- text forms ----------------------------------------------------------------------------

    def text(self) -> str:
        """A terminal-friendly rendering (Unicode: ∂s/∂W = δ xᵀ); the dict keeps the LaTeX."""
        return to_unicode_lines(self._text_latex())

    def _text_latex(self) -> str:
        d = self.to_dict()
        lines = [f"program: {d['expression']}"]
        declared = d.get("declarations", {})
        lines.append(
            "variables: "
            + ", ".join(
                f"{k} {tuple(v)}{_declared(declared.get(k))}" for k, v in d["variables"].items()
            )
        )
        for name, facts in d.get("assumptions", {}).items():
            kind = _kind_words(declared[name])
            lines.append(f"assumed: {', '.join(facts)}    ({name} is declared {kind})")
        lines.append(f"output: {d['output']['latex']}  shape {tuple(d['output']['shape'])}")
        if d["definitions"]:
            lines.append("\ndefinitions:")
            for defn in d["definitions"]:
                lines.append(f"  {defn['symbol']} = {defn['latex']}    [{defn['role']}]")
                if defn.get("entries"):
                    lines.append(f"      {defn['entries']}")
                for case in defn.get("cases", []):
                    lines.append(f"      for {case['when']}: {case['latex']}")
        lines.append("\nderivatives:")
        for item in d["derivatives"]:
            lines.append(f"  {item['kind']} wrt {item['wrt']}  shape {tuple(item['shape'])}")
            lines.append(f"    {item['equation']}")
            if item["index_latex"] != item["equation"] and item["shape"]:
                lines.append(f"    {item['index_latex']}")
            for case in item.get("cases", []):  # Tip 3: the correct class and the others
                lines.append(f"      for {case['when']}: {case['latex']}")
        if d["steps"]:
            lines.append("\nchain-rule steps:")
            for wrt, steps in d["steps"].items():
                lines.append(f"  {wrt}:")
                lines.extend(f"    {s}" for s in steps)
        v = d["verification"]
        lines.append("\nverification: " + _verdict(v))
        for check in v.get("checks", []):
            status = (
                "skipped" if check.get("skipped") else ("passed" if check["passed"] else "FAILED")
            )
            err = check.get("max_rel_error")
            err_text = f"  max rel error {err:.2e}" if isinstance(err, float) else ""
            lines.append(f"  {check['method']}: {status}{err_text}  sizes {check.get('sizes', {})}")
            if check.get("detail"):
                lines.append(f"    {check['detail']}")
        return "\n".join(lines)

    def latex_document(self) -> str:
        """A standalone LaTeX article: headings, definitions first, left-aligned equations."""
        from .printing.document import latex_document

        return latex_document(self.to_dict())

    # -- notebooks (Jupyter picks the richest it can show) --------------------------------------

    def _repr_html_(self) -> str | None:
        from .printing.document import html

        return html(self.to_dict())

    def _repr_markdown_(self) -> str:
        from .printing.document import markdown

        return markdown(self.to_dict())

    def _repr_latex_(self) -> str:
        from .printing.document import latex_repr

        return latex_repr(self.to_dict())


def to_unicode_lines(text: str) -> str:
    """Render the LaTeX parts of a text report; plain lines pass through unchanged."""
    out = []
    for line in text.splitlines():
        if "\\" in line or "^{" in line or "_{" in line:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(indent + to_unicode(line.strip()))
        else:
            out.append(line)
    return "\n".join(out)


def _kind_words(declaration: dict[str, Any]) -> str | None:
    """The kind as the command line declares it: onehot, onehot(axis=1)."""
    kind = declaration.get("kind")
    if kind is not None and "axis" in declaration:
        return f"{kind}(axis={declaration['axis']})"
    return kind


def _declared(declaration: dict[str, Any] | None) -> str:
    if not declaration:
        return ""
    role = declaration.get("role")
    words = [w for w in (role if role == "data" else None, _kind_words(declaration)) if w]
    return f" [{', '.join(words)}]" if words else ""


def _verdict(v: dict[str, Any]) -> str:
    if v.get("passed") is None:
        return "not run" + (f" ({v['skipped']})" if v.get("skipped") else "")
    return "PASSED" if v["passed"] else "FAILED — do not trust this result"


def _item_dict(
    derivation: Derivation, item: Item, printer: LatexPrinter, code: NumpyPrinter
) -> dict[str, Any]:
    program = derivation.program
    out_name = printer.name(derivation.output_symbol)
    var = program.inputs[item.wrt]
    w = printer.name(item.wrt)
    out_shape = program.output.shape
    reserved = reserved_names(program)
    if item.kind == "gradient":
        indices = free_indices(_count(var.shape), program)
        lhs = partial_lhs(out_name, (), w, indices)
        equation = rf"\frac{{\partial {out_name}}}{{\partial {w}}} = {printer.doprint(item.matrix)}"
        index = f"{lhs} = {index_latex(_constants_inline(program, item.matrix), indices, printer.names, reserved)}"
    elif item.kind == "jacobian":
        letters = free_indices(3, program)
        oi = letters[: _count(out_shape) if var.is_scalar else min(_count(out_shape), 1)]
        vi = letters[len(oi) : len(oi) + _count(var.shape)]
        lhs = partial_lhs(out_name, oi, w, vi)
        equation = rf"\frac{{\partial {out_name}}}{{\partial {w}}} = {printer.doprint(item.matrix)}"
        index = f"{lhs} = {index_latex(_constants_inline(program, item.matrix), oi + vi, printer.names, reserved)}"
    elif item.kind == "hessian" and item.matrix is not None:
        indices = free_indices(2 * _count(var.shape), program)
        lhs = partial_lhs(out_name, (), w, indices, order=2)
        equation = rf"\frac{{\partial^{{2}} {out_name}}}{{\partial {w}^{{2}}}} = {printer.doprint(item.matrix)}"
        index = f"{lhs} = {index_latex(_constants_inline(program, item.matrix), indices, printer.names, reserved)}"
    else:
        seeded = item.seeded
        assert seeded is not None
        order = 2 if item.kind == "hessian" else 1
        if order == 2:
            lhs = partial_lhs(out_name, (), w, seeded.output_indices + seeded.var_indices, order=2)
        else:
            lhs = partial_lhs(out_name, seeded.output_indices, w, seeded.var_indices)
        index = f"{lhs} = {index_latex(seeded.node, seeded.var_indices, printer.names, reserved)}"
        equation = index
    labels = [n for n, d in program.declarations.items() if d.is_label]
    cases = []
    if labels and item.kind == "gradient" and item.matrix is not None:
        for when, body in label_cases(item.matrix, indices, labels, printer.names):
            cases.append({"when": when, "latex": f"{lhs} = {body}"})
    matrix_latex = printer.doprint(item.matrix) if item.matrix is not None else None
    numpy_expr = code.doprint(item.matrix) if item.matrix is not None else _numpy_call(item)
    return {
        "wrt": item.wrt,
        "kind": item.kind,
        "shape": item.shape,
        "layout": item.layout,
        "latex": matrix_latex if matrix_latex is not None else index,
        "matrix_form": item.matrix is not None,
        "equation": equation,
        "index_latex": index,
        "numpy": numpy_expr,
        **({"cases": cases} if cases else {}),
    }


def _constants_inline(program: Any, node: N.Node) -> N.Node:
    """``node`` with each introduced constant matrix (L = cumsum(I)) written out: an index
    form reads 𝟙[i ≥ j] and Σ_k 𝟙[k ≥ i] u_k (the running sum from the end), not L_ij."""
    constants = _constant_definitions(program)
    return N.substitute(node, {d.ref: d.node for d in constants}) if constants else node


def _constant_definitions(program: Any) -> list[Any]:
    return [
        d
        for d in program.definitions
        if d.name in program.introduced and S.is_matrix(d.node.shape) and not N.free_vars(d.node)
    ]


def _definition_entries(program: Any, d: Any, printer: LatexPrinter) -> dict[str, Any]:
    """The entries of an introduced constant matrix, as the textbook defines it: L_ij = 𝟙[i ≥ j]."""
    if all(c.name != d.name for c in _constant_definitions(program)):
        return {}
    body = index_latex(d.node, ("i", "j"), printer.names, reserved_names(program))
    return {"entries": f"{subscript(printer.name(d.name), 'ij')} = {body}"}


def _definition_cases(program: Any, d: Any, printer: LatexPrinter) -> dict[str, Any]:
    """Tip 3 for a δ that picks the correct class: δ_i for i = y + 1 and i ≠ y + 1 (from 1)."""
    labels = [n for n, decl in program.declarations.items() if decl.is_label]
    if not labels:
        return {}
    lhs = subscript(printer.name(d.name), "i")
    cases = [
        {"when": when, "latex": f"{lhs} = {body}"}
        for when, body in label_cases(d.node, ("i",), labels, printer.names)
    ]
    return {"cases": cases} if cases else {}


def _numpy_call(item: Item) -> str:
    if item.kind == "hessian":
        return f'hessian(**inputs)["{item.wrt}"]'
    return f'jacobian(**inputs)["{item.wrt}"]'


def _count(shape: S.Shape) -> int:
    return 0 if S.is_scalar(shape) else (1 if S.is_vector(shape) else 2)


def build_dict(result: DerivationResult) -> dict[str, Any]:
    derivation = result.derivation
    program = derivation.program
    printer = LatexPrinter()
    code = NumpyPrinter()
    out_symbol = printer.name(derivation.output_symbol)
    definitions = [
        {
            "name": d.name,
            "symbol": printer.name(d.name),
            "shape": S.user_shape(d.node.shape),
            "latex": printer.doprint(d.node),
            "role": "introduced" if d.name in program.introduced else "intermediate",
            **_definition_entries(program, d, printer),
        }
        for d in program.definitions
    ]
    meaning = {}
    if derivation.backward:
        intermediates = {d.name for d in program.definitions}
        for name, adj in derivation.backward.adjoints.items():
            if name in intermediates and isinstance(adj, N.Var) and adj.role == "adjoint":
                meaning[adj.name] = (
                    rf"\frac{{\partial {out_symbol}}}{{\partial {printer.name(name)}}}"
                )
        for name, node in derivation.backward.meanings.items():
            meaning[name] = (
                rf"\frac{{\partial {out_symbol}}}{{\partial \left({printer.doprint(node)}\right)}}"
            )
    for d in derivation.adjoint_definitions():
        definitions.append(
            {
                "name": d.name,
                "symbol": printer.name(d.name),
                "shape": S.user_shape(d.node.shape),
                "latex": printer.doprint(d.node),
                "role": "adjoint",
                "meaning": meaning.get(d.name, ""),
                **_definition_cases(program, d, printer),
            }
        )
    program_latex = [
        f"{printer.name(d.name)} = {printer.doprint(d.node)}" for d in program.definitions
    ]
    program_latex.append(f"{out_symbol} = {printer.doprint(program.output)}")
    steps = {}
    if program.output.is_scalar:
        steps = {w: steps_for(derivation, w, printer) for w in derivation.wrt}
    out = {
        "expression": program.source,
        "variables": {name: S.user_shape(v.shape) for name, v in program.inputs.items()},
        "output": {
            "name": program.output_name,
            "shape": S.user_shape(program.output.shape),
            "latex": printer.doprint(program.output),
        },
        "program_latex": program_latex,
        "definitions": definitions,
        "derivatives": [_item_dict(derivation, item, printer, code) for item in derivation.items],
        "steps": steps,
        "code": dict(result.code),
    }
    declared = {n: d.to_dict() for n, d in program.declarations.items() if d != PARAMETER}
    if declared:  # roles and kinds, and the facts the results were simplified with
        out["declarations"] = declared
        out["assumptions"] = {
            name: [FACTS[key].format(v=printer.name(name)) for key in keys]
            for name, keys in derivation.assumptions.items()
        }
    return out


def make_result(derivation: Derivation, hessian: bool) -> DerivationResult:
    return DerivationResult(derivation, hessian, GeneratedCode(derivation, hessian))
