"""The single-edit mutants of bench/mutants.py: (file under derivations/, old text, new text).

Areas: rules (adjoint and Jacobian tables), simplifier (calculus/algebra.py), scalar
derivatives (expr/functions.py), printers (NumPy, LaTeX, index), elaborator, sampler. Display
mutants are marked ``display``; sampler mutants carry a second edit, the calculus mistake that
a weaker sampler could let through.
"""

from __future__ import annotations

R, AL, F = "calculus/rules.py", "calculus/algebra.py", "expr/functions.py"
NP, LX, IX = "printing/numpy_code.py", "printing/latex.py", "printing/index.py"
EL, SA, SZ = "language/elaborate.py", "verify/sampling.py", "verify/sizes.py"


def _m(id_: str, area: str, path: str, old: str, new: str, **kw) -> dict:
    return {"id": id_, "area": area, "edits": [(path, old, new)], **kw}


_MEAN_NM = (R, "N.Const(1 / S.length(a.shape))", "N.Const(1 / (a.shape[0] + a.shape[1]))")
_ABS_STEP = (F, "return sign(self.args[0])", "return gt(self.args[0], sp.Integer(0))")
_LOGDET_LOG = (
    NP,
    'return f"np.linalg.slogdet({self.doprint(node.children[0])})[1]", ATOM',
    'return f"np.log(np.linalg.det({self.doprint(node.children[0])}))", ATOM',
)

MUTANTS: list[dict] = [
    # -- rules: adjoints ---------------------------------------------------------------------
    _m(
        "vjp-add-doubled",
        "rules",
        R,
        "return [unbroadcast(g, c) for c in node.children]",
        "return [unbroadcast(A.mul(N.Const(2), g), c) for c in node.children]",
    ),
    _m(
        "vjp-neg-dropped",
        "rules",
        R,
        "def _vjp_neg(node: N.Node, g: N.Node) -> list[N.Node | None]:\n    return [A.neg(g)]",
        "def _vjp_neg(node: N.Node, g: N.Node) -> list[N.Node | None]:\n    return [g]",
    ),
    _m("vjp-mul-squared", "rules", R, "A.mul(g, *others)", "A.mul(g, *others, *others)"),
    _m(
        "vjp-div-numerator",
        "rules",
        R,
        "ga = unbroadcast(A.div(g, b), a)",
        "ga = unbroadcast(A.mul(g, b), a)",
    ),
    _m(
        "vjp-div-sign",
        "rules",
        R,
        "gb = unbroadcast(A.neg(A.div(A.mul(g, a), A.power(b, N.Const(2)))), b)",
        "gb = unbroadcast(A.div(A.mul(g, a), A.power(b, N.Const(2))), b)",
    ),
    _m("vjp-div-power", "rules", R, "A.power(b, N.Const(2)))), b)", "A.power(b, N.Const(3)))), b)"),
    _m(
        "vjp-matmul-right-untransposed",
        "rules",
        R,
        "return [A.matmul(g, A.transpose(b)), A.matmul(A.transpose(a), g)]",
        "return [A.matmul(g, A.transpose(b)), A.matmul(a, g) if a.shape[0] == a.shape[1] else A.matmul(A.transpose(a), g)]",
    ),
    _m(
        "vjp-matmul-left-untransposed",
        "rules",
        R,
        "return [A.matmul(g, A.transpose(b)), A.matmul(A.transpose(a), g)]",
        "return [A.matmul(g, b) if b.shape[0] == b.shape[1] else A.matmul(g, A.transpose(b)), A.matmul(A.transpose(a), g)]",
    ),
    _m(
        "vjp-inverse-sign",
        "rules",
        R,
        "return [A.neg(A.matmul(A.matmul(_inverse_t(a), g), _inverse_t(a)))]",
        "return [A.matmul(A.matmul(_inverse_t(a), g), _inverse_t(a))]",
    ),
    _m(
        "vjp-inverse-order",
        "rules",
        R,
        "return [A.neg(A.matmul(A.matmul(_inverse_t(a), g), _inverse_t(a)))]",
        "return [A.neg(A.matmul(A.matmul(_inverse_t(a), _inverse_t(a)), g))]",
    ),
    _m(
        "vjp-det-untransposed",
        "rules",
        R,
        "return [A.mul(g, N.Det(a), _inverse_t(a))]",
        "return [A.mul(g, N.Det(a), N.Inverse(a))]",
    ),
    _m(
        "vjp-logdet-untransposed",
        "rules",
        R,
        "return [A.mul(g, _inverse_t(a))]",
        "return [A.mul(g, N.Inverse(a))]",
    ),
    _m(
        "vjp-trace-ones",
        "rules",
        R,
        "return [A.mul(g, N.Identity(a.shape[0]))]",
        "return [A.mul(g, N.Ones(a.shape))]",
    ),
    _m(
        "vjp-sum-doubled",
        "rules",
        R,
        "return [A.mul(g, N.Ones(a.shape))]",
        "return [A.mul(g, N.Const(2), N.Ones(a.shape))]",
    ),
    _m("vjp-mean-n-plus-m", "rules", *_MEAN_NM),
    _m(
        "vjp-norm2-squared",
        "rules",
        R,
        "return [A.mul(g, A.div(a, node))]",
        "return [A.mul(g, A.div(a, A.power(node, N.Const(2))))]",
    ),
    _m(
        "vjp-softmax-diagonal-only",
        "rules",
        R,
        "return [A.mul(node, A.add(g, A.neg(A.matmul(A.transpose(node), g))))]",
        "return [A.mul(node, g)]",
    ),
    _m(
        "vjp-log-softmax-no-sum",
        "rules",
        R,
        "return [A.add(g, A.neg(A.mul(A.sum_(g), N.Softmax(v))))]",
        "return [A.add(g, A.neg(N.Softmax(v)))]",
    ),
    _m(
        "vjp-logsumexp-exp",
        "rules",
        R,
        "return [A.mul(g, N.Softmax(v))]",
        'return [A.mul(g, N.Apply("exp", v))]',
    ),
    _m(
        "vjp-concat-offset",
        "rules",
        R,
        "out.append(A.slice_rows(g, offset, stop))",
        "out.append(A.slice_rows(g, sp.Integer(0), part.shape[0]))",
    ),
    _m(
        "vjp-apply-squared",
        "rules",
        R,
        "unbroadcast(A.mul(g, d), child)",
        "unbroadcast(A.mul(g, d, d), child)",
    ),
    # -- rules: Jacobians --------------------------------------------------------------------
    _m(
        "jac-neg-dropped",
        "rules",
        R,
        "return None if js[0] is None else A.neg(js[0])",
        "return None if js[0] is None else js[0]",
    ),
    _m(
        "jac-div-numerator-sign",
        "rules",
        R,
        "return A.div(N.Const(1), b)",
        "return A.div(N.Const(-1), b)",
    ),
    _m(
        "jac-div-denominator-sign",
        "rules",
        R,
        "return A.neg(A.div(a, A.power(b, N.Const(2))))",
        "return A.div(a, A.power(b, N.Const(2)))",
    ),
    _m(
        "jac-matmul-row-sign",
        "rules",
        R,
        "terms.append(A.matmul(A.transpose(b), ja))",
        "terms.append(A.matmul(A.transpose(A.neg(b)), ja))",
    ),
    _m(
        "jac-matmul-sign",
        "rules",
        R,
        "terms.append(A.matmul(a, jb))",
        "terms.append(A.matmul(A.neg(a), jb))",
    ),
    _m(
        "jac-mean-count",
        "rules",
        R,
        "return A.mul(N.Const(1 / _entries(node.children[0])), j)",
        "return A.mul(N.Const(1 / (_entries(node.children[0]) + 1)), j)",
    ),
    _m(
        "jac-norm2-unscaled",
        "rules",
        R,
        "return A.matmul(A.transpose(A.div(_as_column(a), node)), j)",
        "return A.matmul(A.transpose(_as_column(a)), j)",
    ),
    _m(
        "jac-softmax-diagonal",
        "rules",
        R,
        "local = A.add(A.diag(s), A.neg(A.matmul(s, A.transpose(s))))",
        "local = A.diag(s)",
    ),
    _m(
        "jac-log-softmax-identity",
        "rules",
        R,
        "local = A.add(N.Identity(m), A.neg(A.matmul(N.Ones(S.column(m)), A.transpose(N.Softmax(v)))))",
        "local = N.Identity(m)",
    ),
    _m(
        "jac-logsumexp-argument",
        "rules",
        R,
        "return A.matmul(A.transpose(N.Softmax(v)), j)",
        "return A.matmul(A.transpose(v), j)",
    ),
    _m(
        "jac-elementwise-squared",
        "rules",
        R,
        "return A.matmul(A.diag(d), j)",
        "return A.matmul(A.diag(A.mul(d, d)), j)",
    ),
    _m(
        "jac-sum-doubled",
        "rules",
        R,
        "return A.matmul(A.transpose(N.Ones(S.column(m))), j)",
        "return A.mul(N.Const(2), A.matmul(A.transpose(N.Ones(S.column(m))), j))",
    ),
    # -- scalar derivatives ------------------------------------------------------------------
    _m("sigmoid-prime-tanh-form", "scalar derivatives", F, "return s * (1 - s)", "return 1 - s**2"),
    _m(
        "relu-prime-reversed",
        "scalar derivatives",
        F,
        "return gt(self.args[0], sp.Integer(0))",
        "return ge(sp.Integer(0), self.args[0])",
    ),
    _m(
        "softplus-prime-reflected",
        "scalar derivatives",
        F,
        "        return sigmoid(self.args[0])\n",
        "        return sigmoid(-self.args[0])\n",
    ),
    _m(
        "leaky-alpha-prime",
        "scalar derivatives",
        F,
        "return emin(x, sp.Integer(0))",
        "return emax(x, sp.Integer(0))",
    ),
    _m(
        "leaky-prime-slope",
        "scalar derivatives",
        F,
        "return leaky_step(x, alpha)",
        "return leaky_step(x, 1 - alpha)",
    ),
    _m(
        "max-prime-swapped",
        "scalar derivatives",
        F,
        "return ge(a, b) if argindex == 1 else gt(b, a)",
        "return gt(b, a) if argindex == 1 else ge(a, b)",
    ),
    _m(
        "min-prime-swapped",
        "scalar derivatives",
        F,
        "return ge(b, a) if argindex == 1 else gt(a, b)",
        "return gt(a, b) if argindex == 1 else ge(b, a)",
    ),
    _m("abs-prime-step", "scalar derivatives", *_ABS_STEP),
    _m(
        "sin-defined-as-cos",
        "scalar derivatives",
        F,
        'ElementwiseFunction("sin", 1, sp.sin)',
        'ElementwiseFunction("sin", 1, sp.cos)',
    ),
    _m(
        "exp-prime-doubled",
        "scalar derivatives",
        F,
        'ElementwiseFunction("exp", 1, sp.exp)',
        'ElementwiseFunction("exp", 1, lambda x: sp.exp(2 * x) / 2)',
    ),
    _m(
        "cos-prime-sign",
        "scalar derivatives",
        F,
        'ElementwiseFunction("cos", 1, sp.cos)',
        'ElementwiseFunction("cos", 1, lambda x: -sp.cos(x))',
    ),
    _m(
        "sqrt-prime-cube-root",
        "scalar derivatives",
        F,
        'ElementwiseFunction("sqrt", 1, sp.sqrt, domain="positive")',
        'ElementwiseFunction("sqrt", 1, lambda x: x ** sp.Rational(1, 3), domain="positive")',
    ),
    # -- simplifier --------------------------------------------------------------------------
    _m(
        "collect-drops-terms",
        "simplifier",
        AL,
        "coefficients[rest] = coefficients.get(rest, sp.Integer(0)) + c",
        "coefficients[rest] = c",
    ),
    _m(
        "double-negation-kept-negative",
        "simplifier",
        AL,
        "    if isinstance(a, N.Neg):\n        return a.children[0]\n    if is_zero(a):",
        "    if isinstance(a, N.Neg):\n        return a\n    if is_zero(a):",
    ),
    _m(
        "negated-constant-unchanged",
        "simplifier",
        AL,
        "        return N.Const(-a.value)",
        "        return N.Const(a.value)",
    ),
    _m(
        "scale-adds-constants",
        "simplifier",
        AL,
        "return N.Const(c * node.value)",
        "return N.Const(c + node.value)",
    ),
    _m(
        "transpose-product-unreversed",
        "simplifier",
        AL,
        "return matmul(transpose(a.children[1]), transpose(a.children[0]))",
        "return matmul(transpose(a.children[0]), transpose(a.children[1])) if a.children[0].shape == a.children[1].shape else matmul(transpose(a.children[1]), transpose(a.children[0]))",
    ),
    _m(
        "transpose-of-negation",
        "simplifier",
        AL,
        "return neg(transpose(a.children[0]))",
        "return transpose(a.children[0])",
    ),
    _m(
        "diag-product-as-sum",
        "simplifier",
        AL,
        "return diag(mul(a.children[0], b.children[0]))",
        "return diag(add(a.children[0], b.children[0]))",
    ),
    _m(
        "matmul-coefficients-added",
        "simplifier",
        AL,
        "return scale(ca * cb, matmul(ra, rb))",
        "return scale(ca + cb - 1, matmul(ra, rb))",
    ),
    _m(
        "divide-by-constant-multiplies",
        "simplifier",
        AL,
        "return _fit(mul(N.Const(1 / b.value), a), shape)",
        "return _fit(mul(N.Const(b.value), a), shape)",
    ),
    _m(
        "cancel-quotient-exponent",
        "simplifier",
        AL,
        "return div(top, power(base, N.Const(exponent - 1)))",
        "return div(top, power(base, N.Const(exponent)))",
    ),
    _m(
        "reciprocal-sign",
        "simplifier",
        AL,
        "    if is_const(p, -1):\n        return div(N.Const(1), a)",
        "    if is_const(p, -1):\n        return div(N.Const(-1), a)",
    ),
    _m(
        "sum-of-negation",
        "simplifier",
        AL,
        "return neg(sum_(a.children[0]))",
        "return sum_(a.children[0])",
    ),
    _m(
        "sum-drops-coefficient",
        "simplifier",
        AL,
        "return scale(c, sum_(rest))",
        "return sum_(rest)",
    ),
    _m(
        "common-factor-drops-terms",
        "simplifier",
        AL,
        "return [matmul(add(*lefts), right)]",
        "return [matmul(lefts[0], right)]",
    ),
    _m(
        "matmul-drops-scalar",
        "simplifier",
        AL,
        "return mul(*scalar_a, matmul(array, b))",
        "return matmul(array, b)",
    ),
    # -- NumPy printer -----------------------------------------------------------------------
    _m(
        "np-sigmoid-sign",
        "NumPy printer",
        NP,
        "return np.exp(-np.logaddexp(0.0, -x))",
        "return np.exp(-np.logaddexp(0.0, x))",
    ),
    _m("np-softmax-max", "NumPy printer", NP, "return e / np.sum(e)", "return e / np.max(e)"),
    _m(
        "np-log-softmax-unnormalised",
        "NumPy printer",
        NP,
        "return shifted - np.log(np.sum(np.exp(shifted)))",
        "return shifted",
    ),
    _m(
        "np-logsumexp-no-shift",
        "NumPy printer",
        NP,
        "return top + np.log(np.sum(np.exp(z - top)))",
        "return np.log(np.sum(np.exp(z - top)))",
    ),
    _m(
        "np-relu-abs",
        "NumPy printer",
        NP,
        'return f"np.maximum({a[0]}, 0.0)", ATOM',
        'return f"np.abs({a[0]})", ATOM',
    ),
    _m(
        "np-softplus-shift",
        "NumPy printer",
        NP,
        'return f"np.logaddexp(0.0, {a[0]})", ATOM',
        'return f"np.logaddexp(1.0, {a[0]})", ATOM',
    ),
    _m(
        "np-greater-as-less",
        "NumPy printer",
        NP,
        'return f"np.greater({a[0]}, {a[1]}) * 1.0", MUL',
        'return f"np.less({a[0]}, {a[1]}) * 1.0", MUL',
    ),
    _m(
        "np-max-as-min",
        "NumPy printer",
        NP,
        'return f"np.maximum({a[0]}, {a[1]})", ATOM',
        'return f"np.minimum({a[0]}, {a[1]})", ATOM',
    ),
    _m("np-logdet-as-log-det", "NumPy printer", *_LOGDET_LOG),
    _m(
        "np-det-abs",
        "NumPy printer",
        NP,
        'return f"np.linalg.det({self.doprint(node.children[0])})", ATOM',
        'return f"np.abs(np.linalg.det({self.doprint(node.children[0])}))", ATOM',
    ),
    _m(
        "np-transpose-dropped",
        "NumPy printer",
        NP,
        'return f"{self.wrap(a, ATOM)}.T", ATOM',
        "return self.print(a)",
    ),
    _m(
        "np-mean-as-sum",
        "NumPy printer",
        NP,
        'return f"np.mean({self.doprint(node.children[0])})", ATOM',
        'return f"np.sum({self.doprint(node.children[0])})", ATOM',
    ),
    _m(
        "np-norm-unrooted",
        "NumPy printer",
        NP,
        'return f"np.sqrt(np.sum({inner} * {inner}))", ATOM',
        'return f"np.sum({inner} * {inner})", ATOM',
    ),
    _m(
        "np-trace-as-sum",
        "NumPy printer",
        NP,
        'return f"np.trace({self.doprint(node.children[0])})", ATOM',
        'return f"np.sum({self.doprint(node.children[0])})", ATOM',
    ),
    _m(
        "np-inverse-transposed",
        "NumPy printer",
        NP,
        'return f"np.linalg.inv({self.doprint(node.children[0])})", ATOM',
        'return f"np.linalg.inv({self.doprint(node.children[0])}).T", ATOM',
    ),
    _m(
        "np-division-swapped",
        "NumPy printer",
        NP,
        'return f"{self.wrap(a, MUL)} / {self.wrap(b, MUL + 1)}", MUL',
        'return f"{self.wrap(b, MUL)} / {self.wrap(a, MUL + 1)}", MUL',
    ),
    _m(
        "np-negation-dropped",
        "NumPy printer",
        NP,
        'return f"-{self.wrap(node.children[0], POW)}", UNARY',
        "return self.print(node.children[0])",
    ),
    _m("np-power-off-by-one", "NumPy printer", NP, "str(int(p.value))", "str(int(p.value) + 1)"),
    _m(
        "np-sin-cos-swapped",
        "NumPy printer",
        NP,
        '"sin": "np.sin", "cos": "np.cos"',
        '"sin": "np.cos", "cos": "np.sin"',
    ),
    _m(
        "np-leaky-step-swapped",
        "NumPy printer",
        NP,
        'return f"np.where({a[0]} > 0, 1.0, {a[1]})", ATOM',
        'return f"np.where({a[0]} > 0, {a[1]}, 1.0)", ATOM',
    ),
    # -- LaTeX and index printers (display) --------------------------------------------------
    _m(
        "latex-transpose-dropped",
        "LaTeX printer",
        LX,
        'return f"{self.wrap(a, ATOM)}^{{T}}", POW',
        "return self.print(a)",
        display=True,
    ),
    _m(
        "latex-inverse-as-transpose",
        "LaTeX printer",
        LX,
        'return f"{self.wrap(node.children[0], ATOM)}^{{-1}}", POW',
        'return f"{self.wrap(node.children[0], ATOM)}^{{T}}", POW',
        display=True,
    ),
    _m(
        "latex-fraction-swapped",
        "LaTeX printer",
        LX,
        r'return rf"\frac{{{self.doprint(a)}}}{{{self.doprint(b)}}}", ATOM',
        r'return rf"\frac{{{self.doprint(b)}}}{{{self.doprint(a)}}}", ATOM',
        display=True,
    ),
    _m(
        "latex-negation-dropped",
        "LaTeX printer",
        LX,
        'return f"-{self.wrap(node.children[0], MUL)}", ADD',
        "return self.print(node.children[0])",
        display=True,
    ),
    _m(
        "latex-sigma-as-tanh",
        "LaTeX printer",
        LX,
        '"sigmoid": r"\\sigma"',
        '"sigmoid": r"\\tanh"',
        display=True,
    ),
    _m(
        "index-transpose-unswapped",
        "index printer",
        IX,
        "return self.entry(node.children[0], c, r)",
        "return self.entry(node.children[0], r, c)",
        display=True,
    ),
    _m(
        "index-negation-dropped",
        "index printer",
        IX,
        "return -self._at(node.children[0], r, c)",
        "return self._at(node.children[0], r, c)",
        display=True,
    ),
    _m(
        "index-identity-as-one",
        "index printer",
        IX,
        "        return sp.KroneckerDelta(r, c)\n",
        "        return sp.Integer(1)\n",
        display=True,
    ),
    # -- elaborator --------------------------------------------------------------------------
    _m(
        "elab-minus-swapped",
        "elaborator",
        EL,
        "return N.Add(a, N.Neg(b))",
        "return N.Add(b, N.Neg(a))",
    ),
    _m("elab-mean-as-sum", "elaborator", EL, '"mean": _mean,', '"mean": _sum,'),
    _m(
        "elab-dot-as-self-product",
        "elaborator",
        EL,
        "return N.MatMul(N.Transpose(a), b)",
        "return N.MatMul(N.Transpose(a), a)",
    ),
    _m("elab-division-swapped", "elaborator", EL, "return N.Div(a, b)", "return N.Div(b, a)"),
    _m(
        "elab-negation-dropped",
        "elaborator",
        EL,
        "return N.Const(-operand.value) if isinstance(operand, N.Const) else N.Neg(operand)",
        "return N.Const(-operand.value) if isinstance(operand, N.Const) else operand",
    ),
    _m("elab-constant-minus-swapped", "elaborator", EL, '"-": x - y', '"-": y - x'),
    _m(
        "elab-log-softmax-as-softmax",
        "elaborator",
        EL,
        "return N.LogSoftmax(args[0].children[0])",
        "return N.Softmax(args[0].children[0])",
    ),
    _m(
        "elab-frobenius-self",
        "elaborator",
        EL,
        "return N.Sum(N.Mul(a, b))  # the Frobenius inner product",
        "return N.Sum(N.Mul(a, a))  # the Frobenius inner product",
    ),
    _m(
        "elab-concat-reversed",
        "elaborator",
        EL,
        "return args[0] if len(args) == 1 else N.Concat(*args)",
        "return args[0] if len(args) == 1 else N.Concat(*reversed(args))",
    ),
    _m(
        "elab-number-inverted",
        "elaborator",
        EL,
        "return N.Const(sp.Rational(exact.numerator, exact.denominator))",
        "return N.Const(sp.Rational(exact.denominator, exact.numerator) if exact else 0)",
    ),
    # -- sampler (each with the calculus mistake it could hide) ------------------------------
    {
        "id": "sampler-sizes-from-2",
        "area": "sampler",
        "edits": [(SZ, "    value = 3\n", "    value = 2\n"), _MEAN_NM],
    },
    {
        "id": "sampler-one-size-set",
        "area": "sampler",
        "edits": [(SZ, "SIZE_SETS = 2", "SIZE_SETS = 1"), _MEAN_NM],
    },
    {
        "id": "sampler-positive-everywhere",
        "area": "sampler",
        "edits": [
            (
                SA,
                "return Domain(positive, nonzero - positive, conditioned)",
                "return Domain(positive | nonzero, set(), conditioned)",
            ),
            _ABS_STEP,
        ],
    },
    {
        "id": "sampler-positive-determinants",
        "area": "sampler",
        "edits": [
            (SA, "if (np.linalg.det(a) < 0) != negative:", "if np.linalg.det(a) < 0:"),
            _LOGDET_LOG,
        ],
    },
]


# -- where the edits live since the op registry (issue 12) ---------------------------------------
# The functions' SymPy counterparts moved to calculus/elementwise.py, their spellings to the
# registry's specs (ops/functions.py, ops/nodeops.py, the helpers in printing/backends.py), the
# elementwise rules became one partial per op (a mutant of a partial now reaches both modes),
# and the calls' builders moved to the registry. Each moved edit, by mutant id and old text:
FN, OPF, OPN, BK = (
    "calculus/elementwise.py",
    "ops/functions.py",
    "ops/nodeops.py",
    "printing/backends.py",
)
CL, RG = "language/calls.py", "ops/registry.py"
_JAC = "terms.append(None if _is_zero(d) else _local(node, d.times(None), j))"


def _jac_div(k: int) -> tuple[str, str, str]:
    """A Jacobian-only sign flip of Div's partial k (the VJP keeps the right one)."""
    flipped = f"A.neg(d.times(None)) if k == {k} and isinstance(node, N.Div) else d.times(None)"
    return (R, _JAC, _JAC.replace("d.times(None), j", f"{flipped}, j"))


_LOGDET_NP = (OPN, '"np.linalg.slogdet({0})[1]"', '"np.log(np.linalg.det({0}))"')
_MOVED: dict[str, list[tuple[str, str, str]]] = {
    "vjp-add-doubled": [(R, "    return Partial()\n", "    return Partial((N.Const(2),))\n")],
    "vjp-neg-dropped": [(R, "linear(lambda node, g: [A.neg(g)],", "linear(lambda node, g: [g],")],
    "vjp-mul-squared": [(R, "Partial(tuple(c for j, c in", "Partial(2 * tuple(c for j, c in")],
    "vjp-div-numerator": [(R, "return Partial(denominator=b)", "return Partial((b,))")],
    "vjp-div-sign": [(R, "A.power(b, N.Const(2)), negative=True)", "A.power(b, N.Const(2)))")],
    "vjp-div-power": [(R, "A.power(b, N.Const(2)), negative=True)", "A.power(b, N.Const(3)), negative=True)")],
    "vjp-apply-squared": [(R, "return Partial((partial(node.fn, node.children, k),))",
                           "return Partial((partial(node.fn, node.children, k),) * 2, product=True)")],
    "jac-neg-dropped": [(R, "lambda node, js: A.neg(js[0])", "lambda node, js: js[0]")],
    "jac-div-numerator-sign": [_jac_div(0)],
    "jac-div-denominator-sign": [_jac_div(1)],
    "jac-mean-count": [(R, "N.Const(1 / _entries(node.children[0])), _tangent_sum",
                        "N.Const(1 / (_entries(node.children[0]) + 1)), _tangent_sum")],
    "jac-sum-doubled": [(R, "return A.matmul(A.transpose(N.Ones(S.column(m))), js[0])",
                         "return A.mul(N.Const(2), A.matmul(A.transpose(N.Ones(S.column(m))), js[0]))")],
    "sin-defined-as-cos": [(FN, '"sin": sp.sin,', '"sin": sp.cos,')],
    "exp-prime-doubled": [(FN, '"exp": sp.exp,', '"exp": lambda x: sp.exp(2 * x) / 2,')],
    "cos-prime-sign": [(FN, '"cos": sp.cos,', '"cos": lambda x: -sp.cos(x),')],
    "sqrt-prime-cube-root": [(FN, '"sqrt": sp.sqrt,', '"sqrt": lambda x: x ** sp.Rational(1, 3),')],
    "np-relu-abs": [(OPF, 'code="np.maximum({0}, 0.0)"', 'code="np.abs({0})"')],
    "np-softplus-shift": [(OPF, 'code="np.logaddexp(0.0, {0})"', 'code="np.logaddexp(1.0, {0})"')],
    "np-greater-as-less": [(OPF, '"np.greater({0}, {1}) * 1.0"', '"np.less({0}, {1}) * 1.0"')],
    "np-max-as-min": [(OPF, '"np.maximum({0}, {1})"', '"np.minimum({0}, {1})"')],
    "np-logdet-as-log-det": [_LOGDET_NP],
    "np-det-abs": [(OPN, '"np.linalg.det({0})"', '"np.abs(np.linalg.det({0}))"')],
    "np-mean-as-sum": [(OPN, '"np.mean({0})"', '"np.sum({0})"')],
    "np-norm-unrooted": [(OPN, 'p.call("sqrt", p.call("op:Sum", f"{inner} * {inner}"))',
                          'p.call("op:Sum", f"{inner} * {inner}")')],
    "np-trace-as-sum": [(OPN, '"np.trace({0})"', '"np.sum({0})"')],
    "np-inverse-transposed": [(OPN, '"np.linalg.inv({0})"', '"np.linalg.inv({0}).T"')],
    "np-power-off-by-one": [(OPF, "str(int(value))", "str(int(value) + 1)")],
    "np-sin-cos-swapped": [
        (OPF, '_head("sin", r"\\sin", sp.sin, np.sin,', '_head("sin", r"\\sin", sp.sin, np.sin, code="np.cos({0})",'),
        (OPF, '_head("cos", r"\\cos", sp.cos, np.cos,', '_head("cos", r"\\cos", sp.cos, np.cos, code="np.sin({0})",'),
    ],
    "np-leaky-step-swapped": [(OPF, '"np.where({0} > 0, 1.0, {1})"', '"np.where({0} > 0, {1}, 1.0)"')],
    "latex-inverse-as-transpose": [(OPN, '"{p.wrap(node.children[0], ATOM)}^{{-1}}"',
                                    '"{p.wrap(node.children[0], ATOM)}^{{T}}"')],
    "latex-sigma-as-tanh": [(OPF, '_head("sigmoid", r"\\sigma",', '_head("sigmoid", r"\\tanh",')],
    "elab-mean-as-sum": [(OPN, 'name="mean", build=_reduce(N.Mean)', 'name="mean", build=_reduce(N.Sum)')],
    "elab-dot-as-self-product": [(RG, "return N.MatMul(N.Transpose(a), b)", "return N.MatMul(N.Transpose(a), a)")],
    "elab-log-softmax-as-softmax": [(CL, "return N.LogSoftmax(args[0].children[0])",
                                     "return N.Softmax(args[0].children[0])")],
    "elab-frobenius-self": [(RG, "return N.Sum(N.Mul(a, b))", "return N.Sum(N.Mul(a, a))")],
    "elab-concat-reversed": [(OPN, "else N.Concat(*args)", "else N.Concat(*reversed(args))")],
    "sampler-positive-determinants": [_LOGDET_NP],
}  # fmt: skip
_SCALAR_MOVED = {"expr/functions.py": FN}  # the same edits, in the derivative rules' new home
_STALE = {"printing/numpy_code.py", "printing/latex.py", "language/elaborate.py"}


def _retarget(mutant: dict) -> dict:
    moved = list(_MOVED.get(mutant["id"], []))
    edits = []
    for path, old, new in mutant["edits"]:
        if moved and (path in _STALE or path == R or path in _SCALAR_MOVED):
            edits.append(moved.pop(0))
        elif path in _SCALAR_MOVED:
            edits.append((_SCALAR_MOVED[path], old, new))
        elif path == NP and "self." not in old:  # a helper's body: now in backends.py
            edits.append((BK, old, new))
        else:
            edits.append((path, old, new))
    return {**mutant, "edits": edits + moved}


MUTANTS = [_retarget(m) for m in MUTANTS]
