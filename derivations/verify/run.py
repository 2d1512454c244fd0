"""Verification of a derivation: one list of checks (``CHECKS``), each a function of the context.

finite differences and the backprop engine check the generated derivatives, the source
reference checks the generated value against the parsed source (the front end's independent
reference), and the exact check compares every entry with ``sympy.diff``. The numeric checks
run at two sets of sizes. ``passed`` is true only when every check that ran passed and every
required check ran. A check that cannot run (no inputs in the domain were found, or the exact
check exceeded its work budget) is reported as skipped with the reason; a check whose generated
code raises is a failed check with the message, never a crash. A failed result is still
returned so the user can see what went wrong.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..calculus.derivation import Derivation
from ..engine.compile import compile_program
from ..errors import ChainruleError
from ..expr.program import TypedProgram
from ..language.parser import parse
from ..language.roles import declared_shape, with_shape
from ..limits import Limits
from ..result import DerivationResult
from .exact import exact_check
from .kinds import directions
from .numeric import (
    HESSIAN_FLOOR,
    TOLERANCE,
    best_directional_error,
    best_error,
    load_module,
    rel_error,
)
from .reference import evaluate_source
from .report import failed, skipped
from .sampling import NOT_DIFFERENTIABLE, SIZE_SETS, choose_sizes, draw_inputs, exact_sizes

ENGINE_TOLERANCE = 1e-9
REFERENCE_TOLERANCE = 1e-8


def _check(
    method: str,
    errors: list[tuple[str, float, tuple[int, ...]]],
    tol: float,
    sizes: dict[str, int],
    detail: str = "",
) -> dict[str, Any]:
    # Hessians are always compared with finite differences, hence at the looser tolerance.
    def limit(name: str) -> float:
        return max(tol, TOLERANCE) if name.endswith("(Hessian)") else tol

    worst = max(errors, key=lambda e: e[1] / limit(e[0])) if errors else ("", 0.0, ())
    passed = all(e[1] <= limit(e[0]) for e in errors)
    out: dict[str, Any] = {
        "method": method,
        "passed": passed,
        "skipped": False,
        "max_rel_error": worst[1],
        "tolerance": tol,
        "sizes": sizes,
        "detail": detail,
    }
    if errors and not passed:
        out["worst"] = {"wrt": worst[0], "index": list(worst[2])}
        out["detail"] = (
            detail + "; " if detail else ""
        ) + f"largest error in ∂/∂{worst[0]} at {list(worst[2])}"
    return out


def _hessian_errors(
    module: dict[str, Any],
    inputs: dict[str, Any],
    wrt: list[str],
    gradients: Any,
    program: TypedProgram,
) -> list[tuple[str, float, tuple[int, ...]]]:
    """The generated Hessians against finite differences of a gradient function: along every
    entry, or, for a variable whose kind ties entries together, along the kind's directions."""
    hess = module["hessian"](**inputs)
    errors = []
    for w in wrt:

        def g(kw: dict[str, Any], w: str = w) -> np.ndarray:
            return np.asarray(gradients(kw)[w], dtype=float)

        scale = float(np.max(np.abs(g(inputs)), initial=0.0))
        along = directions(program.kinds.get(w), np.shape(inputs[w]), program.axes.get(w))
        if along:
            err = best_directional_error(hess[w], g, inputs, w, along, scale, HESSIAN_FLOOR)
        else:
            err = best_error(hess[w], g, inputs, w, scale, floor=HESSIAN_FLOOR)
        errors.append((f"{w} (Hessian)", *err))
    return errors


def _derivative_errors(
    derivation: Derivation,
    module: dict[str, Any],
    inputs: dict[str, Any],
    hessian: bool,
    first_order: Callable[[str, Any], tuple[float, tuple[int, ...]]],
    gradients: Callable[[dict[str, Any]], Any],
) -> list[tuple[str, float, tuple[int, ...]]]:
    """The generated derivatives against one reference: each gradient (scalar output) or
    Jacobian by ``first_order(w, ours)``, and each Hessian against finite differences of the
    reference's ``gradients`` function."""
    if derivation.scalar_output:
        ours = module["value_and_grad"](**inputs)[1]
    else:
        ours = module["jacobian"](**inputs)
    errors = [(w, *first_order(w, ours[w])) for w in derivation.wrt]
    if hessian and derivation.scalar_output:
        errors += _hessian_errors(module, inputs, derivation.wrt, gradients, derivation.program)
    return errors


def finite_difference_check(
    derivation: Derivation,
    module: dict[str, Any],
    inputs: dict[str, Any],
    sizes: dict[str, int],
    hessian: bool,
) -> dict[str, Any]:
    value = module["value"]

    def f(kw: dict[str, Any]) -> np.ndarray:
        return np.asarray(value(**kw), dtype=float)

    scale = float(np.max(np.abs(f(inputs)), initial=0.0))
    errors = _derivative_errors(
        derivation,
        module,
        inputs,
        hessian,
        lambda w, ours: best_error(ours, f, inputs, w, scale),
        lambda kw: module["value_and_grad"](**kw)[1],
    )
    detail = "five-point central differences, h = 1e-3 (1e-4, 1e-5 if needed)"
    return _check("finite_differences", errors, TOLERANCE, sizes, detail)


def engine_check(
    derivation: Derivation,
    module: dict[str, Any],
    inputs: dict[str, Any],
    sizes: dict[str, int],
    hessian: bool,
) -> dict[str, Any]:
    """The generated code against the hand-written gates of the backprop engine."""
    graph = compile_program(derivation.program.as_written)
    wrt = list(derivation.wrt)
    if derivation.scalar_output:
        theirs = graph.backward(inputs, wrt)[1]
    else:
        theirs = graph.jacobian(inputs, wrt)
    errors = _derivative_errors(
        derivation,
        module,
        inputs,
        hessian,
        lambda w, ours: rel_error(ours, theirs[w]),
        lambda kw: graph.backward(kw, wrt)[1],
    )
    detail = "gradients from the engine's hand-written forward/backward gates"
    if hessian and derivation.scalar_output:
        detail += "; Hessians against finite differences of the engine's gradients"
    return _check("backprop_engine", errors, ENGINE_TOLERANCE, sizes, detail)


def _reduced(
    variables: Mapping[str, Any], limits: Limits
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Replace numeric dimensions above the verification cap by symbols (checked at small sizes)."""
    renamed: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, declared in variables.items():
        raw = declared_shape(name, declared)
        dims = [] if raw is None else ([raw] if isinstance(raw, str | int) else list(raw))
        new = []
        for d in dims:
            text = str(d).strip()
            if text.isdigit() and int(text) > limits.max_verify_dim:
                renamed.setdefault(text, f"N_{text}")
                new.append(renamed[text])
            else:
                new.append(d)
        out[name] = with_shape(declared, new)
    return (out if renamed else None), renamed


@dataclass
class Context:
    """What every check sees: the derivation, its generated module and the sampled draws."""

    result: DerivationResult
    module: dict[str, Any]
    limits: Limits
    seed: int
    draws: list[tuple[dict[str, int], dict[str, Any]]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # the first assignment tried
    why: str = ""  # why no draw was found, when none was
    deadline: float | None = None

    @property
    def derivation(self) -> Derivation:
        return self.result.derivation

    @property
    def hessian(self) -> bool:
        return self.result.hessian


@dataclass(frozen=True)
class Check:
    """One verification method. ``required``: the result passes only if it ran (not skipped)."""

    method: str
    run: Callable[[Context], dict[str, Any]]
    required: bool = True


def _per_draw(
    ctx: Context,
    method: str,
    one: Callable[[dict[str, int], dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """Run a numeric check at every sampled set of sizes and merge the outcomes."""
    if not ctx.draws:
        if ctx.why.startswith("the generated"):
            return failed(method, ctx.sizes, ctx.why)
        return skipped(method, ctx.sizes, ctx.why)
    outs = []
    with np.errstate(all="ignore"):
        for sizes, inputs in ctx.draws:
            outs.append(one(sizes, inputs))
    worst = next((o for o in outs if not o["passed"]), outs[0])
    merged = dict(worst)
    merged["passed"] = all(o["passed"] for o in outs)
    errors = [o["max_rel_error"] for o in outs if o["max_rel_error"] is not None]
    merged["max_rel_error"] = max(errors) if errors else None
    merged["size_sets"] = [sizes for sizes, _ in ctx.draws]
    merged["detail"] = worst["detail"] + f"; at {len(outs)} set{'s' * (len(outs) > 1)} of sizes"
    return merged


def _numeric(
    method: str, one: Callable[[Context, dict[str, int], dict[str, Any]], dict[str, Any]]
) -> Callable[[Context], dict[str, Any]]:
    """A check run at every sampled set of sizes (see _per_draw)."""
    return lambda ctx: _per_draw(ctx, method, lambda sizes, x: one(ctx, sizes, x))


_fd = _numeric(
    "finite_differences",
    lambda ctx, sizes, x: finite_difference_check(
        ctx.derivation, ctx.module, x, sizes, ctx.hessian
    ),
)
_engine = _numeric(
    "backprop_engine",
    lambda ctx, sizes, x: engine_check(ctx.derivation, ctx.module, x, sizes, ctx.hessian),
)


def _source(ctx: Context) -> Any:
    """The parsed source of the checked program, or None for a program built without one."""
    try:
        return parse(ctx.derivation.program.source, ctx.limits)
    except ChainruleError:
        return None


def reference_check(
    result: DerivationResult,
    module: dict[str, Any],
    inputs: dict[str, Any],
    sizes: dict[str, int],
    limits: Limits,
) -> dict[str, Any]:
    """The generated value() against the parsed source evaluated with plain NumPy."""
    try:
        program = parse(result.derivation.program.source, limits)
    except ChainruleError:
        # Built directly as a typed program (the tests of derivative-only nodes): no source.
        why = "the program was not built from source text: nothing to compare with"
        return skipped("source_reference", sizes, why, applies=False)
    ours = np.asarray(module["value"](**inputs), dtype=float)
    theirs = evaluate_source(program, inputs, sizes)
    if ours.size != theirs.size:
        return failed(
            "source_reference",
            sizes,
            f"the generated value has {ours.size} entries, the source has {theirs.size}",
        )
    err = rel_error(ours.ravel(), theirs.ravel())
    return _check(
        "source_reference",
        [("value", *err)],
        REFERENCE_TOLERANCE,
        sizes,
        "the generated value() against the parsed source evaluated with plain NumPy "
        "(before elaboration)",
    )


_reference = _numeric(
    "source_reference",
    lambda ctx, sizes, x: reference_check(ctx.result, ctx.module, x, sizes, ctx.limits),
)


def _exact(ctx: Context) -> dict[str, Any]:
    sizes = exact_sizes(ctx.derivation.program, ctx.draws[0][0] if ctx.draws else None)
    if not ctx.draws and ctx.why.startswith(NOT_DIFFERENTIABLE):
        return skipped("exact_componentwise", sizes, ctx.why)  # its points are on the kinds too
    return exact_check(
        ctx.derivation,
        sizes,
        ctx.limits.exact_check_work,
        ctx.seed,
        deadline=ctx.deadline,
        value_fn=ctx.module.get("value"),
    )


def _displayed(ctx: Context) -> dict[str, Any]:
    """What the reader sees: every displayed formula read back with the LaTeX reader."""
    from .displayed import check_displayed

    sizes, inputs = ctx.draws[0] if ctx.draws else (None, None)
    return check_displayed(ctx.result, seed=ctx.seed, inputs=inputs, sizes=sizes)


# The checks, in the order they are reported. A new check is one more entry here.
CHECKS: list[Check] = [
    Check("finite_differences", _fd),
    Check("backprop_engine", _engine),
    Check("source_reference", _reference),
    Check("exact_componentwise", _exact, required=False),
    Check("displayed_form", _displayed, required=False),
]


def _guarded(check: Check, ctx: Context) -> dict[str, Any]:
    """A check's outcome; an exception in the generated code (or anywhere) is a failed check."""
    try:
        out = check.run(ctx)
    except Exception as exc:  # noqa: BLE001 - failure is a verdict, never a crash
        message = str(exc).splitlines()[0] if str(exc) else ""
        return failed(
            check.method,
            ctx.draws[0][0] if ctx.draws else ctx.sizes,
            f"the check raised {type(exc).__name__}: {message}"[:500],
        )
    out.setdefault("method", check.method)
    return out


def _sample(ctx: Context) -> None:
    """Draw inputs at each set of sizes (the first set with a negative determinant first)."""
    program = ctx.derivation.program.as_written  # the domain is that of what the user wrote
    module = ctx.module
    rng = np.random.default_rng(ctx.seed)
    derivatives = module.get("value_and_grad") or module.get("jacobian")
    # Where the program is defined is decided by the source (the reference), not by the
    # generated code under test: a generated value that is NaN where the source is finite
    # (log det at det < 0) must be compared there, not redrawn.
    source = _source(ctx)
    seen: list[dict[str, int]] = []
    for which in range(SIZE_SETS):
        sizes = choose_sizes(program, which)
        if sizes in seen:
            continue
        value = (
            (lambda at=sizes, **kw: evaluate_source(source, kw, at)) if source else module["value"]
        )
        seen.append(sizes)
        ctx.sizes = ctx.sizes or sizes
        try:
            inputs, why = draw_inputs(
                program,
                sizes,
                rng,
                value,
                derivatives_fn=derivatives,
                negative_det_first=which == 0,
            )
        except Exception as exc:  # noqa: BLE001 - generated helper code failing
            inputs, why = None, f"the generated code raised {type(exc).__name__}: {exc}"
        if inputs is not None:
            ctx.draws.append((sizes, inputs))
        else:
            ctx.why = why


def _target(result: DerivationResult, variables: Mapping[str, Any], limits: Limits):
    """The result to check (re-derived at reduced sizes when numeric sizes are large), a note,
    or None with the verification when it cannot be checked at all."""
    reduced, renamed = _reduced(variables, limits)
    if reduced is None:
        return result, "", None
    from ..api import derive

    d = result.derivation
    try:
        target = derive(
            d.program.source,
            reduced,
            wrt=d.wrt,
            hessian=result.hessian,
            verify=False,
            limits=limits,
        )
    except ChainruleError:
        # The sizes are tied to each other (W is (n, 20) because 20 = 5·4): checking at the
        # declared sizes is the only faithful option, so do that when it is affordable.
        if max(int(k) for k in renamed) > 4 * limits.max_verify_dim:
            return (
                None,
                "",
                {
                    "passed": False,
                    "checks": [],
                    "note": "the numeric sizes are too large to check and cannot be reduced independently; "
                    "declare them symbolically (e.g. W = (n, 5*d)) to get a verified result",
                },
            )
        return result, "numeric sizes were kept: they depend on each other", None
    note = (
        "numeric sizes "
        + ", ".join(renamed)
        + f" above {limits.max_verify_dim} were checked at reduced sizes"
    )
    return target, note, None


def verify_result(
    result: DerivationResult, variables: Mapping[str, Any], limits: Limits, seed: int = 0
) -> dict[str, Any]:
    started = time.monotonic()
    target, note, verdict = _target(result, variables, limits)
    if verdict is not None:
        return verdict
    deadline = started + limits.exact_check_seconds if limits.exact_check_seconds else None
    try:
        module = load_module(target.code["numpy"])
    except Exception as exc:  # noqa: BLE001 - generated code that does not even load
        module = {}
        load_error = f"the generated module does not load: {type(exc).__name__}: {exc}"
    else:
        load_error = ""
    ctx = Context(target, module, limits, seed, deadline=deadline)
    if load_error:
        ctx.why = load_error.replace("the generated module", "the generated code", 1)
        ctx.sizes = choose_sizes(target.derivation.program, 0)
    else:
        _sample(ctx)
    checks = [_guarded(check, ctx) for check in CHECKS]
    required_ran = all(
        not c["skipped"] or c.get("applies") is False
        for check, c in zip(CHECKS, checks, strict=True)
        if check.required
    )
    passed = required_ran and all(c["passed"] for c in checks)
    out: dict[str, Any] = {
        "passed": passed,
        "checks": checks,
        "seconds": round(time.monotonic() - started, 3),
    }
    if note:
        out["note"] = note
    if not required_ran:
        out["note"] = (
            (out.get("note", "") + "; " if out.get("note") else "")
            + "numeric checks could not run: "
            + ctx.why
        )
    return out
