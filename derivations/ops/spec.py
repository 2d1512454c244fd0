"""The shape of an op spec: what every layer reads about an op, in one record.

Renderings are callables over a printer (LaTeX, code, index) so that the spec needs no printer
import: a printer passes itself, and the spec calls back ``doprint``/``wrap``/``call``. That
keeps ``derivations.ops`` metadata only (the engine reads it; the wall test forbids the engine
any printer or rule).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

# Binding strengths shared by the LaTeX and code printers (a child printed inside a parent
# of higher precedence gets parentheses).
ADD, MUL, UNARY, POW, ATOM = 10, 20, 25, 40, 100

Printed = tuple[str, int]  # (text, binding strength)
LatexForm = Callable[[Any, Any], Printed]  # (LaTeX printer, node) -> printed
CodeForm = Callable[[Any, Any], Printed]  # (code printer, node) -> printed
IndexForm = Callable[[Any, Any, Any, Any], Any]  # (index builder, node, r, c) -> SymPy scalar
Builder = Callable[[Any, list, Any], Any]  # (elaborator, typed args, call syntax) -> node

EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Example:
    """A program that exercises an op: the registry-parametrised tests derive and verify it
    (finite differences, engine, exact check, trace, every printer); ``hessian`` asks for the
    Hessian too. ``tree`` builds a typed tree directly, for ops only derivatives produce."""

    program: str = ""
    variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    hessian: bool = False
    tree: Callable[[], tuple[Any, dict[str, Any]]] | None = None


@dataclass(frozen=True)
class Doc:
    """The op reference row: the syntax, what it means, and a small program to derive."""

    syntax: str
    meaning: str
    program: str
    variables: Mapping[str, list[str]]


# Where verification may sample an argument of a function: within ±2, 0.5 to 2, within ±1.
DOMAINS = ("real", "positive", "unit")


@dataclass(frozen=True)
class FunctionSpec:
    """One scalar function applied entry by entry (an ``Apply`` node), e.g. tanh.

    - ``latex``: the head (``\\tanh``) printed as head(args), or a callable for a special form;
      ``power_head`` says tanh² prints as \\tanh^{2}(z);
    - ``code``: NumPy template over printed arguments; ``torch``/``jax`` default to it with
      ``np.`` replaced; ``code_args`` prints the arguments a template needs (default: each);
      ``helpers`` are functions a backend's generated module must define for the template
      (NumPy has no erf: ``_erf``), emitted only when used;
    - ``index``: the head the index printer writes (default: ``latex`` if it is a head);
    - ``exact``: the SymPy meaning by definition (SymPy builtins only, never our derivatives);
    - ``value``: the plain NumPy meaning on arrays (reference evaluators);
    - ``domain``/``kinks``/``analytic``: where verification samples and what it avoids;
    - ``names_layer``: a nonlinearity after which the lecture names z and h;
    - ``prime``: f′(z) in the language, for the LaTeX reader's f'(z).
    """

    name: str
    arity: int
    exact: Callable[..., Any]
    value: Callable[..., Any]
    latex: str | LatexForm
    code: str | CodeForm
    index: str | IndexForm | None = None  # a head, or (builder, node, args) -> SymPy scalar
    torch: str | None = None
    jax: str | None = None
    code_args: Callable[[Any, tuple], list[str]] | None = None
    # Functions a backend's code needs for this op: backend -> {helper name: its source}.
    helpers: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: EMPTY)
    power_head: bool = False
    domain: str = "real"
    kinks: str | None = None  # None, "zero" (of the first argument) or "tie" (a == b)
    analytic: bool = True
    user_facing: bool = True
    scalar_params: bool = False  # arguments after the first are scalars (leaky ReLU's α)
    names_layer: bool = False
    usage: str | None = None
    latex_words: tuple[str, ...] = ()  # \operatorname{...} words the LaTeX reader maps here
    plain_word: bool = False  # typed without a backslash in a LaTeX answer: tanh(z)
    # f′(z) written in the expression language over z: what the LaTeX reader reads \tanh'(z)
    # as (every user-facing function of one argument has one; tests/language checks each
    # against finite differences of ``value``).
    prime: str | None = None
    unicode: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    doc: Doc | None = None
    examples: tuple[Example, ...] = ()

    def __post_init__(self) -> None:
        assert self.domain in DOMAINS, self.domain
        assert self.kinks in (None, "zero", "tie"), self.kinks

    @property
    def index_form(self) -> str | IndexForm:
        if self.index is not None:
            return self.index
        assert isinstance(self.latex, str), f"{self.name}: a special LaTeX form needs an index form"
        return self.latex

    def code_template(self, backend: str) -> str | None:
        if not isinstance(self.code, str):
            return None
        own = {"torch": self.torch, "jax": self.jax}.get(backend)
        if own is not None:
            return own
        prefix = {"numpy": "np.", "torch": "torch.", "jax": "jnp."}[backend]
        return self.code.replace("np.", prefix)


@dataclass(frozen=True)
class NodeSpec:
    """One node class (an op with its own tree node), e.g. ``Det``.

    ``structural`` ops (leaves, + − ∘ /, @, ᵀ and the function application) are the grammar of
    every printer and are written there, keyed by class; every other op carries its renderings
    here. ``name``/``arity``/``build`` make it callable in the language (None: internal only,
    produced by derivatives). ``domain`` is what the sampler must respect in its first child:
    ``conditioned`` (a well-conditioned square matrix), ``nonzero``, or ``unsaturated`` (the
    softmax family: no probability within 1e-2 of 1, ``verify/conditioning.py``). Derivatives are not
    here: ``calculus/rules.py`` declares each op elementwise, linear or general.
    """

    cls: type
    structural: bool = False
    name: str | None = None
    arity: int | None = 1
    build: Builder | None = None
    size_args: bool = False  # the arguments are sizes (ones(n), eye(n)), elaborated as such
    usage: str | None = None
    latex: LatexForm | None = None
    code: Mapping[str, str | CodeForm] = field(default_factory=lambda: EMPTY)
    index: IndexForm | str | None = None  # "opaque": the entry of the printed LaTeX
    helpers: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: EMPTY)
    exact: Callable[[Any, Any], Any] | None = None  # (explicit evaluator, node) -> sp.Matrix
    value: Callable[..., Any] | None = None  # NumPy meaning on column arrays (user calls)
    # How a LaTeX reading's shape follows from its arguments': "scalar", "same" or
    # "elementwise" (language/shape_inference.py; diag, outer and concat are its own).
    syntax_shape: str = "elementwise"
    label: str | Callable[[Any, tuple, list], tuple[str, int]] | None = None  # name(args)
    trace: str | None = None  # the op's name in a trace table (default: ``label``)
    domain: str | None = None
    # The simplifying constructor in derivations/calculus/algebra.py that rebuilds this op over
    # new children (a rewrite by a kind's fact, a tangent): "add" keeps 0 + x = x. None: the
    # op has none, and is rebuilt as it is. Named, not imported: ops imports no calculus.
    simplify: str | None = None
    # Its value is a rational function of its operands' entries (exact in rationals, as the
    # grader's exact draws compute); False, the safe default, computes with 60 digits instead.
    rational: bool = False
    latex_words: tuple[str, ...] = ()
    plain_word: bool = False
    unicode: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    # Why the LaTeX reader cannot read this op's printed form back (a displayed formula
    # containing it is counted as not read, never as passed): Xᵏ reads as an elementwise power.
    unreadable: str | None = None
    doc: Doc | None = None
    examples: tuple[Example, ...] = ()

    @property
    def trace_name(self) -> str:
        name = self.trace or self.label
        assert isinstance(name, str), self.key
        return name

    @property
    def key(self) -> str:
        return self.cls.__name__

    def code_form(self, backend: str) -> str | CodeForm | None:
        own = self.code.get(backend)
        if own is not None:
            return own
        base = self.code.get("numpy")
        if isinstance(base, str):
            return base.replace("np.", {"numpy": "np.", "torch": "torch.", "jax": "jnp."}[backend])
        return base


@dataclass(frozen=True)
class CallSpec:
    """A call the language accepts that builds other ops (``dot``, ``outer``): sugar."""

    name: str
    arity: int | None
    build: Builder
    value: Callable[..., Any]
    syntax_shape: str = "elementwise"
    usage: str | None = None
    latex_words: tuple[str, ...] = ()
    plain_word: bool = False
    doc: Doc | None = None
    examples: tuple[Example, ...] = ()
