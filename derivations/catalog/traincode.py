"""Generate a self-contained NumPy training script for a catalog entry.

The script trains with the *derived* gradients: it embeds the ``value_and_grad`` module that
``derive`` generates, and copies the optimizer, schedule and initializer source from
``techniques/`` (the code the test suite checks), so nothing in it is a hand-written gradient.
It imports only NumPy, so a student can run it anywhere and read every line.
"""

from __future__ import annotations

import ast
import inspect
import math
from typing import Any

from ..declared import shape_of
from ..errors import ChainruleError
from ..expr.nodes import free_vars
from ..language.elaborate import elaborate
from .loader import catalog, find
from .schema import Entry
from .techniques import init as init_mod
from .techniques.optimizers import DEFAULT_LR, OPTIMIZERS
from .techniques.schedules import SCHEDULES

# Names the generated driver defines at top level; the derived module must not use them.
_DRIVER_NAMES = {
    "EPOCHS", "SEED", "LR0", "L2", "SAMPLES", "BATCH_SIZE", "PARAMETERS", "BIASES", "DATA",
    "init_parameters", "make_dataset", "loss_and_grad", "dataset_loss", "main", "schedule",
    "xavier_variance", "xavier_uniform", "zeros_bias", "OPT_ARGS",
}  # fmt: skip
# Optimizers that take the bias names: AdamW leaves biases out of its decay.
_TAKES_EXCLUDE = {"adamw"}


def trainable_ids() -> list[str]:
    return [e.id for e in catalog().values() if e.training is not None]


def _training(entry_id: str) -> tuple[Entry, Any]:
    entry = find(entry_id)
    if entry.training is None:
        raise ChainruleError(
            "value",
            f"catalog entry {entry_id!r} has no training setup",
            hint="entries with one: " + ", ".join(trainable_ids()),
        )
    return entry, entry.training


def _sizes(entry: Entry, variables: dict[str, list[str | int]]) -> dict[str, tuple[int, ...]]:
    """Every declared variable's numeric shape, from the entry's ``training.sizes``."""
    sizes = entry.training.sizes if entry.training else {}
    out: dict[str, tuple[int, ...]] = {}
    for name, declared in variables.items():
        shape = []
        for d in shape_of(declared):
            if isinstance(d, int) or str(d).isdigit():
                shape.append(int(d))
            elif d in sizes:
                shape.append(sizes[d])
            elif (size := _dimension_size(str(d), sizes)) is not None:
                shape.append(size)
            else:
                raise ChainruleError(
                    "catalog",
                    f"entry {entry.id!r}: field 'training.sizes': no size for dimension {d!r} of {name!r}",
                    hint=f"add {d} = <int> to [training] sizes",
                )
        out[name] = tuple(shape)
    return out


def _dimension_size(text: str, sizes: dict[str, int]) -> int | None:
    """The size of a dimension expression such as ``5*d``, or None if a name has no size."""
    from ..language.elaborate import dimension_expression

    try:
        expr = dimension_expression(text)
    except ChainruleError:
        return None
    value = expr.subs({s: sizes[str(s)] for s in expr.free_symbols if str(s) in sizes})
    return int(value) if value.is_Integer else None


def _split_future(source: str) -> tuple[list[str], str]:
    """``from __future__`` lines must open a file, so hoist them out of the embedded module (and
    drop its ``import numpy``: the script imports it once at the top)."""
    future, body = [], []
    for line in source.splitlines():
        if line == "import numpy as np":
            continue
        (future if line.startswith("from __future__ import") else body).append(line)
    return future, "\n".join(body).strip("\n")


def _top_level_names(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _own_technique(entry_id: str, table: dict[str, Any]) -> str | None:
    """An optimizer or schedule entry trains with its own technique unless told otherwise."""
    entry = find(entry_id)
    if entry.technique is None:
        return None
    target = entry.technique.implementation.rsplit(":", 1)[1]
    return next(
        (name for name, obj in table.items() if getattr(obj, "__name__", "") == target), None
    )


def _weight_decay(optimizer: str, l2: float, weight_decay: float | None) -> float | None:
    """AdamW's decay; refuse it elsewhere, and refuse coupled L2 on top of it (two decays)."""
    if optimizer != "adamw":
        if weight_decay is not None:
            raise ChainruleError(
                "value",
                f"--weight-decay is AdamW's decoupled decay; optimizer {optimizer!r} has none",
                hint="use --optimizer adamw --weight-decay X, or --l2 X for an L2 penalty",
            )
        return None
    if l2:
        raise ChainruleError(
            "value",
            "--l2 with adamw would add coupled L2 on top of AdamW's decoupled weight decay",
            hint="drop --l2 and set the decay with --weight-decay (default 0.01)",
        )
    decay = 0.01 if weight_decay is None else weight_decay
    if not math.isfinite(decay) or decay < 0:
        raise ChainruleError(
            "value",
            f"the weight decay must be a finite non-negative number, got {decay}",
            hint="e.g. --weight-decay 0.01",
        )
    return float(decay)


def generate(
    entry_id: str,
    optimizer: str | None = None,
    schedule: str | None = None,
    l2: float = 0.0,
    epochs: int = 30,
    seed: int = 0,
    lr: float | None = None,
    weight_decay: float | None = None,
) -> str:
    """The training script's source text for one entry and one choice of technique.

    Defaults: Adam with a constant rate, except that an optimizer or schedule entry uses its own.
    ``weight_decay`` is AdamW's decoupled decay (default 0.01) and is refused for the others.
    """
    optimizer = optimizer or _own_technique(entry_id, OPTIMIZERS) or "adam"
    schedule = schedule or _own_technique(entry_id, SCHEDULES) or "constant"
    decay = _weight_decay(optimizer, l2, weight_decay)
    for label, number in (("the L2 strength", l2), ("the learning rate", lr)):
        if number is not None and not math.isfinite(number):
            raise ChainruleError(
                "value", f"{label} must be a finite number, got {number}", hint="e.g. --lr 0.01"
            )
    if not isinstance(seed, int) or seed < 0:
        raise ChainruleError(
            "value", f"the seed must be a non-negative integer, got {seed}", hint="e.g. --seed 0"
        )
    if optimizer not in OPTIMIZERS:
        raise ChainruleError(
            "value",
            f"unknown optimizer {optimizer!r}",
            hint="choose one of " + ", ".join(OPTIMIZERS),
        )
    if schedule not in SCHEDULES:
        raise ChainruleError(
            "value", f"unknown schedule {schedule!r}", hint="choose one of " + ", ".join(SCHEDULES)
        )
    if l2 < 0:
        raise ChainruleError(
            "value", f"the L2 strength must be non-negative, got {l2}", hint="e.g. --l2 0.001"
        )
    if epochs < 1:
        raise ChainruleError(
            "value", f"epochs must be at least 1, got {epochs}", hint="e.g. --epochs 30"
        )
    rate = DEFAULT_LR[optimizer] if lr is None else lr
    if rate <= 0:
        raise ChainruleError(
            "value", f"the learning rate must be positive, got {rate}", hint="e.g. --lr 0.01"
        )

    entry, training = _training(entry_id)
    program = training.program or entry.program
    declared = {**entry.variables, **training.variables}
    # The entry may declare variables only its display program uses (the window's score u).
    used = free_vars(elaborate(program, declared).inlined())
    variables = {name: dims for name, dims in declared.items() if name in used}
    from ..api import derive

    derived = derive(program, dict(variables), wrt=list(training.parameters), verify=False)
    future, module = _split_future(derived.code["numpy"])
    clash = _top_level_names(module) & _DRIVER_NAMES
    if clash:  # pragma: no cover - a bug in the code generator, not user input
        raise AssertionError(f"derived module defines driver names {sorted(clash)}")

    shapes = _sizes(entry, variables)
    params = {p: shapes[p] for p in training.parameters}
    data = {name: (kind, shapes[name]) for name, kind in training.data.items()}
    missing = set(shapes) - set(params) - set(data)
    if missing:
        raise ChainruleError(
            "catalog",
            f"entry {entry.id!r}: field 'training': {sorted(missing)} are neither parameters nor data",
            hint="list every variable under training.parameters or training.data",
        )
    opt_cls = OPTIMIZERS[optimizer]
    sched_fn = SCHEDULES[schedule]
    # A subclass (AdamW) needs its base class (Adam) in the script too, base first.
    bases = [c for c in reversed(opt_cls.__mro__) if c.__module__ == opt_cls.__module__]
    opt_args = "{}"
    if optimizer in _TAKES_EXCLUDE:
        opt_args = f"{{'exclude': BIASES, 'weight_decay': {decay!r}}}"
    techniques = "\n\n".join(
        inspect.getsource(obj)
        for obj in (
            *bases,
            sched_fn,
            init_mod.xavier_variance,
            init_mod.xavier_uniform,
            init_mod.zeros_bias,
        )
    )
    header = [
        f'"""Train catalog entry {entry.id!r} ({entry.title}) with {opt_cls.__name__}.',
        "",
        f"Generated by: chainrule train-code {entry.id} --optimizer {optimizer} --schedule {schedule}"
        f" --l2 {l2} --epochs {epochs} --seed {seed} --lr {rate}"
        + (f" --weight-decay {decay}" if decay is not None else ""),
        f"Loss program: {program}",
        "Gradients come from chainrule's derivation (value_and_grad below), not written by hand.",
        '"""',
        "",
        "from __future__ import annotations",
        *(line for line in future if line.strip() != "from __future__ import annotations"),
        "",
        "import numpy as np",
    ]
    config = f"""
EPOCHS = {epochs}
SEED = {seed}
LR0 = {rate!r}
# lambda: adds L2 * sum(theta**2) to the loss and 2 * L2 * theta to the gradient. With plain SGD
# that is weight decay; with Adam (or any adaptive optimizer) it is coupled L2, scaled by the
# optimizer like the rest of the gradient: for decoupled weight decay use AdamW.
L2 = {float(l2)!r}
SAMPLES = {training.samples}
BATCH_SIZE = {training.batch_size}
PARAMETERS = {params!r}  # name -> shape
BIASES = {set(training.biases)!r}  # start at zero and are left out of the L2 penalty
DATA = {data!r}  # name -> (how to synthesize, shape)
schedule = {sched_fn.__name__}  # called once per epoch, not per batch
OPT_ARGS = {opt_args}
"""
    return "\n".join(
        [
            *header,
            "",
            "# ---- derived by chainrule (derive ... --code): value() and value_and_grad() ----",
            module,
            "# ---- end of derived code ----",
            "",
            f"# ---- techniques: {opt_cls.__name__}, {sched_fn.__name__}, Xavier initialization ----",
            techniques,
            config,
            _DRIVER.replace("OPTIMIZER", opt_cls.__name__),
        ]
    )


_DRIVER = '''
def init_parameters(rng):
    """Xavier for weights (rows = fan-out, cols = fan-in; a vector counts as one output), zero biases."""
    params = {}
    for name, shape in PARAMETERS.items():
        if name in BIASES:
            params[name] = zeros_bias(shape[0])
        elif len(shape) == 2:
            params[name] = xavier_uniform(shape[0], shape[1], rng)
        elif len(shape) == 1:
            params[name] = xavier_uniform(1, shape[0], rng)[0]
        else:
            params[name] = float(xavier_uniform(1, 1, rng)[0, 0])
    return params


def make_dataset(rng):
    """Gaussian features; one-hot labels from a random linear teacher so the task is learnable."""
    data = {}
    for name, (kind, shape) in DATA.items():
        if kind == "normal":
            data[name] = rng.normal(size=(SAMPLES, *shape))
    features = [data[n].reshape(SAMPLES, -1) for n in data] or [rng.normal(size=(SAMPLES, 4))]
    features = np.concatenate(features, axis=1)
    for name, (kind, shape) in DATA.items():
        if kind == "onehot":
            teacher = rng.normal(size=(features.shape[1], shape[0]))
            labels = np.argmax(features @ teacher, axis=1)
            data[name] = np.eye(shape[0])[labels]
    return data


def loss_and_grad(params, example):
    value, grads = value_and_grad(**params, **example)
    value = float(value)
    out = {}
    for name, p in params.items():
        g = np.asarray(grads[name], dtype=float).reshape(np.shape(p))
        if L2 and name not in BIASES:
            value += L2 * float(np.sum(p**2))
            g = g + 2 * L2 * p
        out[name] = g
    return value, out


def dataset_loss(params, data):
    total = 0.0
    for i in range(SAMPLES):
        total += loss_and_grad(params, {k: v[i] for k, v in data.items()})[0]
    return total / SAMPLES


def main():
    rng = np.random.default_rng(SEED)
    data = make_dataset(rng)
    params = init_parameters(rng)
    optimizer = OPTIMIZER(**OPT_ARGS)
    print(f"epoch 0 loss {dataset_loss(params, data):.6f}")
    for epoch in range(1, EPOCHS + 1):
        lr = schedule(LR0, epoch - 1)
        order = rng.permutation(SAMPLES)
        for start in range(0, SAMPLES, BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            summed = {name: np.zeros(np.shape(p)) for name, p in params.items()}
            for i in batch:
                _, grads = loss_and_grad(params, {k: v[i] for k, v in data.items()})
                for name in summed:
                    summed[name] += grads[name]
            optimizer.step(params, {n: g / len(batch) for n, g in summed.items()}, lr)
        print(f"epoch {epoch} loss {dataset_loss(params, data):.6f}")


if __name__ == "__main__":
    main()
'''
