"""One run of bench/mutants.py: every program derived with the (possibly mutated) package.

Prints JSON: per program, whether the answer is wrong by the independent judge (HIPS autograd
on a hand-written reference), the displayed formulas, whether verification passed and which
checks failed. Imports ``derivations`` from PYTHONPATH (the mutated copy).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import autograd
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mutant_programs import PROGRAMS  # noqa: E402

SIZES = {"n": 5, "m": 3, "k": 4}
TOL = 1e-5


def _shape(dims: list) -> tuple[int, ...]:
    return tuple(int(eval(str(d), {}, dict(SIZES))) for d in dims)  # noqa: S307 - our own table


def _inputs(variables: dict, positive: tuple, square: tuple, draw: int) -> dict:
    rng = np.random.default_rng(1000 + draw)
    out = {}
    for name, dims in variables.items():
        shape = _shape(dims)
        if name in square:
            a = np.eye(shape[0]) + 0.3 * rng.standard_normal(shape) / np.sqrt(shape[0])
            if (np.linalg.det(a) < 0) != (draw == 0):
                a[:, 0] = -a[:, 0]
            out[name] = a
        elif name in positive:
            out[name] = rng.uniform(0.5, 1.5, shape) if shape else float(rng.uniform(0.5, 1.5))
        else:
            v = rng.standard_normal(shape) + np.where(rng.random(shape) < 0.5, -0.5, 0.5)
            out[name] = v if shape else float(v)
    return out


def _differ(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size != b.size:
        return True
    a, b = a.ravel(), b.ravel()
    if not np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
        return True
    scale = max(1.0, float(np.max(np.abs(b), initial=0)))
    return bool(
        np.any(np.abs(a - b) > TOL * np.maximum(np.maximum(np.abs(a), np.abs(b)), scale * 1e-3))
    )


def _judge(result, variables, hessian, reference, positive, square) -> bool:
    """True when the generated code's value or derivatives disagree with the reference."""
    from derivations.verify.numeric import load_module

    module = load_module(result.code["numpy"])
    names = list(variables)
    f = lambda *args: reference(**dict(zip(names, args, strict=True)))  # noqa: E731
    for draw in range(2):
        x = _inputs(variables, positive, square, draw)
        args = [x[k] for k in names]
        truth = f(*args)
        if _differ(module["value"](**x), truth):
            return True
        scalar = np.ndim(truth) == 0
        derivs = module["value_and_grad"](**x)[1] if scalar else module["jacobian"](**x)
        for i, name in enumerate(names):
            want = (autograd.grad if scalar else autograd.jacobian)(f, i)(*args)
            if name in derivs and _differ(derivs[name], want):
                return True
        if hessian:
            hess = module["hessian"](**x)
            for i, name in enumerate(names):
                if name in hess and _differ(hess[name], autograd.hessian(f, i)(*args)):
                    return True
    return False


def _display(d: dict) -> list:
    return [[x.get("latex"), x.get("index_latex"), x.get("equation")] for x in d["derivatives"]] + [
        d.get("steps"),
        [x.get("latex") for x in d.get("definitions", [])],
    ]


def main() -> None:
    from derivations import derive

    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    out = {}
    for pid, (program, variables, hessian, reference, positive, square) in PROGRAMS.items():
        entry: dict = {"wrong": False, "display": None, "passed": None, "failed": [], "error": None}
        try:
            result = derive(program, variables, hessian=hessian, verify=False)
            entry["display"] = _display(result.to_dict())
            try:
                entry["wrong"] = _judge(result, variables, hessian, reference, positive, square)
            except Exception as exc:  # noqa: BLE001 - generated code that raises is wrong
                entry["wrong"] = True
                entry["judge_error"] = f"{type(exc).__name__}: {exc}"[:200]
            from derivations.limits import DEFAULT_LIMITS
            from derivations.verify.run import verify_result

            v = verify_result(result, variables, DEFAULT_LIMITS)
            entry["passed"] = v["passed"]
            entry["failed"] = [c["method"] for c in v["checks"] if not c["passed"]]
        except Exception as exc:  # noqa: BLE001 - a refused program is loud, not wrong
            entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
        out[pid] = entry
    print(json.dumps({"programs": out}))


if __name__ == "__main__":
    main()
