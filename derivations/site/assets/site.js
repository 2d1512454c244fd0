// chainrule site: copy buttons, offline search, answer checking and the playground.
// Math is rendered by the server (MathML); this script only moves text and HTML it was given.
"use strict";
(function () {
  const served = document.documentElement.dataset.mode === "served";
  const post = (url, body) => fetch(url, {
    method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  document.querySelectorAll(".code .copy").forEach((button) => {
    button.addEventListener("click", () => {
      const text = button.parentElement.querySelector("code").textContent;
      const done = () => { button.textContent = "Copied"; setTimeout(() => { button.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, () => {});
      } else {
        const area = el("textarea"); area.value = text; document.body.appendChild(area);
        area.select(); document.execCommand("copy"); area.remove(); done();
      }
    });
  });

  const search = document.getElementById("search");
  if (search && window.CHAINRULE_INDEX) {
    const hits = document.getElementById("hits");
    const href = (key) => served ? "/" + key : key + ".html";
    search.addEventListener("input", () => {
      const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      hits.replaceChildren();
      if (!words.length) return;
      const inTitle = (row) => words.every((w) => row.title.toLowerCase().includes(w)) ? 0 : 1;
      window.CHAINRULE_INDEX
        .filter((row) => words.every((w) => (row.title.toLowerCase() + " " + row.text).includes(w)))
        .sort((a, b) => inTitle(a) - inTitle(b))  // stable: title matches first, then the rest
        .slice(0, 12)
        .forEach((row) => {
          const a = el("a", "", row.title); a.href = href(row.key);
          const li = el("li"); li.appendChild(a); hits.appendChild(li);
        });
      if (!hits.children.length) hits.appendChild(el("li", "muted", "no entry matches"));
    });
  }

  async function showProblem(target, response) {
    let problem = {};
    try { problem = await response.json(); } catch (e) { problem = {detail: response.statusText}; }
    target.replaceChildren(el("p", "error", problem.detail || problem.title || "request failed"));
    if (problem.excerpt) target.appendChild(el("pre", "", problem.excerpt));
    if (problem.hint) target.appendChild(el("p", "", "hint: " + problem.hint));
  }

  document.querySelectorAll("form.check").forEach((form) => {
    const verdict = form.querySelector(".verdict");
    form.querySelector(".reveal").addEventListener("click", () => {
      form.querySelector(".reference").hidden = false;
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!served) { verdict.textContent = "Answer checking needs the service (chainrule serve)."; return; }
      verdict.textContent = "checking…";
      const answer = form.elements.answer.value;
      const response = await post("/v1/check", {
        problem: {catalog_id: form.dataset.entry, wrt: form.dataset.wrt},
        answer: answer, answer_format: form.elements.format.value});
      if (response.status === 404 || response.status === 405) {
        verdict.textContent = "This server has no answer checking (POST /v1/check).";
        return;
      }
      if (!response.ok) { await showProblem(verdict, response); return; }
      const rendered = await post("/render/check", await response.json());
      if (!rendered.ok) { await showProblem(verdict, rendered); return; }
      verdict.innerHTML = await rendered.text();
    });
  });

  const playground = document.getElementById("playground");
  if (playground) {
    const result = document.getElementById("playground-result");
    const error = document.getElementById("playground-error");
    playground.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      if (!served) { error.hidden = false; error.textContent = "The playground needs the service (chainrule serve)."; return; }
      const variables = {};
      for (const line of playground.elements.variables.value.split("\n")) {
        if (!line.trim()) continue;
        const [name, dims = ""] = line.split(":");
        variables[name.trim()] = dims.split(",").map((d) => d.trim()).filter(Boolean);
      }
      result.textContent = "deriving…";
      const response = await post("/v1/derive", {
        expression: playground.elements.expression.value, variables: variables,
        hessian: playground.elements.hessian.checked});
      if (!response.ok) { result.replaceChildren(); error.hidden = false; await showProblem(error, response); return; }
      const rendered = await post("/render/derivation", await response.json());
      if (!rendered.ok) { result.replaceChildren(); error.hidden = false; await showProblem(error, rendered); return; }
      result.innerHTML = await rendered.text();
    });
  }
})();
