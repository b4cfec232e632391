// symgrad practice page: the problem list, a problem's fields with a live preview of how an answer is
// read, the verdict on Enter, and the verified solution. No inline script (the page's CSP forbids it);
// every text from the server is put in the page as text or typeset by KaTeX, never as HTML, except the
// computation graph's SVG, which is parsed as SVG and has its scripts and event handlers removed.
"use strict";

const body = document.body;
const KATEX = { throwOnError: false, strict: "ignore", output: "htmlAndMathml" };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v;
    else if (k === "className") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function student() {
  const input = document.getElementById("student");
  return input ? input.value.trim() : "";
}

function setupStudent(onChange) {
  const who = document.getElementById("who");
  if (!who || body.dataset.needsId !== "yes") return;
  who.hidden = false;
  const input = document.getElementById("student");
  input.value = localStorage.getItem("symgrad-student") || "";
  input.addEventListener("change", () => {
    localStorage.setItem("symgrad-student", input.value.trim());
    if (onChange) onChange();
  });
}

async function api(path, data) {
  const options = data === undefined ? {} :
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(data) };
  const response = await fetch(path, options);
  let json = null;
  try { json = await response.json(); } catch (e) { json = { error: "the server sent no JSON" }; }
  if (!response.ok) throw new Error(json.error || `the server answered ${response.status}`);
  return json;
}

// -- LaTeX prose: text with $...$ and \[...\] math, as the worksheets write it ------------------------------

const ESCAPES = [[/\\textasciitilde\{\}/g, "~"], [/\\textbackslash\{\}/g, "\\"], [/\\textasciicircum\{\}/g, "^"],
  [/\\([&%#_{}$])/g, "$1"], [/~/g, "\u00a0"], [/\\quad/g, " "], [/\\,/g, " "]];

function plain(text) {
  text = text.replace(/\\(footnotesize|small|normalsize)\b\s*/g, "")
    .replace(/\\ddag\b\s*/g, "\u2021").replace(/\\dag\b\s*/g, "\u2020")
    .replace(/\\textsuperscript\{([^}]*)\}/g, "$1 ")
    .replace(/(^|[^\\])[{}]+/g, "$1");  // grouping braces; an escaped \{ stays
  for (const [pattern, replacement] of ESCAPES) text = text.replace(pattern, replacement);
  return text;
}

function math(tex, display) {
  const span = el(display ? "div" : "span", { className: display ? "math display" : "math" });
  if (window.katex) katex.render(tex, span, { ...KATEX, displayMode: !!display });
  else span.textContent = tex;
  return span;
}

function prose(tex) {
  const out = document.createDocumentFragment();
  const pattern = /\\\[([\s\S]*?)\\\]|\$([^$]*)\$|\\texttt\{([^}]*)\}|\\(?:emph|textit|textbf)\{([^}]*)\}/g;
  let last = 0;
  for (const m of tex.matchAll(pattern)) {
    out.append(plain(tex.slice(last, m.index)));
    if (m[1] !== undefined) {  // a list of givens (W = ..., b = ..., x = ...) wraps on a narrow screen
      const items = m[1].split(/,\s*\\quad\s*/);
      const row = el("div", { className: "givens" });
      items.forEach((item, i) => row.append(math(item + (i < items.length - 1 ? "," : ""), true)));
      out.append(row);
    }
    else if (m[2] !== undefined) out.append(math(m[2], false));
    else if (m[3] !== undefined) out.append(el("code", { text: plain(m[3]) }));
    else out.append(el("em", { text: plain(m[4]) }));
    last = m.index + m[0].length;
  }
  out.append(plain(tex.slice(last)));
  return out;
}

function svg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = doc.documentElement;
  if (root.nodeName !== "svg") return el("p", { text: "(the graph could not be shown)" });
  for (const bad of root.querySelectorAll("script, foreignObject")) bad.remove();
  for (const node of root.querySelectorAll("*")) {
    for (const a of [...node.attributes]) if (a.name.startsWith("on")) node.removeAttribute(a.name);
  }
  root.setAttribute("role", "img");
  return document.importNode(root, true);
}

// -- the problem list ---------------------------------------------------------------------------------------

async function showIndex() {
  setupStudent();
  const list = document.getElementById("problems");
  try {
    for (const p of await api("/api/problems")) {
      const link = el("a", { href: `/p/${encodeURIComponent(p.id)}`, text: p.title });
      list.append(el("li", {}, link, el("span", { className: "meta", text: ` ${p.parts} part${p.parts === 1 ? "" : "s"}` })));
    }
  } catch (err) {
    list.append(el("li", { className: "error", text: err.message }));
  }
}

// -- a problem ------------------------------------------------------------------------------------------------

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function showReading(box, reading, answer) {
  box.replaceChildren();
  if (!answer.trim()) return;
  if (!reading.ok) {
    box.className = "preview error";
    box.append(el("span", { text: reading.error }));
    if (reading.column) {
      const mark = el("pre", { className: "caret", "aria-hidden": "true" });
      mark.textContent = answer + "\n" + " ".repeat(Math.max(0, reading.column - 1)) + "^";
      box.append(mark);
    }
    return;
  }
  box.className = "preview";
  box.append(el("span", { className: "label", text: "read as " }), math(reading.latex, false));
  for (const note of reading.notes) box.append(el("p", { className: "note", text: note }));
}

function showVerdict(box, result) {
  box.replaceChildren();
  box.className = `verdict ${result.verdict}`;
  box.append(el("strong", { text: result.verdict }));
  const message = result.message && result.message !== result.verdict ? `: ${result.message}` : "";
  box.append(message);
  if (result.diagnosis) box.append(el("span", { className: "diagnosis", text: ` (${result.diagnosis})` }));
}

function part(pid, p, index, onCorrect) {
  const id = `answer-${index}`;
  const row = el("div", { className: "part" });
  const label = el("label", { for: id });
  label.append(el("span", { className: "number", text: `(${String.fromCharCode(97 + index)}) ` }), prose(p.ask));
  const hint = p.kind === "array" ? `a ${p.shape[0]}×${p.shape[1]} ${p.shape[1] === 1 ? "vector: [0.25, -0.5]" : "matrix: [[1, 2], [3, 4]]"}`
    : p.kind === "number" ? "a number" : p.kind === "matrix-formula" ? "a formula such as d2 a1^T" : "a formula";
  const input = el("input", { id, name: p.part, type: "text", autocomplete: "off", spellcheck: "false",
    autocapitalize: "off", placeholder: hint, "aria-describedby": `${id}-preview ${id}-verdict` });
  const preview = el("div", { id: `${id}-preview`, className: "preview", "aria-live": "polite" });
  const verdict = el("div", { id: `${id}-verdict`, className: "verdict", role: "status" });
  row.append(label, input, preview, verdict);
  const ask = { problem: pid, part: p.part };
  const read = debounce(async () => {
    const answer = input.value;
    try {
      showReading(preview, await api("/api/preview", { ...ask, student: student(), answer }), answer);
    } catch (err) {
      showReading(preview, { ok: false, error: err.message }, answer);
    }
  }, 150);
  input.addEventListener("input", () => { verdict.replaceChildren(); verdict.className = "verdict"; read(); });
  input.addEventListener("keydown", async (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (!input.value.trim()) return;
    try {
      const result = await api("/api/check", { ...ask, student: student(), answer: input.value });
      showVerdict(verdict, result);
      if (result.verdict === "correct") onCorrect();
    } catch (err) {
      showVerdict(verdict, { verdict: "invalid", message: err.message });
    }
  });
  return row;
}

function block(b) {
  if (b.kind === "math") {
    const box = el("div", { className: "rows" });
    for (const row of b.rows) box.append(math(row.replace(/&&/g, "\\quad ").replace(/&/g, ""), true));
    return box;
  }
  if (b.kind === "text") {
    const box = el("div", { className: "text" });
    for (const row of b.rows) box.append(el("p", {}, prose(row)));
    return box;
  }
  if (b.kind === "table") {
    const table = el("table");
    const head = el("tr");
    for (const h of b.head) head.append(el("th", { scope: "col" }, prose(String(h))));
    table.append(el("thead", {}, head));
    const rows = el("tbody");
    for (const r of b.rows) {
      const tr = el("tr");
      for (const c of r) {  // a cell is prose, or math when it has LaTeX commands and no $...$
        const cell = String(c);
        tr.append(el("td", {}, /\\[a-zA-Z]/.test(cell) && !cell.includes("$") ? math(cell, false) : prose(cell)));
      }
      rows.append(tr);
    }
    table.append(rows);
    return el("div", { className: "table" }, table);
  }
  if (b.kind === "code") return el("pre", { className: "code", text: b.text });
  if (b.kind === "derivation") {
    const box = el("div", { className: "rows" });
    const text = b.text.replace(/\\(begin|end)\{align\*?\}/g, "");
    for (const row of text.split(/\\\\\s*\n?/)) {
      const tex = row.replace(/&/g, "").trim();
      if (tex) box.append(math(tex, true));
    }
    return box;
  }
  return document.createDocumentFragment();
}

async function showSolution(pid) {
  const section = document.getElementById("solution");
  if (!section.hidden && section.childElementCount) return;
  section.hidden = false;
  section.replaceChildren(el("h2", { text: "Solution" }));
  try {
    const s = await api(`/api/problems/${encodeURIComponent(pid)}/solution?student=${encodeURIComponent(student())}`);
    if (s.graph) {
      section.append(el("figure", { className: "graph" }, svg(s.graph),
        el("figcaption", { text: "The computation graph with each value (data) and gradient (grad)." })));
    }
    for (const p of s.parts) {
      const box = el("div", { className: "solution-part" });
      box.append(el("h3", {}, `(${p.label}) `, prose(p.question)));
      for (const b of p.blocks) box.append(block(b));
      section.append(box);
    }
  } catch (err) {
    section.append(el("p", { className: "error", text: err.message }));
  }
}

async function showProblem() {
  const pid = body.dataset.problem;
  const load = async () => {
    try {
      const p = await api(`/api/problems/${encodeURIComponent(pid)}?student=${encodeURIComponent(student())}`);
      document.getElementById("title").textContent = p.title;
      document.title = `${p.title} · symgrad practice`;
      document.getElementById("given").replaceChildren(prose(p.given));
      const graph = document.getElementById("graph");
      if (p.graph) {
        graph.hidden = false;
        graph.replaceChildren(svg(p.graph), el("figcaption", { text: "The computation graph of the problem." }));
      }
      const form = document.getElementById("parts");
      form.replaceChildren(...p.parts.map((q, i) => part(pid, q, i, () => showSolution(pid))));
      document.getElementById("solution").replaceChildren();
      document.getElementById("solution").hidden = true;
      const first = form.querySelector("input");
      if (first) first.focus();
    } catch (err) {
      document.getElementById("title").textContent = err.message;
    }
  };
  setupStudent(load);
  document.getElementById("parts").addEventListener("submit", (event) => event.preventDefault());
  document.getElementById("show-solution").addEventListener("click", () => showSolution(pid));
  await load();
}

document.addEventListener("DOMContentLoaded", () => {
  if (body.dataset.page === "index") showIndex();
  else if (body.dataset.page === "problem") showProblem();
});
