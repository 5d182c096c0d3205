// Searchable currency pickers: each <select class="js-picker"> becomes an ARIA 1.2 combobox
// (a text input with a listbox popup, https://www.w3.org/WAI/ARIA/apg/patterns/combobox/).
// The <select> stays in the form, hidden, and holds the value: the form submits as it would
// without JavaScript, and listeners of its "change" event see every choice.
"use strict";

(function () {
  function optionsOf(select) {
    // The placeholder (value "") shown after an unknown code is no currency to offer.
    return Array.from(select.options).filter(function (o) { return o.value; }).map(function (o) {
      return {
        code: o.value, label: o.textContent.trim(),
        haystack: [o.value, o.dataset.name, o.dataset.symbol].join(" ").toLowerCase(),
      };
    });
  }

  // Codes that start with the query first (typing "us" means USD), then any other match.
  function filter(options, query) {
    const q = query.trim().toLowerCase();
    if (!q) return options;
    const starts = [], contains = [];
    options.forEach(function (o) {
      if (o.code.toLowerCase().startsWith(q)) starts.push(o);
      else if (o.haystack.includes(q)) contains.push(o);
    });
    return starts.concat(contains);
  }

  function enhance(select) {
    const id = select.id, options = optionsOf(select);
    const label = document.querySelector('label[for="' + id + '"]');
    const box = document.createElement("div");
    box.className = "combobox";
    const input = document.createElement("input");
    Object.assign(input, { type: "text", id: id + "_search", className: "combobox-input", autocomplete: "off", spellcheck: false });
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id + "_list");
    ["aria-describedby", "aria-invalid"].forEach(function (a) {
      if (select.hasAttribute(a)) input.setAttribute(a, select.getAttribute(a));
    });
    const list = document.createElement("ul");
    Object.assign(list, { id: id + "_list", className: "combobox-list", hidden: true });
    list.setAttribute("role", "listbox");
    if (label) { label.htmlFor = input.id; list.setAttribute("aria-labelledby", label.id || (label.id = id + "_label")); }
    box.append(input, list);
    select.after(box);
    select.hidden = true;
    select.tabIndex = -1;

    let shown = [], active = -1;
    const current = function () { return options.find(function (o) { return o.code === select.value; }); };
    const showCurrent = function () { input.value = current() ? current().label : ""; };

    function render() {
      list.replaceChildren();
      shown.forEach(function (o, i) {
        const li = document.createElement("li");
        li.id = id + "_opt_" + o.code;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", String(i === active));
        li.textContent = o.label;
        li.dataset.code = o.code;
        list.append(li);
      });
      if (!shown.length) {
        const li = document.createElement("li");
        li.className = "combobox-empty";
        li.textContent = "No currency matches.";
        list.append(li);
      }
      const el = active >= 0 ? list.children[active] : null;
      if (el) { input.setAttribute("aria-activedescendant", el.id); el.scrollIntoView({ block: "nearest" }); }
      else input.removeAttribute("aria-activedescendant");
    }
    function open(query) {
      shown = filter(options, query);
      active = shown.length ? 0 : -1;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      render();
    }
    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function choose(code) {
      close();
      if (code && code !== select.value) {
        select.value = code;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      showCurrent();
    }
    function move(step) {
      if (list.hidden) return open("");
      if (!shown.length) return;
      active = (active + step + shown.length) % shown.length;
      render();
    }

    input.addEventListener("input", function () { open(input.value); });
    input.addEventListener("focus", function () { input.select(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
      else if (e.key === "Enter" && !list.hidden) { e.preventDefault(); choose(shown[active] && shown[active].code); }
      else if (e.key === "Escape") { close(); showCurrent(); }
      else if (e.key === "Tab" && !list.hidden && shown[active] && input.value !== (current() || {}).label) { choose(shown[active].code); }
    });
    // mousedown, not click: the input must keep focus until the choice is made.
    list.addEventListener("mousedown", function (e) {
      const li = e.target.closest('[role="option"]');
      if (li) { e.preventDefault(); choose(li.dataset.code); }
    });
    input.addEventListener("blur", function () { close(); showCurrent(); });
    // Another script (the swap button) may set the select: follow it.
    select.addEventListener("change", showCurrent);
    select.addEventListener("koel:invalid", function (e) {
      if (e.detail) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
    });
    showCurrent();
  }

  document.querySelectorAll("select.js-picker").forEach(enhance);
})();
