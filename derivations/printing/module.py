"""The generated NumPy module: value, value_and_grad (or value_and_vjp), jacobian, hessian.

The module imports only numpy, uses the program's names, and repeats the forward pass inside
each public function so that every function can be read (and copied) on its own. Gradients
reuse the forward intermediates and the named δs: one forward pass, one backward pass.
"""

from __future__ import annotations

import keyword
import re

import sympy as sp

from ..calculus import algebra as A
from ..calculus.derivation import Derivation, Item
from ..calculus.reverse import backward
from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.program import Definition
from .cse import eliminate
from .numpy_code import HELPERS, NumpyPrinter


def _shape_doc(var: N.Var) -> str:
    dims = S.user_shape(var.shape)
    return "scalar" if not dims else f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"


class ModuleWriter:
    def __init__(self, derivation: Derivation) -> None:
        self.d = derivation
        self.program = derivation.program
        self.printer = NumpyPrinter()
        self.inputs = list(self.program.inputs)
        self.reserved = set(self.inputs) | set(keyword.kwlist) | {"np", "seed", "value"}

    # -- pieces ------------------------------------------------------------------------------

    def _prologue(self, body_text: str) -> list[str]:
        lines = [f"    {', '.join(self.inputs)} = {', '.join(f'_arr({v})' for v in self.inputs)}"]
        self.printer.helpers.add("_arr")
        for dim in self.program.dims:
            name = str(dim)
            if _uses(body_text, name):
                lines.append(f"    {name} = {self._bind(dim)}")
        return lines

    def _bind(self, dim: object) -> str:
        """Read a symbolic size off an input's shape (solving 5*d = W.shape[1] if need be)."""
        for exact in (True, False):
            for var in self.program.inputs.values():
                axes = (
                    [(var.shape[0], 0)]
                    if S.is_vector(var.shape)
                    else [(var.shape[0], 0), (var.shape[1], 1)]
                )
                for expr, axis in axes:
                    if exact and expr == dim:
                        return f"{var.name}.shape[{axis}]"
                    if not exact and dim in expr.free_symbols and len(expr.free_symbols) == 1:
                        size = sp.Symbol("_size")
                        (solution,) = sp.solve(sp.Eq(expr, size), dim)
                        return f"int({sp.pycode(solution).replace('_size', f'{var.name}.shape[{axis}]')})"
        raise AssertionError(f"size {dim} is not readable from any input")  # pragma: no cover

    def _statements(self, statements: list[tuple[str, N.Node]]) -> list[str]:
        lines = []
        self.printer.definitions = {}
        for name, node in statements:
            lines.append(f"    {name} = {self.printer.doprint(node)}")
            self.printer.definitions[name] = node
        return lines

    def _function(
        self,
        signature: str,
        doc: str,
        statements: list[tuple[str, N.Node]],
        returns: str,
    ) -> str:
        statements = eliminate(statements, self.reserved)
        body = self._statements(statements)
        text = "\n".join(body) + "\n" + returns
        lines = [f"def {signature}:", f'    """{doc}"""', *self._prologue(text), *body, returns]
        return "\n".join(lines)

    def _forward(self) -> list[tuple[str, N.Node]]:
        return [(d.name, d.node) for d in self.program.definitions]

    def _output_name(self) -> str:
        return self.d.output_symbol

    def _params(self) -> str:
        return ", ".join(self.inputs)

    # -- public functions --------------------------------------------------------------------

    def value(self) -> str:
        out = self._output_name()
        stmts = [*self._forward(), (out, self.program.output)]
        ret = f"    return {self._wrap_scalar(out, self.program.output)}"
        return self._function(f"value({self._params()})", f"The value of {out}.", stmts, ret)

    def _wrap_scalar(self, name: str, node: N.Node) -> str:
        if node.is_scalar:
            self.printer.helpers.add("_scalar")
            return f"_scalar({name})"
        return name

    def value_and_grad(self) -> str:
        out = self._output_name()
        stmts = [*self._forward(), (out, self.program.output)]
        stmts += [(d.name, d.node) for d in self.d.adjoint_definitions()]
        grads = []
        for item in self.d.items:
            if item.kind == "gradient":
                assert item.matrix is not None
                name = f"grad_{item.wrt}"
                stmts.append((name, item.matrix))
                grads.append((item.wrt, self._wrap_scalar(name, item.matrix)))
        mapping = ", ".join(f'"{w}": {g}' for w, g in grads)
        ret = f"    return {self._wrap_scalar(out, self.program.output)}, {{{mapping}}}"
        doc = f"{out} and its gradients, one forward and one backward pass (shape convention)."
        return self._function(f"value_and_grad({self._params()})", doc, stmts, ret)

    def value_and_vjp(self) -> str:
        """Reverse mode with a runtime seed: the building block of Jacobians without matrix form."""
        out = self._output_name()
        program = self.program
        seed = N.Var("_seed", program.output.shape, "input")
        taken = set(self.reserved) | {d.name for d in program.definitions} | {out}
        bw = backward(program.definitions, program.output, seed, self.d.wrt, taken)
        stmts = [*self._forward(), (out, program.output)]
        stmts += [(d.name, d.node) for d in bw.definitions]
        grads = []
        for w in self.d.wrt:
            var = program.inputs[w]
            g = bw.adjoints.get(w)
            node = g if g is not None else (N.Const(0) if var.is_scalar else N.Zeros(var.shape))
            stmts.append((f"vjp_{w}", node))
            grads.append((w, self._wrap_scalar(f"vjp_{w}", node)))
        mapping = ", ".join(f'"{w}": {g}' for w, g in grads)
        ret = f"    return {out}, {{{mapping}}}"
        doc = (
            f"{out} and _seedᵀ·∂{out}/∂v for each variable v (reverse mode with an upstream seed)."
        )
        return self._function(f"value_and_vjp(_seed, {self._params()})", doc, stmts, ret)

    def jacobian(self) -> str:
        out = self._output_name()
        stmts = [*self._forward(), (out, self.program.output)]  # a Jacobian may read p itself
        entries = []
        looped = []
        for item in self.d.items:
            if item.kind not in ("jacobian", "partials"):
                continue
            if item.matrix is not None:
                stmts.append((f"J_{item.wrt}", item.matrix))
                entries.append((item.wrt, f"J_{item.wrt}"))
            else:
                looped.append(item.wrt)
        lines = []
        if looped:
            lines += [
                f"    {out} = value({self._params()})",
                "    _J = {"
                + ", ".join(f'"{w}": np.zeros(np.shape({out}) + np.shape({w}))' for w in looped)
                + "}",
                f"    for _index in np.ndindex(np.shape({out})):",
                f"        _seed = np.zeros(np.shape({out}))",
                "        _seed[_index] = 1.0",
                f"        _, _rows = value_and_vjp(_seed, {self._params()})",
                f"        for _name in {looped!r}:",
                "            _J[_name][_index] = _rows[_name]",
            ]
            entries += [(w, f'_J["{w}"]') for w in looped]
        mapping = ", ".join(f'"{w}": {e}' for w, e in entries)
        ret = "\n".join([*lines, f"    return {{{mapping}}}"])
        doc = f"∂{out}/∂v for each variable v, as arrays of shape {out}.shape + v.shape."
        return self._function(f"jacobian({self._params()})", doc, stmts, ret)

    def hessian(self) -> str:
        out = self._output_name()
        ext = self.d.extended_definitions()
        stmts = [(d.name, d.node) for d in ext]
        entries = []
        extra: list[str] = []
        for item in self.d.items:
            if item.kind != "hessian":
                continue
            if item.matrix is not None:
                stmts.append((f"H_{item.wrt}", item.matrix))
                entries.append((item.wrt, self._wrap_scalar(f"H_{item.wrt}", item.matrix)))
            else:
                extra.append(self._hvp(item, ext))
                entries.append(
                    (item.wrt, f"_hessian_by_hvp(_hvp_{item.wrt}, {item.wrt}, {self._params()})")
                )
        mapping = ", ".join(f'"{w}": {e}' for w, e in entries)
        ret = f"    return {{{mapping}}}"
        doc = f"∂²{out}/∂v² for each variable v, as arrays of shape v.shape + v.shape."
        main = self._function(f"hessian({self._params()})", doc, stmts, ret)
        if extra:
            self.printer.helpers.add("_hessian_by_hvp")
        return "\n\n\n".join([*extra, main])

    def _hvp(self, item: Item, ext: list[Definition]) -> str:
        """Reverse mode through the gradient of a matrix variable, seeded at run time."""
        var = self.program.inputs[item.wrt]
        grad = next(i.matrix for i in self.d.items if i.wrt == item.wrt and i.kind == "gradient")
        assert grad is not None
        seed = N.Var("_seed", var.shape, "input")
        taken = set(self.reserved) | {d.name for d in ext}
        bw = backward(ext, grad, seed, [item.wrt], taken)
        stmts = [(d.name, d.node) for d in ext] + [(d.name, d.node) for d in bw.definitions]
        g = bw.adjoints.get(item.wrt)
        stmts.append(("hvp", g if g is not None else A.zeros(var.shape)))
        doc = f"Hessian-vector product: ∂/∂{item.wrt} of ⟨_seed, ∂f/∂{item.wrt}⟩."
        return self._function(
            f"_hvp_{item.wrt}(_seed, {self._params()})", doc, stmts, "    return hvp"
        )

    # -- the module --------------------------------------------------------------------------

    def module(self, hessian: bool) -> str:
        program = self.program
        parts = [self.value()]
        if program.output.is_scalar:
            parts.append(self.value_and_grad())
        else:
            parts.append(self.value_and_vjp())
            parts.append(self.jacobian())
        if hessian and program.output.is_scalar:
            parts.append(self.hessian())
        shapes = "\n".join(f"    {v.name}: {_shape_doc(v)}" for v in program.inputs.values())
        dims = ", ".join(str(d) for d in program.dims) or "none"
        source = program.source.strip().replace('"""', "'''")
        header = (
            '"""Generated by chainrule: value and derivatives of\n\n'
            + "\n".join(f"    {line}" for line in source.splitlines())
            + f"\n\nInputs (vectors are 1-D arrays, matrices 2-D, scalars floats):\n{shapes}\n"
            f"Symbolic sizes ({dims}) are read from the inputs' shapes.\n"
            f'"""\n\nimport numpy as np'
        )
        helpers = [
            _HESSIAN_HELPER if h == "_hessian_by_hvp" else HELPERS[h]
            for h in sorted(self.printer.helpers)
        ]
        return "\n\n\n".join([header, *helpers, *parts]) + "\n"


_HESSIAN_HELPER = '''def _hessian_by_hvp(hvp, at, *args):
    """Stack Hessian-vector products with unit seeds into v.shape + v.shape."""
    at = np.asarray(at, dtype=float)
    out = np.zeros(at.shape + at.shape)
    for index in np.ndindex(at.shape):
        seed = np.zeros(at.shape)
        seed[index] = 1.0
        out[index] = np.reshape(hvp(seed, *args), at.shape)
    return out'''


def _uses(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_.]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def generate_module(derivation: Derivation, hessian: bool = False) -> str:
    return ModuleWriter(derivation).module(hessian)
