"""The verification explainer, the error-type pages and the playground's page."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from .derivation_html import math
from .templates import Links, page, table

# kind -> (HTTP status, title, what it means); the service passes its own table in.
ProblemKinds = Mapping[str, tuple[int, str, str]]


def verification_page(links: Links) -> str:
    rows = [
        ["finite differences", "the generated NumPy code's derivatives",
         "five-point central differences, h = 10⁻³ (then 10⁻⁴, 10⁻⁵), relative error "
         "|a − n| / max(|a|, |n|, floor) ≤ 10⁻⁶"],
        ["backprop engine", "the generated code against an independent implementation",
         "a NumPy engine with hand-written forward/backward gates that never uses the "
         "symbolic rules; Hessians against differences of its gradients"],
        ["exact componentwise", "every entry at tiny distinct sizes",
         "explicit SymPy matrices of scalar symbols, sympy.diff per entry, equal symbolically "
         "or at random rational points to 40 digits"],
    ]  # fmt: skip
    rel = math(
        r"\frac{|a - n|}{\max\left(|a|, |n|, \epsilon\right)} \le 10^{-6}",
        "verification page",
        True,
    )
    body = (
        "<h1>Three-way verification</h1>"
        "<p>Every formula on this site was checked three ways when the site was built; a "
        "derivation that fails any check stops the build, so no page shows an unverified "
        "result.</p>"
        + table(["check", "what it compares", "how"], [[escape(c) for c in r] for r in rows])
        + "<h2>Why three</h2><p>Finite differences catch a wrong formula but are noisy; the "
        "engine is exact to rounding and independent of the symbolic rules, so a wrong rule "
        "cannot also be wrong in the engine in the same way; the exact check compares every "
        "entry symbolically, so a transposition or a missing factor cannot hide behind a "
        "lucky random point.</p>"
        "<h2>Sizes and points</h2><p>Sizes are small and distinct (2, 3, 4…) so that a "
        "transposed gradient has the wrong shape or the wrong entries. Inputs are drawn inside "
        "each function's domain (positive under log, sqrt and denominators; well-conditioned "
        "matrices under inv, det and logdet) and away from the kinks of relu, abs, max and "
        "min, where a derivative does not exist.</p>"
        f'<h2>The error measure</h2><div class="eq">{rel}</div><p>a is the analytic value, '
        "n the numeric one; the floor ε scales with the array's and the function's size, so a "
        "gradient that should be zero is not failed by rounding noise.</p>"
    )
    return page("Verification", body, links, "verification")


def slug(kind: str) -> str:
    return kind.replace("_", "-")


def problems_index(kinds: ProblemKinds, links: Links) -> str:
    rows = [
        [
            f'<a href="{escape(links.href("problems/" + slug(k)))}"><code>/problems/{escape(slug(k))}</code></a>',
            str(status),
            escape(title),
            escape(meaning),
        ]
        for k, (status, title, meaning) in sorted(kinds.items())
    ]
    body = (
        "<h1>Error types</h1><p>Every error the service returns is an RFC 9457 problem "
        "(<code>application/problem+json</code>) whose <code>type</code> is one of these pages. "
        "Expression errors also carry the position, the offending line with a caret, and a hint.</p>"
        + table(["type", "HTTP status", "title", "meaning"], rows)
    )
    return page("Error types", body, links, "problems")


def problem_page(kind: str, kinds: ProblemKinds, links: Links) -> str:
    status, title, meaning = kinds[kind]
    example = (
        '{\n  "type": "/problems/shape-mismatch",\n  "title": "Shape mismatch",\n  "status": 422,\n'
        '  "detail": "cannot multiply a vector (n,) by a vector (n,)",\n'
        '  "position": {"line": 1, "column": 3},\n'
        '  "excerpt": "  u @ h\\n    ^",\n'
        '  "hint": "for the inner product of two vectors write u.T @ h or dot(u, h)"\n}'
    )
    body = (
        f"<h1>{escape(title)}</h1>"
        f"<p><code>/problems/{escape(slug(kind))}</code> · HTTP {status}</p>"
        f'<p class="summary">{escape(meaning)}</p>'
        "<p>The problem body names the position, the problem and the fix where it can. "
        "A body of this family looks like:</p>"
        f"<pre><code>{escape(example)}</code></pre>"
        f'<p><a href="{escape(links.href("problems"))}">All error types</a></p>'
    )
    return page(title, body, links, "problems")


def playground_page(links: Links) -> str:
    body = (
        "<h1>Playground</h1>"
        "<p>Type a program and the shapes of its variables; the service derives it, verifies it "
        "and shows it as an entry page shows a catalog entry.</p>"
        '<p class="static-only">The playground needs the service: run <code>chainrule serve</code> '
        "and open <code>http://127.0.0.1:8000/playground</code>.</p>"
        '<form id="playground"><label>Program<textarea name="expression" rows="3" '
        'spellcheck="false">u.T @ tanh(W @ x + b)</textarea></label>'
        "<label>Variables, one per line: <code>name: dims</code> (nothing after the colon for a "
        'scalar)<textarea name="variables" rows="4" spellcheck="false">W: n, m\nx: m\nb: n\nu: n'
        "</textarea></label>"
        '<label class="inline"><input type="checkbox" name="hessian"> Hessians too</label>'
        '<button type="submit">Derive</button></form>'
        '<div id="playground-error" class="error" hidden></div>'
        '<div id="playground-result" aria-live="polite"></div>'
    )
    return page("Playground", body, links, "playground")
