// The converter as you type: the same answers the page renders, fetched from Koel's own API
// (/api/v1/convert/ for the conversion, /api/v1/rates/ for the rate both ways and
// /api/v1/rates/history/ for the sparkline). The form keeps working without this script.
"use strict";

(function () {
  const form = document.getElementById("converter");
  if (!form) return;
  const locale = form.dataset.locale || "en";
  const lookback = form.dataset.lookback;
  const result = document.getElementById("result");
  const banner = document.getElementById("converter-error");
  const fields = { amount: form.elements.amount, base: form.elements.base, target: form.elements.target, date: form.elements.date };
  // The API names its parameters from/to; the form (and its links) base/target.
  const API_FIELDS = { from: "base", to: "target", amount: "amount", date: "date", at: "date", base: "base", target: "target" };
  const PATHS = {
    direct: "direct: a source quotes this pair",
    inverse: "inverse: a source quotes the opposite pair",
    cross: "cross rate",
  };
  const EARLIEST_DATE = form.dataset.earliest;
  const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  let generation = 0, timer = null;

  const $ = function (name) { return result.querySelector('[data-field="' + name + '"]'); };
  const optionOf = function (code) { return fields.base.querySelector('option[value="' + code + '"]'); };

  function setError(name, message) {
    const list = document.getElementById("id_" + name + "_error");
    list.replaceChildren();
    if (message) { const li = document.createElement("li"); li.textContent = message; list.append(li); }
    const control = fields[name];
    control.closest(".field").classList.toggle("invalid", !!message);
    if (message) control.setAttribute("aria-invalid", "true"); else control.removeAttribute("aria-invalid");
    control.dispatchEvent(new CustomEvent("koel:invalid", { detail: !!message }));
  }
  function clearErrors() { Object.keys(fields).forEach(function (n) { setError(n, ""); }); banner.textContent = ""; }

  // The checks the server's form makes, with its words, so a message does not flicker between
  // the typed-ahead and the reloaded page.
  function check(v) {
    const text = v.amount.trim().replace(/_/g, "");
    if (!NUMBER.test(text)) return ["amount", "'" + text + "' is not a number: enter an amount such as 100 or 12.50."];
    if (text.startsWith("-") && Number(text) !== 0) return ["amount", "Amount must be a finite number ≥ 0, got " + text + "."];
    if (magnitude(text) >= 30) return ["amount", "Amount must be below 1E+30."];
    if (v.base === v.target) return ["target", "Choose a currency other than the one you convert from."];
    if (v.date && v.date > new Date().toISOString().slice(0, 10)) return ["date", v.date + " is in the future: choose today or earlier."];
    if (v.date && v.date < EARLIEST_DATE) return ["date", "Koel holds no rates before " + EARLIEST_DATE + "."];
    return null;
  }
  function magnitude(text) {
    const m = text.replace(/^[+-]/, "").toLowerCase().split("e");
    const digits = m[0].replace(/^0+(?=\d)/, "").split(".")[0].replace(/^0+$/, "");
    return (digits.length ? digits.length - 1 : -1) + (m[1] ? parseInt(m[1], 10) : 0);
  }

  function values() {
    return { amount: fields.amount.value, base: fields.base.value, target: fields.target.value, date: fields.date.value };
  }

  async function getJSON(path, params) {
    const response = await fetch(path + "?" + new URLSearchParams(params), { headers: { Accept: "application/json" } });
    // A body that is not JSON (a proxy's error page) still fails with a message.
    const body = await response.json().catch(function () { return { error: { message: "Koel's API answered " + response.status + "; the Convert button still works." } }; });
    if (!response.ok) throw Object.assign(new Error(body.error ? body.error.message : response.statusText), { status: response.status, field: body.error && body.error.field });
    return body;
  }

  async function update() {
    const mine = ++generation, v = values();
    history.replaceState(null, "", "?" + new URLSearchParams(v));
    clearErrors();
    const problem = check(v);
    if (problem) { setError(problem[0], problem[1]); result.hidden = true; return; }
    const convertParams = { from: v.base, to: v.target, amount: v.amount.trim().replace(/_/g, "") };
    const ratesParams = { base: v.base, target: v.target };
    if (v.date) { convertParams.date = v.date; ratesParams.at = v.date; }
    try {
      const answers = await Promise.all([getJSON("/api/v1/convert/", convertParams), getJSON("/api/v1/rates/", ratesParams)]);
      if (mine !== generation) return; // a newer keystroke has asked since
      show(answers[0], answers[1].rates[0], v);
    } catch (error) {
      if (mine !== generation) return;
      result.hidden = true;
      failed(error, v);
    }
  }

  function failed(error, v) {
    if (error.status === 404 && v.date) {
      setError("date", "No " + v.base + " → " + v.target + " rate on " + v.date + " or in the " + lookback + " days before it: choose a later date.");
    } else if (error.status === 404) {
      banner.textContent = "Koel has no rate from " + v.base + " to " + v.target + " yet.";
    } else if (error.field && API_FIELDS[error.field]) {
      setError(API_FIELDS[error.field], error.message);
    } else {
      banner.textContent = error.message || "The converter could not reach Koel's API; the Convert button still works.";
    }
  }

  function money(value, code, digits) {
    const d = Math.min(20, Math.max(0, digits));
    try {
      return new Intl.NumberFormat(locale, { style: "currency", currency: code, minimumFractionDigits: d, maximumFractionDigits: d }).format(value);
    } catch (e) { return value + " " + code; }
  }
  function decimals(text) { const n = text.toLowerCase().split("e")[0].split(".")[1]; return n ? n.replace(/0+$/, "").length : 0; }
  function plain(rate) {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: 12 }).format(Number(rate));
  }
  function age(seconds) {
    const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "always" });
    const steps = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
    for (const [unit, size] of steps) if (seconds >= size) return rtf.format(-Math.round(seconds / size), unit);
    return rtf.format(-Math.max(0, Math.round(seconds)), "second");
  }
  function weekday(day) {
    return new Date(day + "T12:00:00Z").toLocaleDateString("en-GB", { weekday: "short", timeZone: "UTC" }) + " " + day;
  }

  function show(conversion, rate, v) {
    const base = conversion.from, target = conversion.to;
    const digits = parseInt(optionOf(target).dataset.digits, 10);
    // The currency's minor digits ($1,234.50), or more when typed ($0.125), as the server does.
    const baseDigits = parseInt(optionOf(base).dataset.digits, 10);
    $("amount").textContent = money(conversion.amount, base, Math.max(baseDigits, decimals(conversion.amount)));
    $("converted").textContent = money(conversion.converted, target, digits);
    $("rate-line").textContent = "1 " + base + " = " + plain(conversion.rate) + " " + target;
    $("inverse-line").textContent = "1 " + target + " = " + plain(rate.inverse) + " " + base;
    $("path").textContent = PATHS[conversion.path] + (conversion.via ? " via " + conversion.via : "");
    $("sources").textContent = conversion.sources.join(", ");
    const observed = $("observed");
    observed.dateTime = conversion.observed_at;
    observed.textContent = conversion.observed_at.slice(0, 16).replace("T", " ") + " UTC";
    const seconds = conversion.age_seconds != null ? conversion.age_seconds : (Date.now() - Date.parse(conversion.observed_at)) / 1000;
    $("age").textContent = age(seconds);
    const differ = conversion.requested_date && conversion.requested_date !== conversion.rate_date;
    $("dates").hidden = $("dates-label").hidden = !differ;
    $("dates").textContent = differ ? "You asked for " + weekday(conversion.requested_date) + "; the rate is from " + weekday(conversion.rate_date) + ", the latest on or before it." : "";
    result.hidden = false;
    sparkline(base, target, conversion.rate_date);
  }

  // 30 days up to the rate's own date, so that a historical conversion shows its own month.
  async function sparkline(base, target, day) {
    const link = document.getElementById("sparkline");
    link.href = "/pair/" + base + "/" + target + "/";
    link.querySelector('[data-field="sparkline-label"]').textContent = "History of " + base + " → " + target;
    const chart = link.querySelector(".sparkline-chart");
    const start = new Date(Date.parse(day + "T00:00:00Z") - 30 * 86400000).toISOString().slice(0, 10);
    try {
      const found = await getJSON("/api/v1/rates/history/", { base: base, target: target, start: start, end: day });
      chart.replaceChildren(draw(found.points.map(function (p) { return Number(p.value); })));
      chart.dataset.points = String(found.points.length);
    } catch (e) {
      chart.replaceChildren(); // no history to draw: the link alone stays
      chart.dataset.points = "0";
    }
  }
  function draw(values) {
    const ns = "http://www.w3.org/2000/svg", w = 100, h = 24;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("preserveAspectRatio", "none");
    const min = Math.min.apply(null, values), max = Math.max.apply(null, values), span = max - min || 1;
    const step = values.length > 1 ? w / (values.length - 1) : 0;
    const points = values.map(function (v, i) { return (i * step).toFixed(2) + "," + (h - 1 - ((v - min) / span) * (h - 2)).toFixed(2); });
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", values.length > 1 ? points.join(" ") : "0," + h / 2 + " " + w + "," + h / 2);
    svg.append(line);
    return svg;
  }

  function later() { clearTimeout(timer); timer = setTimeout(update, 250); }

  document.getElementById("swap").addEventListener("click", function (e) {
    e.preventDefault();
    const from = fields.base.value;
    fields.base.value = fields.target.value;
    fields.target.value = from;
    [fields.base, fields.target].forEach(function (s) { s.dispatchEvent(new Event("change", { bubbles: true })); });
  });
  fields.amount.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function (e) { e.preventDefault(); clearTimeout(timer); update(); });
  // The page as loaded is the server's answer (sparkline included): nothing to fetch until a change.
})();
