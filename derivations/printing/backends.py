"""How each array library spells the code printer's operations: NumPy, PyTorch and JAX.

One printer (``numpy_code.CodePrinter``) walks the tree; the ops' spellings come from the op
registry (each spec's ``code``, with ``torch``/``jax`` where the libraries differ) and this
module adds the printer's own operations (zeros, outer products, row scaling…). Every spelling
is a template over already-printed arguments, so a new backend is one more ``Backend`` value (a
test checks that the three tables have the same keys).

Conventions kept by every backend: vectors are 1-D, matrices 2-D, scalars 0-d; inputs are
converted to float64 by ``_arr``; constants the code creates (zeros, ones, identities, bases)
live on the device of the inputs (``_dev``, PyTorch only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ..ops.registry import FUNCTIONS, NODES
from ..ops.spec import NodeSpec
from .binding import fill, template_form


@dataclass(frozen=True)
class Backend:
    """The spellings of one array library.

    ``calls`` maps an operation to a ``str.format`` template over printed arguments ``{0}``,
    ``{1}``…; ``helpers`` are functions emitted into a module only when its code uses them;
    ``module_lines`` are the module writer's few statements (seeded loops, scalar results).
    """

    name: str
    header: str
    calls: Mapping[str, str]
    helpers: Mapping[str, str]
    module_lines: Mapping[str, str] = field(default_factory=dict)

    def call(self, op: str, *args: str) -> str:
        """``op`` over printed arguments, each bracketed where its slot binds tighter."""
        return fill(self.calls[op], args)

    def binding(self, op: str) -> int:
        """How tightly ``op``'s spelling binds as a whole (a quotient, a call…)."""
        return template_form(self.calls[op])[1]


def _frozen(table: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(table)


# The code printer's own operations; every op's spelling comes from the registry (``_ops``).
_NUMPY_CALLS = {
    "log_sigmoid": "-np.logaddexp(0.0, -{0})",
    "outer": "np.outer({0}, {1})",
    "tile_rows": "np.tile({0}, ({1}, 1))",  # 𝟏 rᵀ: the row, once per row
    "tile_columns": "np.tile({0}[:, None], (1, {1}))",  # c 𝟏ᵀ: the column, once per column
    "zeros": "np.zeros({0})",
    "ones": "np.ones({0})",
    "eye": "np.eye({0})",
    "inf": "np.inf",
    "basis": "_basis({0}, {1})",
    "label": "_label({0})",
    "scale_rows": "{0}[:, None] * {1}",
    "scale_columns": "{0} * {1}[None, :]",
    "sum_rows": "np.sum({0}, axis=1)",
    "sum_columns": "np.sum({0}, axis=0)",
    "spread_rows": "{0}[:, None]",
    "spread_columns": "{0}[None, :]",
    "axis_max": "np.max({0}, axis={1})",
    # Lᵀ G with L = cumsum(I): the running sum from the end, O(n) (printing/codeopt).
    "cumsum_reversed": "np.flip(np.cumsum(np.flip({0}, axis=0), axis=0), axis=0)",
}


def op_key(spec: NodeSpec) -> str:
    """A node op's key in the call tables (a function's key is its name)."""
    return f"op:{spec.key}"


def _ops(backend: str) -> dict[str, str]:
    """Every registered op's template in one backend's spelling."""
    out: dict[str, str] = {}
    for name, f in FUNCTIONS.items():
        template = f.code_template(backend)
        if template is not None:
            out[name] = template
    for spec in NODES.values():
        form = spec.code_form(backend)
        if isinstance(form, str):
            out[op_key(spec)] = form
    return out


def _op_helpers(backend: str) -> dict[str, str]:
    """The helper functions registered ops need in one backend (an op's ``helpers``)."""
    out: dict[str, str] = {}
    for spec in [*FUNCTIONS.values(), *NODES.values()]:
        out.update(spec.helpers.get(backend, {}))
    return out


_NUMPY_HELPERS = {
    "_sigmoid": '''def _sigmoid(x):
    """σ(x) = 1 / (1 + e^{-x}) without overflow for large |x|."""
    return np.exp(-np.logaddexp(0.0, -x))''',
    "_softmax": """def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)""",
    "_log_softmax": """def _log_softmax(z):
    shifted = z - np.max(z)
    return shifted - np.log(np.sum(np.exp(shifted)))""",
    "_logsumexp": """def _logsumexp(z):
    top = np.max(z)
    return top + np.log(np.sum(np.exp(z - top)))""",
    "_logsumexp_axis": """def _logsumexp_axis(z, axis):
    top = np.max(z, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.sum(np.exp(z - top), axis=axis))""",
    "_softmax_axis": """def _softmax_axis(z, axis):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)""",
    "_log_softmax_axis": """def _log_softmax_axis(z, axis):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))""",
    "_argmax_mask": '''def _argmax_mask(z, axis):
    """1 at the first largest entry along axis, 0 elsewhere: where max sends its gradient."""
    index = np.argmax(z, axis=axis)
    if z.ndim == 1:
        return (np.arange(z.shape[0]) == index) * 1.0
    return (np.expand_dims(np.arange(z.shape[axis]), 1 - axis) == np.expand_dims(index, axis)) * 1.0''',
    "_basis": """def _basis(n, i):
    e = np.zeros(n)
    e[i] = 1.0
    return e""",
    "_label": '''def _label(y):
    """A class label as an int (every input arrives as a float array)."""
    return int(np.real(np.asarray(y)).reshape(()))''',
    "_scalar": '''def _scalar(v):
    """A 0-d or 1×1 result as a Python number (complex stays complex, for complex-step checks)."""
    return np.asarray(v).reshape(()).item()''',
    "_arr": '''def _arr(v):
    """Inputs as float64 arrays; complex inputs stay complex (complex-step checks)."""
    a = np.asarray(v)
    return a.astype(np.result_type(a.dtype, np.float64), copy=False)''',
    "_hessian_by_hvp": '''def _hessian_by_hvp(hvp, at, *args):
    """Stack Hessian-vector products with unit seeds into v.shape + v.shape."""
    at = np.asarray(at, dtype=float)
    out = np.zeros(at.shape + at.shape)
    for index in np.ndindex(at.shape):
        seed = np.zeros(at.shape)
        seed[index] = 1.0
        out[index] = np.reshape(hvp(seed, *args), at.shape)
    return out''',
}

_JACOBIAN_BY_VJP = '''def _jacobian_by_vjp(vjp, out_shape, names, *args):
    """Stack vector-Jacobian products with unit seeds into out.shape + v.shape."""
    rows = {{}}
{setup}    for index in {indices}:
        seed = {seed}
        for name, row in vjp(seed, *args)[1].items():
            if name in names:
                rows.setdefault(name, []).append({asarray}(row))
    return {{
        name: {stack}(rows[name]).reshape(tuple(out_shape) + tuple(rows[name][0].shape))
        for name in names
    }}'''


def _jacobian_by_vjp(**spelling: str) -> str:
    """The one seeded-VJP loop, in a library's spelling (only how a seed is made differs)."""
    return _JACOBIAN_BY_VJP.format(**{"setup": "", **spelling})


_NUMPY_HELPERS["_jacobian_by_vjp"] = _jacobian_by_vjp(
    indices="np.ndindex(out_shape)",
    seed="np.zeros(out_shape)\n        seed[index] = 1.0",
    asarray="np.asarray",
    stack="np.stack",
)

NUMPY = Backend(
    name="numpy",
    header="import numpy as np",
    calls=_frozen({**_NUMPY_CALLS, **_ops("numpy")}),
    helpers=_frozen({**_NUMPY_HELPERS, **_op_helpers("numpy")}),
    module_lines=_frozen({"shape": "np.shape({0})", "device": ""}),
)


_TORCH_CALLS = {
    **{k: v.replace("np.", "torch.") for k, v in _NUMPY_CALLS.items()},
    "log_sigmoid": "torch.nn.functional.logsigmoid({0})",
    "zeros": "torch.zeros({0}, dtype=torch.float64, device=_dev)",
    "ones": "torch.ones({0}, dtype=torch.float64, device=_dev)",
    "eye": "torch.eye({0}, dtype=torch.float64, device=_dev)",
    "inf": "math.inf",
    "basis": "_basis({0}, {1}, _dev)",
    "label": "_label({0})",
    "sum_rows": "torch.sum({0}, dim=1)",
    "sum_columns": "torch.sum({0}, dim=0)",
    "axis_max": "torch.amax({0}, dim={1})",
    "cumsum_reversed": "torch.flip(torch.cumsum(torch.flip({0}, dims=(0,)), dim=0), dims=(0,))",
    **_ops("torch"),
}

_TORCH_HELPERS = {
    "_sigmoid": """def _sigmoid(x):
    return torch.sigmoid(x)""",
    "_softmax": """def _softmax(z):
    return torch.softmax(z, dim=0)""",
    "_log_softmax": """def _log_softmax(z):
    return torch.log_softmax(z, dim=0)""",
    "_logsumexp": """def _logsumexp(z):
    return torch.logsumexp(z, dim=0)""",
    "_logsumexp_axis": """def _logsumexp_axis(z, axis):
    return torch.logsumexp(z, dim=axis)""",
    "_softmax_axis": """def _softmax_axis(z, axis):
    return torch.softmax(z, dim=axis)""",
    "_log_softmax_axis": """def _log_softmax_axis(z, axis):
    return torch.log_softmax(z, dim=axis)""",
    "_argmax_mask": '''def _argmax_mask(z, axis):
    """1 at the first largest entry along axis, 0 elsewhere: where max sends its gradient."""
    index = torch.argmax(z, dim=axis, keepdim=True)
    return torch.zeros_like(z).scatter_(axis, index, 1.0)''',
    "_device": '''def _device(*inputs):
    """Where the module's constants live: the device of the first array input."""
    for t in inputs:
        if t.ndim > 0:
            return t.device
    return inputs[0].device if inputs else torch.device("cpu")''',
    "_basis": """def _basis(n, i, device=None):
    e = torch.zeros(n, dtype=torch.float64, device=device)
    e[i] = 1.0
    return e""",
    "_label": '''def _label(y):
    """A class label as an int (every input arrives as a float tensor)."""
    return int(torch.as_tensor(y).reshape(()).real.item())''',
    "_scalar": '''def _scalar(v):
    """A 0-d or 1×1 result as a 0-d tensor (it stays on its device and in the autograd graph)."""
    return torch.as_tensor(v).reshape(())''',
    "_arr": '''def _arr(v):
    """Inputs as float64 tensors on their own device (lists and NumPy arrays go to the CPU)."""
    t = torch.as_tensor(v)
    return t if t.is_complex() else t.to(torch.float64)''',
    "_maximum": """def _maximum(a, b):
    return torch.maximum(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64))""",
    "_minimum": """def _minimum(a, b):
    return torch.minimum(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64))""",
    "_where": '''def _where(condition, a, b):
    """torch.where in float64: Python numbers would otherwise make a float32 result."""
    def f64(v):
        return torch.as_tensor(v, dtype=torch.float64, device=condition.device)

    return torch.where(condition, f64(a), f64(b))''',
    "_indicator": """def _indicator(compare, a, b):
    return compare(torch.as_tensor(a), torch.as_tensor(b)).to(torch.float64)""",
    "_hessian_by_hvp": '''def _hessian_by_hvp(hvp, at, *args):
    """Stack Hessian-vector products with unit seeds into v.shape + v.shape."""
    at = torch.as_tensor(at, dtype=torch.float64)
    out = torch.zeros(at.shape + at.shape, dtype=torch.float64, device=at.device)
    for index in itertools.product(*(range(n) for n in at.shape)):
        seed = torch.zeros(at.shape, dtype=torch.float64, device=at.device)
        seed[index] = 1.0
        out[index] = torch.reshape(hvp(seed, *args), at.shape)
    return out''',
}

_TORCH_HELPERS["_jacobian_by_vjp"] = _jacobian_by_vjp(
    setup="    device = _arr(args[0]).device\n",
    indices="itertools.product(*(range(n) for n in out_shape))",
    seed="torch.zeros(tuple(out_shape), dtype=torch.float64, device=device)\n        seed[index] = 1.0",
    asarray="torch.as_tensor",
    stack="torch.stack",
)

TORCH = Backend(
    name="torch",
    header="import itertools\nimport math\n\nimport torch",
    calls=_frozen(_TORCH_CALLS),
    helpers=_frozen({**_TORCH_HELPERS, **_op_helpers("torch")}),
    module_lines=_frozen({"shape": "tuple(torch.as_tensor({0}).shape)", "device": "_dev"}),
)


_JAX_CALLS = {
    **{k: v.replace("np.", "jnp.") for k, v in _NUMPY_CALLS.items()},
    "log_sigmoid": "jax.nn.log_sigmoid({0})",
    "inf": "jnp.inf",
    **_ops("jax"),
}

_JAX_HELPERS = {
    "_sigmoid": """def _sigmoid(x):
    return jax.nn.sigmoid(x)""",
    "_softmax": """def _softmax(z):
    return jax.nn.softmax(z)""",
    "_log_softmax": """def _log_softmax(z):
    return jax.nn.log_softmax(z)""",
    "_logsumexp": """def _logsumexp(z):
    return jax.scipy.special.logsumexp(z)""",
    "_logsumexp_axis": """def _logsumexp_axis(z, axis):
    return jax.scipy.special.logsumexp(z, axis=axis)""",
    "_softmax_axis": """def _softmax_axis(z, axis):
    return jax.nn.softmax(z, axis=axis)""",
    "_log_softmax_axis": """def _log_softmax_axis(z, axis):
    return jax.nn.log_softmax(z, axis=axis)""",
    "_argmax_mask": '''def _argmax_mask(z, axis):
    """1 at the first largest entry along axis, 0 elsewhere: where max sends its gradient."""
    index = jnp.argmax(z, axis=axis)
    if z.ndim == 1:
        return (jnp.arange(z.shape[0]) == index) * 1.0
    return (jnp.expand_dims(jnp.arange(z.shape[axis]), 1 - axis) == jnp.expand_dims(index, axis)) * 1.0''',
    "_basis": """def _basis(n, i):
    return jnp.zeros(n).at[i].set(1.0)""",
    "_label": '''def _label(y):
    """A class label as an integer array (it may be traced under jax.jit)."""
    return jnp.asarray(y).reshape(()).astype(jnp.int32)''',
    "_scalar": '''def _scalar(v):
    """A 0-d or 1×1 result as a 0-d array (a tracer under jax.jit)."""
    return jnp.reshape(v, ())''',
    "_arr": '''def _arr(v):
    """Inputs as arrays of JAX's default float type: float64 once jax_enable_x64 is set."""
    return jnp.asarray(v, dtype=jnp.result_type(float))''',
    "_hessian_by_hvp": '''def _hessian_by_hvp(hvp, at, *args):
    """Stack Hessian-vector products with unit seeds into v.shape + v.shape."""
    shape = jnp.shape(at)
    rows = [
        jnp.reshape(hvp(jnp.zeros(shape).at[index].set(1.0), *args), shape)
        for index in itertools.product(*(range(n) for n in shape))
    ]
    return jnp.stack(rows).reshape(shape + shape)''',
}

_JAX_HELPERS["_jacobian_by_vjp"] = _jacobian_by_vjp(
    indices="itertools.product(*(range(n) for n in out_shape))",
    seed="jnp.zeros(tuple(out_shape)).at[index].set(1.0)",
    asarray="jnp.asarray",
    stack="jnp.stack",
)

JAX = Backend(
    name="jax",
    header="import itertools\n\nimport jax\nimport jax.numpy as jnp\nimport jax.scipy.special",
    calls=_frozen(_JAX_CALLS),
    helpers=_frozen({**_JAX_HELPERS, **_op_helpers("jax")}),
    module_lines=_frozen({"shape": "jnp.shape({0})", "device": ""}),
)

BACKENDS: Mapping[str, Backend] = MappingProxyType({b.name: b for b in (NUMPY, TORCH, JAX)})
