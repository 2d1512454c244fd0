"""The generated module: value, value_and_grad (or value_and_vjp), jacobian, hessian.

One writer serves every backend (NumPy, PyTorch, JAX: ``backends.py`` spells the operations).
The module imports only its array library, uses the program's names, and repeats the forward pass inside
each public function so that every function can be read (and copied) on its own. Gradients
reuse the forward intermediates and the named δs: one forward pass, one backward pass.
"""

from __future__ import annotations

import keyword
import re

import sympy as sp

from ..expr import nodes as N
from ..expr import shapes as S
from ..expr.derived import SEED, Derivation, Item
from .backends import BACKENDS, NUMPY, Backend
from .codeopt import is_lower_ones, optimise
from .cse import eliminate
from .numpy_code import CodePrinter


def _shape_doc(var: N.Var) -> str:
    dims = S.user_shape(var.shape)
    return "scalar" if not dims else f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"


class ModuleWriter:
    def __init__(
        self,
        derivation: Derivation,
        backend: Backend = NUMPY,
        plans: dict[str, list[tuple[str, N.Node]]] | None = None,
    ) -> None:
        self.d = derivation
        # Each function's statements after common-subexpression naming, by signature. They do
        # not depend on the backend (the reserved names cover every framework's), so the
        # modules of one derivation share them: NumPy, PyTorch and JAX cost one CSE, not three.
        self.plans = plans if plans is not None else {}
        self.program = derivation.program
        self.backend = backend
        self.printer = CodePrinter(backend)
        self.inputs = list(self.program.inputs)
        # Every name a function of the module could see: the user's variables, sizes,
        # intermediates and δs, the output, Python's keywords, the array libraries' names and
        # the module's own functions. Names the writer invents (grad_x, J_x, hvp, CSE
        # temporaries) are chosen around these, so a user's variable called grad_x or J_x, or a
        # size called t1, never collides.
        self.reserved = (
            set(self.inputs)
            | {str(d) for d in self.program.dims}
            | {d.name for d in derivation.extended_definitions()}
            | {derivation.output_symbol}
            | set(keyword.kwlist)
            | set(keyword.softkwlist)
            | {"np", "torch", "jax", "jnp", "math", "itertools", "_dev"}
            | {"seed", "value", "value_and_grad", "value_and_vjp", "jacobian", "hessian"}
        )

    def _fresh(self, base: str, taken: set[str] = frozenset()) -> str:
        """``base`` unless a name in use already has it; then base_, base__ ..."""
        name = base
        while name in self.reserved or name in taken:
            name += "_"
        return name

    # -- pieces ------------------------------------------------------------------------------

    def _prologue(self, body_text: str) -> list[str]:
        lines = [f"    {', '.join(self.inputs)} = {', '.join(f'_arr({v})' for v in self.inputs)}"]
        self.printer.helpers.add("_arr")
        for dim in self.program.dims:
            name = str(dim)
            if _uses(body_text, name):
                lines.append(f"    {name} = {self._bind(dim)}")
        device = self.backend.module_lines["device"]
        if device and _uses(body_text, device):
            self.printer.helpers.add("_device")
            lines.append(f"    {device} = _device({', '.join(self.inputs)})")
        return lines

    def _bind(self, dim: object) -> str:
        return size_binding(self.program.inputs, dim)

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
        if signature not in self.plans:
            cheaper = [(name, optimise(node)) for name, node in _inline_running(statements)]
            self.plans[signature] = eliminate(cheaper, self.reserved)
        statements = self.plans[signature]
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
                name = self._fresh(f"grad_{item.wrt}")
                stmts.append((name, item.matrix))
                grads.append((item.wrt, self._wrap_scalar(name, item.matrix)))
        mapping = ", ".join(f'"{w}": {g}' for w, g in grads)
        ret = f"    return {self._wrap_scalar(out, self.program.output)}, {{{mapping}}}"
        doc = f"{out} and its gradients, one forward and one backward pass (shape convention)."
        return self._function(f"value_and_grad({self._params()})", doc, stmts, ret)

    def value_and_vjp(self) -> str:
        """Reverse mode with a runtime seed: the building block of Jacobians without matrix form."""
        out = self._output_name()
        bw = self.d.vjp
        assert bw is not None
        taken = set(self.reserved) | {d.name for d in bw.definitions}
        stmts = [*self._forward(), (out, self.program.output)]
        stmts += [(d.name, d.node) for d in bw.definitions]
        grads = []
        for w in self.d.wrt:
            node = bw.adjoints[w]
            name = self._fresh(f"vjp_{w}", taken)
            stmts.append((name, node))
            grads.append((w, self._wrap_scalar(name, node)))
        mapping = ", ".join(f'"{w}": {g}' for w, g in grads)
        ret = f"    return {out}, {{{mapping}}}"
        doc = (
            f"{out} and {SEED}ᵀ·∂{out}/∂v for each variable v (reverse mode with an upstream seed)."
        )
        return self._function(f"value_and_vjp({SEED}, {self._params()})", doc, stmts, ret)

    def jacobian(self) -> str:
        out = self._output_name()
        stmts = [*self._forward(), (out, self.program.output)]  # a Jacobian may read p itself
        entries = []
        looped = []
        for item in self.d.items:
            if item.kind not in ("jacobian", "partials"):
                continue
            if item.matrix is not None:
                name = self._fresh(f"J_{item.wrt}")
                stmts.append((name, item.matrix))
                entries.append((item.wrt, name))
            else:
                looped.append(item.wrt)
        lines = []
        if looped:
            self.printer.helpers.add("_jacobian_by_vjp")
            shape = self.backend.module_lines["shape"].format(f"value({self._params()})")
            lines.append(
                f"    _J = _jacobian_by_vjp(value_and_vjp, {shape}, {looped!r}, {self._params()})"
            )
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
                name = self._fresh(f"H_{item.wrt}")
                stmts.append((name, item.matrix))
                entries.append((item.wrt, self._wrap_scalar(name, item.matrix)))
            else:
                extra.append(self._hvp(item))
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

    def _hvp(self, item: Item) -> str:
        """Reverse mode through the gradient of a matrix variable, seeded at run time."""
        bw = self.d.hvps[item.wrt]  # through the gradient as derived (before kinds' facts)
        ext, _ = self.d.differentiable_gradient(item.wrt)
        taken = set(self.reserved) | {d.name for d in ext}
        stmts = [(d.name, d.node) for d in ext] + [(d.name, d.node) for d in bw.definitions]
        hvp = self._fresh("hvp", taken | {d.name for d in bw.definitions})
        stmts.append((hvp, bw.adjoints[item.wrt]))
        doc = f"Hessian-vector product: ∂/∂{item.wrt} of ⟨{SEED}, ∂f/∂{item.wrt}⟩."
        return self._function(
            f"_hvp_{item.wrt}({SEED}, {self._params()})", doc, stmts, f"    return {hvp}"
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
        header = (
            '"""Generated by chainrule: value and derivatives of\n\n'
            + "\n".join(f"    {docstring_text(line)}" for line in _lines(program.source.strip()))
            + f"\n\nInputs (vectors are 1-D arrays, matrices 2-D, scalars floats):\n{shapes}\n"
            f"Symbolic sizes ({dims}) are read from the inputs' shapes.\n"
            f'"""\n\n{self.backend.header}'
        )
        helpers = [self.backend.helpers[h] for h in sorted(self.printer.helpers)]
        return "\n\n\n".join([header, *helpers, *parts]) + "\n"


def _lines(text: str) -> list[str]:
    """Lines as the program's grammar splits them (\\n, \\r\\n); any other break character
    stays inside its line and is escaped by docstring_text."""
    return text.replace("\r\n", "\n").split("\n")


def docstring_text(line: str) -> str:
    """One line of user text as the body of a triple-quoted string literal that compiles for
    every input and reads back as the same text: a backslash is doubled (\\N, \\x4 and \\u would
    be escapes), a quote is escaped (so three quotes cannot close the docstring), and a
    character that is not printable (NUL, \\r, U+2028, a lone surrogate) is written as its
    escape, so the module's source is always valid UTF-8 on one physical line."""
    out = []
    for ch in line:
        code = ord(ch)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch.isprintable() or ch == "\t":
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def size_binding(inputs: dict, dim: object) -> str:
    """Read a symbolic size off an input's shape (solving 5*d = W.shape[1] if need be):
    the generated module and the sampler's helper functions bind sizes the same way."""
    for exact in (True, False):
        for var in inputs.values():
            axes = (
                [(var.shape[0], 0)]
                if S.is_vector(var.shape)
                else [(var.shape[0], 0), (var.shape[1], 1)]
            )
            for expr, axis in axes:
                if exact and expr == dim:
                    return f"{var.name}.shape[{axis}]"
                if not exact and expr.free_symbols == {dim}:
                    poly = sp.Poly(expr, dim)
                    if poly.degree() != 1:
                        continue  # d*d: read d off another axis (declare checked one exists)
                    # a*d + b = size, with integers a and b: d = (size - b) // a, in
                    # operators only (a user's variable may be called int).
                    a, b = (int(c) for c in poly.all_coeffs())
                    size = f"{var.name}.shape[{axis}]"
                    size = f"({size} - {b})" if b else size
                    return f"{size} // {a}" if a != 1 else size
    raise AssertionError(f"size {dim} is not readable from any input")  # pragma: no cover


def _uses(text: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_.]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def generate_module(
    derivation: Derivation,
    hessian: bool = False,
    backend: str = "numpy",
    plans: dict[str, list[tuple[str, N.Node]]] | None = None,
) -> str:
    """The module for ``backend`` ("numpy", "torch" or "jax"); ``plans`` is shared by the
    modules of one derivation (see ModuleWriter)."""
    return ModuleWriter(derivation, BACKENDS[backend], plans).module(hessian)


def _inline_running(statements: list[tuple[str, N.Node]]) -> list[tuple[str, N.Node]]:
    """The statements with L = cumsum(I) written into its uses and its own statement dropped:
    the optimiser then sees L G and Lᵀ G as running sums (``codeopt``), so the n×n matrix is
    built only where a use is not a product (and then inline, where it is used)."""
    lower = {name: node for name, node in statements if is_lower_ones(node)}
    if not lower:
        return statements
    refs = {
        v: lower[v.name]
        for _, node in statements
        for v in N.walk(node)
        if isinstance(v, N.Var) and v.name in lower
    }
    names = set(lower)
    inlined = [(n, node if n in names else N.substitute(node, refs)) for n, node in statements]
    return [(n, node) for n, node in inlined if n not in names]
