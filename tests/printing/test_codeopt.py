"""The generated code's cheaper trees: same values, less array work.

Work is counted from the shapes (multiply-adds of each product, entries of each array built),
never timed; the values are compared by running the generated module against the tree as
the derivation wrote it.
"""

from __future__ import annotations

import re

import numpy as np
import sympy as sp

from derivations import derive
from derivations.expr import nodes as N
from derivations.expr import shapes as S
from derivations.ops.nodeops import Cumsum
from derivations.printing.codeopt import optimise
from derivations.printing.numpy_code import CodePrinter
from derivations.verify.numeric import load_module

n, m, k = (S.dim(x) for x in ("n", "m", "k"))


def _var(name: str, rows: sp.Expr, cols: sp.Expr = S.ONE) -> N.Var:
    return N.Var(name, (rows, cols))


def _flops(node: N.Node) -> sp.Expr:
    """Multiply-adds of the dense products in ``node`` (a scaling diag(v) B costs B's size)."""
    total = sp.Integer(0)
    for sub in N.walk(node):
        if isinstance(sub, N.MatMul):
            a, b = sub.children
            if isinstance(a, N.Diag) or isinstance(b, N.Diag):
                total += S.length(sub.shape)
            else:
                total += a.shape[0] * a.shape[1] * b.shape[1]
    return total


def test_a_shared_operand_is_factored_out_of_a_sum() -> None:
    X, a, b = _var("X", n, m), _var("a", n), _var("b", n)
    tree = N.MatMul(N.Transpose(X), N.Add(N.MatMul(N.Diag(a), X), N.Neg(N.MatMul(N.Diag(b), X))))
    got = optimise(tree)
    assert got == N.MatMul(N.Transpose(X), N.MatMul(N.Diag(N.Add(a, N.Neg(b))), X))
    A, B, C = _var("A", n, m), _var("B", m, k), _var("C", m, k)
    assert optimise(N.Add(N.MatMul(A, B), N.MatMul(A, C))) == N.MatMul(A, N.Add(B, C))


def test_diagonal_and_dense_operands_are_never_mixed() -> None:
    """diag(a) X + Y X would need diag(a) + Y: the n×n diagonal built densely."""
    X, a, Y = _var("X", n, m), _var("a", n), _var("Y", n, n)
    tree = N.Add(N.MatMul(N.Diag(a), X), N.MatMul(Y, X))
    assert optimise(tree) == tree


def test_identity_factors_are_dropped() -> None:
    X = _var("X", n, m)
    assert optimise(N.MatMul(N.Identity(n), X)) == X
    assert optimise(N.MatMul(X, N.Identity(m))) == X


def test_a_chain_takes_the_cheaper_order_only_where_the_shapes_tell() -> None:
    A, B, v = _var("A", n, m), _var("B", m, k), _var("v", k)
    slow = N.MatMul(N.MatMul(A, B), v)
    fast = optimise(slow)
    assert fast == N.MatMul(A, N.MatMul(B, v))
    assert sp.expand(_flops(slow) - _flops(fast)) == sp.expand(n * m * k + n * k - m * k - n * m)
    # (A B) C against A (B C) for n×m, m×k, k×n: which is cheaper depends on the sizes.
    C = _var("C", k, n)
    undecided = N.MatMul(N.MatMul(A, B), C)
    assert optimise(undecided) == undecided
    # (uᵀ v) wᵀ would make a 0-d operand of @: never chosen.
    u, x, w = _var("u", n), _var("x", n), _var("w", m)
    outer_first = N.MatMul(N.Transpose(u), N.MatMul(x, N.Transpose(w)))
    assert all(
        not (isinstance(s, N.MatMul) and S.is_scalar(s.children[0].shape))
        for s in N.walk(optimise(outer_first))
    )


def test_logistic_hessian_code_is_the_closed_forms_work() -> None:
    """One scaling of X and one product, as Xᵀ diag(σ(1 − σ)) X by hand: no N×N diagonal and
    no second N×n array."""
    result = derive("sum(log(1 + exp(X @ w)))", {"X": ("N", "n"), "w": ("n",)}, wrt="w",
                    hessian=True)  # fmt: skip
    assert result.verification_passed
    code = result.code["numpy"]
    body = code.split("def hessian")[1]
    assert "np.diag" not in body and "np.eye" not in body
    assert len(re.findall(r"\[(:, None|None, :)\]", body)) == 1  # one scaling of X or Xᵀ
    (line,) = [x for x in body.splitlines() if x.strip().startswith("H_w =")]
    assert line.count("@") == 1  # and one product
    rng = np.random.default_rng(3)
    X, w = rng.standard_normal((40, 7)), rng.standard_normal(7)
    s = 1 / (1 + np.exp(-X @ w))
    expected = X.T @ ((s * (1 - s))[:, None] * X)
    got = load_module(code)["hessian"](X, w)["w"]
    assert np.max(np.abs(got - expected)) <= 1e-12 * np.max(np.abs(expected))


def test_generated_products_never_build_a_diagonal_identity_or_ones() -> None:
    """Across programs whose derivatives multiply by diag(v), I or 𝟏: no eye/diag/ones array is
    an operand of @ in the generated code."""
    programs = [
        ("sum(log(1 + exp(X @ w)))", {"X": ("N", "n"), "w": ("n",)}),
        ("u.T @ tanh(W @ x + b)", {"u": ("n",), "W": ("n", "m"), "x": ("m",), "b": ("n",)}),
        ("sum((X @ w - y) * (X @ w - y))", {"X": ("N", "n"), "w": ("n",), "y": ("N",)}),
        ("sum(sigmoid(A @ x))", {"A": ("m", "n"), "x": ("n",)}),
    ]
    built = re.compile(
        r"np\.(eye|diag|ones)\([^()]*(\([^()]*\))?[^()]*\)\s*@|@\s*np\.(eye|diag|ones)\("
    )
    for program, variables in programs:
        code = derive(program, variables, hessian=True, verify=False).code["numpy"]
        assert not built.search(code), (program, code)


def test_a_matrix_of_ones_in_a_product_becomes_a_spread_sum() -> None:
    """𝟏𝟏ᵀ Y (the softmax cross-entropy's Δ over a batch) is Y's column sums spread over the
    rows: k·B additions, not a k×k matrix of ones times Y (k²·B)."""
    Y = _var("Y", k, m)
    one = S.ONE
    got = optimise(N.MatMul(N.Ones((k, k)), Y))
    assert got == N.MatMul(N.Ones((k, one)), N.MatMul(N.Ones((one, k)), Y))
    assert optimise(N.MatMul(Y, N.Ones((m, m)))) == N.MatMul(
        N.MatMul(Y, N.Ones((m, one))), N.Ones((one, m))
    )
    code = derive(
        "-sum(Y * log_softmax(W @ X + b, axis=0))",
        {"W": ("k", "n"), "X": ("n", "B"), "b": ("k",), "Y": ("k", "B")},
    )
    assert code.verification_passed
    assert "np.ones((k, k))" not in code.code["numpy"]


def _lower(size: sp.Expr) -> N.Node:
    return Cumsum(N.Identity(size))


def test_a_running_sum_is_never_a_product_by_the_triangular_ones() -> None:
    """cumsum's gradient is Lᵀ u with L = cumsum(I): the code computes the running sum from the
    end (n additions per column), never builds the n×n L to multiply by (n² multiply-adds)."""
    u, G = _var("u", n), _var("G", n, m)
    L = _lower(n)
    assert optimise(N.MatMul(L, G)) == Cumsum(G)
    assert optimise(N.MatMul(N.Transpose(G), N.Transpose(L))) == N.Transpose(Cumsum(G))
    printer = CodePrinter()
    for tree in (N.MatMul(N.Transpose(L), u), N.MatMul(N.Transpose(u), L), N.MatMul(L, G)):
        text = printer.doprint(optimise(tree))
        assert "@" not in text and "eye" not in text, text
    rng = np.random.default_rng(5)
    g = rng.standard_normal((6, 3))
    lower = np.tril(np.ones((6, 6)))
    reversed_sum = eval(printer.doprint(optimise(N.MatMul(N.Transpose(L), G))), {"np": np, "G": g})
    assert np.allclose(reversed_sum, lower.T @ g, rtol=1e-14, atol=1e-14)


def test_cumsum_derivative_code_builds_no_triangular_matrix() -> None:
    """The gradient and Hessian functions of programs through cumsum: no n×n eye or L built
    (the Hessian −Lᵀ diag(sin) L is two running sums of the diagonal), the values right."""
    cases = [
        ("u.T @ cumsum(x)", {"u": ("n",), "x": ("n",)}, "x"),
        ("sum(cumsum(W) * W)", {"W": ("n", "m")}, "W"),
        ("sum(sin(cumsum(x)))", {"x": ("n",)}, "x"),
    ]
    rng = np.random.default_rng(5)
    sizes = {"n": 6, "m": 3}
    for program, variables, wrt in cases:
        result = derive(program, variables, hessian=True)
        assert result.verification_passed, program
        code = result.code["numpy"]
        assert "np.eye" not in code, (program, code)
        module = load_module(code)
        args = {v: rng.standard_normal(tuple(sizes[d] for d in ds)) for v, ds in variables.items()}
        _, grads = module["value_and_grad"](**args)
        x, h = args[wrt], 1e-6
        bump = np.zeros_like(x)
        bump.flat[1] = h
        slope = (
            module["value"](**{**args, wrt: x + bump}) - module["value"](**{**args, wrt: x - bump})
        ) / (2 * h)
        assert abs(slope - grads[wrt].flat[1]) <= 1e-6, program
    x = rng.standard_normal(6)
    lower = np.tril(np.ones((6, 6)))
    hessian = load_module(result.code["numpy"])["hessian"](x)["x"]
    assert np.allclose(hessian, -lower.T @ np.diag(np.sin(lower @ x)) @ lower, atol=1e-13)


def test_a_gradient_that_repeats_a_vector_multiplies_nothing() -> None:
    """sum(A @ V) by A is 𝟏 (V 𝟏)ᵀ: V's row sums repeated down n rows. The code once built
    np.ones(n) and an outer product (n·m multiplies); now it sums once (m·k additions) and
    repeats the row, with no ones array and no product in the gradient's lines."""
    variables = {"A": ("n", "m"), "V": ("m", "k")}
    result = derive("sum(A @ V)", variables)
    assert result.verification_passed
    code = result.code["numpy"]
    lines = [line for line in code.splitlines() if line.strip().startswith("grad_")]
    assert len(lines) == 2, code
    for line in lines:
        assert not re.search(r"ones|outer|@|\*", line), line  # no allocation of 1s, no product
    rng = np.random.default_rng(5)
    A, V = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    _, grads = load_module(code)["value_and_grad"](A, V)
    np.testing.assert_allclose(grads["A"], np.ones((4, 2)) @ V.T, rtol=1e-14)
    np.testing.assert_allclose(grads["V"], A.T @ np.ones((4, 2)), rtol=1e-14)
    assert grads["A"].flags.writeable and grads["V"].flags.writeable  # arrays, not views
