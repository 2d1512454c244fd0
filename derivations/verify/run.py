"""Three-way verification of a derivation: finite differences, the backprop engine, exact SymPy.

``passed`` is true only when every check that ran passed and both numeric checks ran. A check
that cannot run (no inputs in the domain were found, or the exact expansion exceeded its time
budget) is reported as skipped with the reason; a failed check marks the whole result failed,
and the result is still returned so the user can see what went wrong.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..calculus.derivation import Derivation
from ..engine.compile import compile_program
from ..limits import Limits
from ..result import DerivationResult
from .exact import exact_check
from .numeric import TOLERANCE, best_error, load_module, rel_error
from .report import skipped
from .sampling import choose_sizes, draw_inputs

ENGINE_TOLERANCE = 1e-9


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
) -> list[tuple[str, float, tuple[int, ...]]]:
    """The generated Hessians against finite differences of a gradient function."""
    hess = module["hessian"](**inputs)
    errors = []
    for w in wrt:

        def g(kw: dict[str, Any], w: str = w) -> np.ndarray:
            return np.asarray(gradients(kw)[w], dtype=float)

        scale = float(np.max(np.abs(g(inputs)), initial=0.0))
        err = best_error(hess[w], g, inputs, w, scale)
        errors.append((f"{w} (Hessian)", *err))
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

    errors = []
    scale = float(np.max(np.abs(f(inputs)), initial=0.0))
    if derivation.scalar_output:
        _, grads = module["value_and_grad"](**inputs)
        for w in derivation.wrt:
            errors.append((w, *best_error(grads[w], f, inputs, w, scale)))
        if hessian:
            errors += _hessian_errors(
                module, inputs, derivation.wrt, lambda kw: module["value_and_grad"](**kw)[1]
            )
    else:
        jac = module["jacobian"](**inputs)
        for w in derivation.wrt:
            errors.append((w, *best_error(jac[w], f, inputs, w, scale)))
    return _check(
        "finite_differences",
        errors,
        TOLERANCE,
        sizes,
        "five-point central differences, h = 1e-3 (1e-4, 1e-5 if needed)",
    )


def engine_check(
    derivation: Derivation,
    module: dict[str, Any],
    inputs: dict[str, Any],
    sizes: dict[str, int],
    hessian: bool,
) -> dict[str, Any]:
    """The generated code against the hand-written gates of the backprop engine."""
    graph = compile_program(derivation.program.as_written)
    errors = []
    if derivation.scalar_output:
        _, ours = module["value_and_grad"](**inputs)
        _, theirs = graph.backward(inputs, list(derivation.wrt))
        for w in derivation.wrt:
            errors.append((w, *rel_error(ours[w], theirs[w])))
        if hessian:
            errors += _hessian_errors(
                module,
                inputs,
                derivation.wrt,
                lambda kw: graph.backward(kw, list(derivation.wrt))[1],
            )
        tol = ENGINE_TOLERANCE
    else:
        ours = module["jacobian"](**inputs)
        theirs = graph.jacobian(inputs, list(derivation.wrt))
        for w in derivation.wrt:
            errors.append((w, *rel_error(ours[w], theirs[w])))
        tol = ENGINE_TOLERANCE
    detail = "gradients from the engine's hand-written forward/backward gates"
    if hessian and derivation.scalar_output:
        detail += "; Hessians against finite differences of the engine's gradients"
    return _check("backprop_engine", errors, tol, sizes, detail)


def _reduced(
    variables: Mapping[str, Any], limits: Limits
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Replace numeric dimensions above the verification cap by symbols (checked at small sizes)."""
    renamed: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, raw in variables.items():
        dims = [] if raw is None else ([raw] if isinstance(raw, str | int) else list(raw))
        new = []
        for d in dims:
            text = str(d).strip()
            if text.isdigit() and int(text) > limits.max_verify_dim:
                renamed.setdefault(text, f"N_{text}")
                new.append(renamed[text])
            else:
                new.append(d)
        out[name] = new
    return (out if renamed else None), renamed


def verify_result(
    result: DerivationResult, variables: Mapping[str, Any], limits: Limits, seed: int = 0
) -> dict[str, Any]:
    started = time.monotonic()
    target = result
    note = ""
    reduced, renamed = _reduced(variables, limits)
    if reduced is not None:
        from ..api import derive
        from ..errors import ChainruleError

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
            note = (
                "numeric sizes "
                + ", ".join(renamed)
                + f" above {limits.max_verify_dim} were checked at reduced sizes"
            )
        except ChainruleError:
            # The sizes are tied to each other (W is (n, 20) because 20 = 5·4): checking at the
            # declared sizes is the only faithful option, so do that when it is affordable.
            if max(int(k) for k in renamed) > 4 * limits.max_verify_dim:
                return {
                    "passed": False,
                    "checks": [],
                    "note": "the numeric sizes are too large to check and cannot be reduced independently; "
                    "declare them symbolically (e.g. W = (n, 5*d)) to get a verified result",
                }
            note = "numeric sizes were kept: they depend on each other"
    derivation = target.derivation
    module = load_module(target.code["numpy"])
    rng = np.random.default_rng(seed)
    for reverse in (False, True):
        sizes = choose_sizes(derivation.program.as_written, reverse=reverse)
        derivatives = module.get("value_and_grad") or module.get("jacobian")
        inputs, why = draw_inputs(
            derivation.program.as_written, sizes, rng, module["value"], derivatives_fn=derivatives
        )
        if inputs is not None or len(sizes) < 2:
            break
    checks: list[dict[str, Any]] = []
    if inputs is None:
        checks.append(skipped("finite_differences", sizes, why))
        checks.append(skipped("backprop_engine", sizes, why))
    else:
        with np.errstate(all="ignore"):
            checks.append(
                finite_difference_check(derivation, module, inputs, sizes, target.hessian)
            )
            checks.append(engine_check(derivation, module, inputs, sizes, target.hessian))
    checks.append(exact_check(derivation, sizes, limits.exact_check_seconds, seed))
    numeric_ran = all(not c["skipped"] for c in checks[:2])
    passed = numeric_ran and all(c["passed"] for c in checks)
    out: dict[str, Any] = {
        "passed": passed,
        "checks": checks,
        "seconds": round(time.monotonic() - started, 3),
    }
    if note:
        out["note"] = note
    if not numeric_ran:
        out["note"] = (
            (out.get("note", "") + "; " if out.get("note") else "")
            + "numeric checks could not run: "
            + why
        )
    return out
