"""One or more small programs per op of the op table, shared by the rule and printer tests.

A new node class or elementwise function must get an entry here; ``test_every_op_is_covered``
fails until it does, and the parametrised tests then check its rules against finite
differences, the engine and SymPy, and its printers.
"""

from __future__ import annotations

from derivations.expr import nodes as N
from derivations.expr import shapes as S

V = {"x": ("n",), "y": ("n",), "W": ("n", "m"), "v": ("m",), "A": ("n", "n"), "a": (), "c": ()}


def _vars(*names: str) -> dict[str, tuple[str, ...]]:
    return {k: V[k] for k in names}


# (op, program, variables, hessian?) — programs with a scalar output check gradients (and
# Hessians where marked); programs with a vector output check Jacobians or partials.
USER_PROGRAMS: list[tuple[str, str, dict, bool]] = [
    ("Var", "x.T @ y", _vars("x", "y"), True),
    ("Const", "sum(3 * x + 2)", _vars("x"), False),
    ("Add", "x + y", _vars("x", "y"), False),
    ("Neg", "-(W @ v)", _vars("W", "v"), False),
    ("Mul", "sum(x * y * x) + a * c", _vars("x", "y", "a", "c"), True),
    ("Div", "sum(x / y) + a / c", _vars("x", "y", "a", "c"), True),
    ("MatMul", "x.T @ W @ v", _vars("x", "W", "v"), True),
    ("MatMul", "W @ v", _vars("W", "v"), False),
    ("Transpose", "sum(W.T @ x)", _vars("W", "x"), False),
    ("Inverse", "x.T @ inv(A) @ y", _vars("x", "A", "y"), True),
    ("Det", "det(A)", _vars("A"), True),
    ("LogDet", "logdet(A)", _vars("A"), True),
    ("Trace", "trace(A @ A)", _vars("A"), True),
    ("Diag", "sum(diag(x) @ A)", _vars("x", "A"), True),
    ("Sum", "sum(W)", _vars("W"), False),
    ("Mean", "mean(W * W)", _vars("W"), True),
    ("Norm2", "norm2(W) + norm2(x)", _vars("W", "x"), True),
    ("Softmax", "softmax(x)", _vars("x"), False),
    ("Softmax", "y.T @ softmax(x)", _vars("x", "y"), True),
    ("LogSoftmax", "log_softmax(x)", _vars("x"), False),
    ("LogSoftmax", "-y.T @ log_softmax(x)", _vars("x", "y"), True),
    ("LogSumExp", "logsumexp(W @ v)", _vars("W", "v"), True),
    ("Concat", "concat(x, y)", _vars("x", "y"), False),
    ("Concat", "u = concat(x, y); u.T @ u", _vars("x", "y"), True),
    ("exp", "sum(exp(x))", _vars("x"), True),
    ("log", "sum(log(x))", _vars("x"), True),
    ("sqrt", "sum(sqrt(x))", _vars("x"), True),
    ("abs", "sum(abs(x))", _vars("x"), False),
    ("sin", "sum(sin(x))", _vars("x"), True),
    ("cos", "sum(cos(x))", _vars("x"), True),
    ("tanh", "tanh(W @ v)", _vars("W", "v"), False),
    ("sigmoid", "sum(sigmoid(W @ v))", _vars("W", "v"), True),
    ("relu", "sum(relu(W @ v) ** 2)", _vars("W", "v"), True),
    ("leaky_relu", "sum(leaky_relu(x, a) * y)", _vars("x", "a", "y"), False),
    ("softplus", "sum(softplus(x))", _vars("x"), True),
    ("max", "sum(max(x, y) * x)", _vars("x", "y"), False),
    ("min", "sum(min(x, a))", _vars("x", "a"), False),
    ("pow", "sum(x ** 3) + sum(y ** a)", _vars("x", "y", "a"), True),
    ("Apply", "sum(tanh(x) * sigmoid(y))", _vars("x", "y"), True),
]

# Ops that only derivatives produce, exercised by building the typed tree directly.
_x = N.Var("x", S.column(S.dim("n")))
_y = N.Var("y", S.column(S.dim("n")))
_a_mat = N.Var("A", (S.dim("n"), S.dim("n")))
_n = S.dim("n")

NODE_PROGRAMS: list[tuple[str, N.Node, dict[str, N.Var]]] = [
    ("Zeros", N.Sum(N.Add(N.Mul(_x, _x), N.Zeros(_x.shape))), {"x": _x}),
    ("Ones", N.MatMul(N.Transpose(N.Ones(_x.shape)), N.Mul(_x, _x)), {"x": _x}),
    ("Identity", N.MatMul(N.Transpose(_x), N.MatMul(N.Identity(_n), _y)), {"x": _x, "y": _y}),
    ("DiagPart", N.MatMul(N.Transpose(N.DiagPart(_a_mat)), _x), {"A": _a_mat, "x": _x}),
    ("Slice", N.Sum(N.Mul(N.Slice(N.Concat(_x, _y), _n, 2 * _n), _x)), {"x": _x, "y": _y}),
    ("gt", N.Sum(N.Mul(N.Apply("gt", _x, _y), _x)), {"x": _x, "y": _y}),
    ("ge", N.Sum(N.Mul(N.Apply("ge", _x, _y), _y)), {"x": _x, "y": _y}),
    ("sign", N.Sum(N.Mul(N.Apply("sign", _x), _y)), {"x": _x, "y": _y}),
    ("leaky_step", N.Sum(N.Mul(N.Apply("leaky_step", _x, N.Const(0.2)), _y)), {"x": _x, "y": _y}),
]

# Basis only appears in index forms (seeded reverse passes); the printers and the exact
# evaluator are tested on it directly.
INDEX_ONLY = {"Basis"}
