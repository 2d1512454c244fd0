"""The lark tree of a LaTeX formula -> the expression language's syntax tree.

One method per grammar rule. Commands map to the language's functions through ``FUNCTION_WORDS``
(one table); names map back through the printer's Greek table; anything the language cannot say
(an index sum, f'(z) for an unknown f) is a ``syntax_error`` naming the position and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lark import Token, Tree

from ..errors import ChainruleError
from ..ops.functions import FUNCTIONS
from .ast import BinOp, Call, Keyword, Name, Number, Pos, Syntax, TransposeOp, Unary
from .latex_entries import DisplayedIndexing, _pos
from .latex_index import IndexNotation
from .latex_tables import (
    ACCENTS,
    EXPANSIONS,
    FUNCTION_WORDS,
    MACRO_NAMES,
    PLAIN_FUNCTIONS,
    PRIMES,
    UNICODE_GREEK,
)

KIND = "syntax_error"


class _Args(tuple):  # type: ignore[type-arg]
    """``(a, b)``: only a function application may take it."""


def _word(command: str) -> str:
    """``\\operatorname{diag}`` -> ``diag``, ``\\tanh`` -> ``tanh``."""
    m = re.search(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", command)
    return m.group(1) if m else command.lstrip("\\")


class Converter(IndexNotation, DisplayedIndexing):
    def __init__(
        self,
        source: str,
        names: Collection[str] | None,
        indices: Collection[str] | None = None,
        positions: Collection[str] = (),
    ) -> None:
        self.source = source
        self.positions = set(positions)
        self.names = set(names) if names is not None else None
        # Index notation (W_{ij}, \sum_{k=1}^{n}) is read only when the index letters are given.
        self.indices = set(indices) if indices is not None else None

    def error(self, message: str, at: Tree | Token | Pos, hint: str) -> ChainruleError:
        pos = at if isinstance(at, Pos) else _pos(at)
        return ChainruleError(KIND, message, pos.line, pos.column, hint, self.source)

    def convert(self, node: Tree | Token) -> Syntax:
        out = self.any(node)
        if isinstance(out, _Args):
            raise self.error(
                "a list of values is not a formula",
                node,
                "a comma list belongs in a function call: \\max(a, b)",
            )
        return out

    def any(self, node: Tree | Token) -> Syntax | _Args:
        if isinstance(node, Token):  # pragma: no cover - the grammar wraps every operand
            raise self.error(f"unexpected {str(node)!r}", node, "check the formula")
        method = getattr(self, f"r_{node.data}", None)
        if method is None:  # pragma: no cover - every rule has a method
            raise AssertionError(f"unhandled LaTeX rule {node.data}")
        return method(node, *node.children)

    # -- operators -----------------------------------------------------------------------------

    def r_add(self, t: Tree, a: Tree, op: Token, b: Tree) -> Syntax:
        return BinOp("+", self.convert(a), self.convert(b), _pos(op))

    def r_sub(self, t: Tree, a: Tree, op: Token, b: Tree) -> Syntax:
        return BinOp("-", self.convert(a), self.convert(b), _pos(op))

    def r_product(self, t: Tree, a: Tree, op: Token, b: Tree) -> Syntax:
        return BinOp("@", self.convert(a), self.convert(b), _pos(op), implicit=True)

    def r_hadamard(self, t: Tree, a: Tree, op: Token, b: Tree) -> Syntax:
        return BinOp("*", self.convert(a), self.convert(b), _pos(op))

    def r_kron(self, t: Tree, a: Tree, op: Token, b: Tree) -> Syntax:
        # internal: read from ⊗, which the builder refuses between two vectors (ambiguous)
        return Call("kron", (self.convert(a), self.convert(b)), _pos(op), _pos(op), internal=True)

    def r_div(self, t: Tree, a: Tree, op: Token, b: Tree) -> Syntax:
        return BinOp("/", self.convert(a), self.convert(b), _pos(op))

    def r_juxt(self, t: Tree, a: Tree, b: Tree) -> Syntax:
        left = self.convert(a)
        right = self.any(b)
        if isinstance(left, Name) and left.id in PLAIN_FUNCTIONS and self._unknown(left.id):
            return self.call(FUNCTION_WORDS.get(left.id, left.id), right, left.pos, b)
        if isinstance(right, _Args):
            raise self.error(
                "a comma list follows a value",
                b,
                "only functions take several arguments: \\max(a, b)",
            )
        return BinOp("@", left, right, _pos(b), implicit=True)

    def r_neg(self, t: Tree, op: Token, a: Tree) -> Syntax:
        return Unary("-", self.convert(a), _pos(op))

    def r_pos(self, t: Tree, op: Token, a: Tree) -> Syntax:
        return Unary("+", self.convert(a), _pos(op))

    # -- function applications -----------------------------------------------------------------

    def function(self, tok: Token) -> str:
        word = _word(str(tok))
        return FUNCTION_WORDS[word]

    def call(self, fn: str, arg: Syntax | _Args, pos: Pos, at: Tree | Token) -> Syntax:
        args = tuple(arg) if isinstance(arg, _Args) else (arg,)
        if fn in EXPANSIONS and len(args) == 1:
            return EXPANSIONS[fn](args[0], pos)
        if fn == "log" and len(args) == 1 and isinstance(args[0], Call) and args[0].func == "det":
            return Call("logdet", args[0].args, pos, pos)  # \log\det X is log|det X|, one op
        internal = fn in FUNCTIONS and not FUNCTIONS[fn].user_facing  # sign, Φ, φ
        return Call(fn, args, pos, pos, internal=internal)

    def r_apply(self, t: Tree, fn: Token, arg: Tree) -> Syntax:
        if self._own_sigma(fn, arg):
            return BinOp(
                "@", self.name_of("sigma", [], fn), self.convert(arg), _pos(arg), implicit=True
            )
        inner, wrappers = self._bracketed_argument(arg)
        value = self.call(self.function(fn), self.any(inner), _pos(fn), inner)
        return self._rewrap(value, wrappers)

    def _bracketed_argument(self, arg: Tree) -> tuple[Tree | Token, list[Tree]]:
        """f(x)^{T} is (f(x))^{T} and f(x)_{i} an entry of f(x), while \\log x^{2} is log(x²): a
        bracketed argument binds first. The argument, and what applies to f's value after."""
        wrappers: list[Tree] = []
        inner: Tree | Token = arg
        while isinstance(inner, Tree) and inner.data in ("superscript", "entry"):
            wrappers.append(inner)
            inner = inner.children[0]
        if not (wrappers and isinstance(inner, Tree) and inner.data == "group"):
            return arg, []
        return inner, wrappers

    def _rewrap(self, value: Syntax, wrappers: list[Tree]) -> Syntax:
        for wrapper in reversed(wrappers):
            if wrapper.data == "superscript":
                value = self.raise_to(value, wrapper.children[1])
            else:
                value = self.entry_of(value, wrapper.children[1])
        return value

    def r_apply_power(self, t: Tree, fn: Token, sup: Tree, arg: Tree) -> Syntax:
        kind, exponent = self.superscript_of(sup)
        if kind == "prime":  # \sigma^{\prime}(z)
            return self.r_apply_prime(t, fn, sup, arg)
        if kind != "power":
            raise self.error(
                f"{fn} with a superscript {kind}",
                sup,
                "write the power after the argument: \\tanh^{2}(z) or (\\tanh z)^{2}",
            )
        if self._own_sigma(fn, arg):  # σ² 𝟏ᵀ: the program's σ squared, times 𝟏ᵀ
            power = BinOp("**", self.name_of("sigma", [], fn), exponent, _pos(sup))
            return BinOp("@", power, self.convert(arg), _pos(arg), implicit=True)
        call = self.call(self.function(fn), self.any(arg), _pos(fn), arg)
        return BinOp("**", call, exponent, _pos(sup))

    def _own_sigma(self, fn: Token, arg: Tree | Token) -> bool:
        """σ followed by an unbracketed factor, in a program that names a σ (batch norm's
        √v): that σ times the factor, σ 𝟏ᵀ, never the sigmoid σ(𝟏ᵀ). The sigmoid always
        prints its argument in brackets, σ(z)."""
        while isinstance(arg, Tree) and arg.data in ("superscript", "entry"):
            arg = arg.children[0]
        bracketed = isinstance(arg, Tree) and arg.data == "group"
        return _word(str(fn)) in ("sigma", "σ") and not bracketed and not self._unknown("sigma")

    def r_apply_prime(self, t: Tree, fn: Token, prime: Token, arg: Tree) -> Syntax:
        name = self.function(fn)
        if name == "leaky_relu":  # LeakyReLU'(x, α): 1 for x > 0, α otherwise
            args = self.any(arg)
            if isinstance(args, _Args) and len(args) == 2:
                return Call("leaky_step", tuple(args), _pos(fn), _pos(fn), internal=True)
        if name not in PRIMES:
            raise self.error(f"{name}' has no form in the expression language", prime,
                             f"write the derivative of {name} explicitly, e.g. \\mathbb{{1}}[z > 0] for ReLU")  # fmt: skip
        value = self.any(arg)
        if isinstance(value, _Args):
            raise self.error(f"{name}' takes one argument", arg, f"write {name}'(z)")
        return PRIMES[name](value, _pos(fn))

    def r_apply_sub(self, t: Tree, fn: Token, sub: Tree | Token, arg: Tree) -> Syntax:
        name = self.function(fn)
        axis = self.axis_word(sub)
        if axis is not None and name in ("softmax", "log_softmax", "logsumexp", "max"):
            return self.axis_call(name, axis, fn, arg)
        if name != "leaky_relu":
            raise self.error(
                f"a subscript on {name}",
                fn,
                "only \\operatorname{LeakyReLU}_{\\alpha}(x) takes one",
            )
        alpha = self.sub_value(sub)
        x = self.any(arg)
        if isinstance(x, _Args):
            raise self.error(
                "LeakyReLU takes one argument in brackets",
                arg,
                "write \\operatorname{LeakyReLU}_{0.01}(x)",
            )
        return Call("leaky_relu", (x, alpha), _pos(fn), _pos(fn))

    def axis_word(self, sub: Tree | Token) -> int | None:
        """softmax_{row} is along axis 1, softmax_{col} along axis 0 (as chainrule prints)."""
        if isinstance(sub, Token):
            text = str(sub)[1:]
        elif getattr(sub.meta, "start_pos", None) is not None:
            text = self.source[sub.meta.start_pos : sub.meta.end_pos]
        else:  # pragma: no cover - the parser propagates positions
            return None
        m = re.fullmatch(
            r"\s*(?:\\(?:mathrm|text|operatorname|rm)\s*\{\s*)?(row|col)\s*\}?\s*", text
        )
        return None if m is None else {"row": 1, "col": 0}[m.group(1)]

    def axis_call(self, name: str, axis: int, fn: Token, arg: Tree) -> Syntax:
        """f_{row}(X): f along axis 1; f_{row}(X)^{T} transposes the result, as for f(x)^{T}."""
        inner, wrappers = self._bracketed_argument(arg)
        x = self.any(inner)
        if isinstance(x, _Args):
            raise self.error(
                f"{name} along an axis takes one argument", arg, f"write {name}_{{row}}(X)"
            )
        pos = _pos(fn)
        keyword = Keyword("axis", Number(str(axis), pos), pos)
        return self._rewrap(Call(name, (x,), pos, pos, keywords=(keyword,)), wrappers)

    def sub_value(self, sub: Tree | Token) -> Syntax:
        if isinstance(sub, Token):  # _0 or _a
            text = str(sub)[1:].strip()
            return Number(text, _pos(sub)) if text.isdigit() else self.name_of(text, [], sub)
        return self.convert(sub)

    def r_sum_all(self, t: Tree, tok: Token, arg: Tree) -> Syntax:
        return Call("sum", (self.convert(arg),), _pos(tok), _pos(tok))

    def r_bare_power(self, t: Tree, fn: Token, sup: Tree) -> Syntax:
        """σ² with nothing after it (a denominator's \\frac{…}{\\sigma^{2}}): a variable σ."""
        kind, exponent = self.superscript_of(sup)
        if kind == "power" and _word(str(fn)) in ("sigma", "σ"):
            return BinOp("**", self.name_of("sigma", [], fn), exponent, _pos(sup))
        raise self.error(f"{fn} needs an argument", fn, f"write {fn}(x)")

    def r_bare_func(self, t: Tree, fn: Token) -> Syntax:
        word = _word(str(fn))
        if word in ("sigma", "σ"):  # a variable called σ when no argument follows
            return self.name_of("sigma", [], fn)
        raise self.error(f"{fn} needs an argument", fn, f"write {fn}(x)")

    def r_unknown_command(self, t: Tree, tok: Token) -> Syntax:
        text = str(tok)
        hint = "known commands include \\frac, \\sqrt, \\circ, \\operatorname{diag}, \\tanh, \\sigma, \\delta"
        if text == "\\sum":
            hint = "index sums \\sum_{i} are not supported: write \\sum X for the sum of all entries, or the matrix form"
        elif text == "\\partial":
            hint = "write only the answer (the right-hand side), without the \\partial fraction"
        elif text in ("\\left", "\\right"):
            hint = "\\left and \\right pair with ( ), [ ], | | or \\| \\|"
        elif text == "\\prod":
            hint = "products are written by juxtaposition or \\circ"
        raise self.error(f"unknown command {text}", tok, hint)

    # -- postfix: superscripts and primes ------------------------------------------------------

    def superscript_of(self, sup: Tree) -> tuple[str, Syntax | None]:
        """('transpose'|'inverse'|'inverse_transpose'|'prime'|'power', exponent)."""
        kind = sup.data
        if kind == "sup_top":
            return "transpose", None
        if kind == "sup_prime":
            return "prime", None
        if kind == "sup_unicode":
            text = str(sup.children[0])
            named = {"ᵀ": "transpose", "⁻¹": "inverse", "⁻ᵀ": "inverse_transpose"}
            if text in named:
                return named[text], None
            return "power", Number(str("²³⁴".index(text) + 2), _pos(sup.children[0]))
        if kind == "sup_char":
            tok = sup.children[0]
            char = str(tok)[-1]
            if char == "T":
                return "transpose", None
            if char.isdigit():
                return "power", Number(char, _pos(tok))
            return "power", self.name_of(char, [], tok)
        body = sup.children[0]
        if isinstance(body, Tree) and body.data in ("sup_top", "sup_prime"):
            return self.superscript_of(body)
        value = self.convert(body)
        bracketed = isinstance(body, Tree) and body.data in ("group", "group1")
        if bracketed and isinstance(value, Number) and value.text.isdigit():
            return "layer", value  # W^{(1)}, \delta^{[2]}: the layer's name, never a power
        if isinstance(value, Name) and value.id == "T":
            return "transpose", None
        if isinstance(value, Unary) and value.op == "-":
            inner = value.operand
            if isinstance(inner, Name) and inner.id == "T":
                return "inverse_transpose", None
            if isinstance(inner, Number) and float(inner.text) == 1:
                return "inverse", None
        return "power", value

    def r_superscript(self, t: Tree, base: Tree, sup: Tree) -> Syntax:
        return self.raise_to(self.convert(base), sup)

    def raise_to(self, value: Syntax, sup: Tree) -> Syntax:
        kind, exponent = self.superscript_of(sup)
        if kind == "layer":
            assert isinstance(exponent, Number)
            if not isinstance(value, Name):
                raise self.error("a layer index belongs to a name", sup, "write W^{(1)} or W_{1}")
            layer = self.name_of(value.id, [exponent.text], sup, [value.id])
            return Name(layer.id, value.pos)
        pos = _pos(sup)
        if isinstance(value, Name) and value.id == "e" and kind == "power" and self._unknown("e"):
            return Call("exp", (exponent,), value.pos, value.pos)  # e^{x}
        if kind == "transpose":
            return TransposeOp(value, pos)
        if kind == "inverse":
            return Call("inv", (value,), pos, pos)
        if kind == "inverse_transpose":
            return TransposeOp(Call("inv", (value,), pos, pos), pos)
        if kind == "prime":
            return self.r_prime(sup, sup, sup)
        assert exponent is not None
        return BinOp("**", value, exponent, pos)

    def r_prime(self, t: Tree, base: Tree, prime: Tree | Token) -> Syntax:
        raise self.error("a prime (f') has no form in the expression language", prime,
                         "write the function's derivative explicitly, e.g. 1 - \\tanh^{2}(z) or \\sigma'(z)")  # fmt: skip

    # -- atoms ---------------------------------------------------------------------------------

    def r_number(self, t: Tree, tok: Token) -> Syntax:
        return Number(str(tok), _pos(tok))

    def r_group(self, t: Tree, open_: Token, args: Tree, close: Token) -> Syntax | _Args:
        items = [self.convert(a) for a in args.children if isinstance(a, Tree)]
        return items[0] if len(items) == 1 else _Args(items)

    def r_group1(self, t: Tree, *children: Tree | Token) -> Syntax:
        inner = [c for c in children if isinstance(c, Tree)]
        return self.convert(inner[0])

    def r_frac(self, t: Tree, tok: Token, top: Tree, bottom: Tree) -> Syntax:
        return BinOp("/", self.convert(top), self.convert(bottom), _pos(tok))

    def r_sqrt(self, t: Tree, tok: Token, arg: Tree) -> Syntax:
        return Call("sqrt", (self.convert(arg),), _pos(tok), _pos(tok))

    def r_norm(
        self, t: Tree, open_: Token, arg: Tree, close: Token, sub: Tree | None = None
    ) -> Syntax:
        if sub is not None:
            which = str(sub.children[0]).lstrip("_").strip()
            if which not in ("2", "F"):
                raise self.error(
                    f"the {which}-norm is not supported",
                    sub,
                    "write \\|x\\|_2 (the Euclidean norm) or \\|X\\|_F",
                )
        return Call("norm2", (self.convert(arg),), _pos(open_), _pos(open_))

    def r_abs(self, t: Tree, open_: Token, arg: Tree, close: Token) -> Syntax:
        return Call("abs", (self.convert(arg),), _pos(open_), _pos(open_))

    def r_ones(self, t: Tree, tok: Token) -> Syntax:
        return Call("ones", (), _pos(tok), _pos(tok))

    def r_indicator_sub(self, t: Tree, tok: Token, a: Tree, rel: Token, b: Tree) -> Syntax:
        return self.r_indicator(t, tok, tok, a, rel, b, tok)

    def r_ones_sized(self, t: Tree, tok: Token, size: Tree | Token) -> Syntax:
        return self.r_ones(t, tok)  # 𝟏_n: the size is inferred from the context all the same

    def r_indicator(
        self, t: Tree, tok: Token, lb: Token, a: Tree, rel: Token, b: Tree, rb: Token
    ) -> Syntax:
        left, right = self.convert(a), self.convert(b)
        op = str(rel).lstrip("\\")
        pos = _pos(tok)
        if op in (">", "gt"):
            return Call("gt", (left, right), pos, pos, internal=True)
        if op in ("<", "lt"):
            return Call("gt", (right, left), pos, pos, internal=True)
        if op in ("≥", "geq", "ge"):
            return Call("ge", (left, right), pos, pos, internal=True)
        return Call("ge", (right, left), pos, pos, internal=True)

    def r_matrix(self, t: Tree, begin: Token, *rest: Tree | Token) -> Syntax:
        rows = [self.convert(r) for r in rest if isinstance(r, Tree)]
        return Call("concat", tuple(rows), _pos(begin), _pos(begin))

    # -- names ---------------------------------------------------------------------------------

    def _unknown(self, name: str) -> bool:
        return self.names is None or name not in self.names

    def name_of(
        self, base: str, parts: list[str], at: Tree | Token, bases: list[str] | None = None
    ) -> Name:
        """The ASCII name of base_{parts}, choosing among the printer's spellings."""
        candidates = []
        for b in bases or [base]:
            if not parts:
                candidates.append(b)
                continue
            head, rest = parts[0], parts[1:]
            tail = "".join("_" + p for p in rest)
            joined, underscored = b + head + tail, b + "_" + head + tail
            candidates += [joined, underscored] if head.isdigit() else [underscored, joined]
        chosen = candidates[0]
        if self.names is not None:
            chosen = next((c for c in candidates if c in self.names), chosen)
        return Name(chosen, _pos(at))

    def r_name(self, t: Tree, base: Tree, sub: Tree | None = None) -> Syntax:
        bases = self.base_names(base)
        first = bases[0]
        tok = base.children[0]
        if self.indices is not None and sub is not None:
            entry = self.index_entry(bases, sub, tok)
            if entry is not None:
                return entry
        parts = self.sub_parts(sub) if sub is not None else []
        if (
            not parts
            and base.data == "letters"
            and self.names is not None
            and first not in self.names
            and len(first) > 1
            and first.isalpha()
            and first not in PLAIN_FUNCTIONS
            and all(ch in self.names for ch in first)
        ):  # xy is x times y when x and y are the names in use
            pos = _pos(tok)
            node: Syntax = Name(first[0], pos)
            for ch in first[1:]:
                node = BinOp("@", node, Name(ch, pos), pos, implicit=True)
            return node  # type: ignore[return-value]
        basis = self._basis_of(bases, base, parts, tok)
        if basis is not None:
            return basis
        return self.name_of(first, parts, tok, bases)

    def r_entry(self, t: Tree, base: Tree, sub: Tree) -> Syntax:
        value = self.convert(base)
        shown = self._displayed_entry(value, sub)
        return shown if shown is not None else self.entry_of(value, sub)

    def base_names(self, base: Tree) -> list[str]:
        kind, tok = base.data, base.children[-1]
        text = str(tok)
        if kind == "letters":
            return [text]
        if kind == "greek":
            word = UNICODE_GREEK.get(text, text.lstrip("\\"))
            return MACRO_NAMES.get(word, [word])
        if kind == "accent":
            accent = ACCENTS[str(base.children[0]).lstrip("\\")]
            return [text + accent, text + "_" + accent] if accent else [text]
        if kind == "font_greek":  # \boldsymbol{\delta}
            word = UNICODE_GREEK.get(text, text.lstrip("\\"))
            return MACRO_NAMES.get(word, [word])
        if kind == "hatted":
            return ["yhat", "y_hat"]
        return [text]  # \mathrm{word}, \mathbf{x}
