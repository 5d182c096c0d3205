// The rates table: a click on a column's header sorts by it (again: the other way), typing in
// the filter keeps the rows whose code or name contain the text, and picking a base opens its
// table. Without JavaScript the table is the server's, in code order, and the picker a form.
(() => {
  "use strict";
  const table = document.getElementById("rates-table");
  const picker = document.getElementById("id_base");
  if (picker) {
    picker.addEventListener("change", () => {
      window.location.assign(`/rates/${encodeURIComponent(picker.value)}/`);
    });
  }
  if (!table) return;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const headers = Array.from(table.tHead.rows[0].cells);
  const filter = document.getElementById("rates-filter");
  const count = document.getElementById("rates-count");
  const total = rows.length;
  const note = count.textContent.slice(count.textContent.indexOf(".") + 1);

  function key(row, column, numeric) {
    const raw = row.cells[column].dataset.sort;
    if (!numeric) return raw.toLowerCase();
    return raw === "" ? null : Number(raw);
  }

  function sortBy(column) {
    const header = headers[column];
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    const numeric = header.dataset.type === "number";
    const sign = ascending ? 1 : -1;
    const sorted = rows.slice().sort((a, b) => {
      const x = key(a, column, numeric);
      const y = key(b, column, numeric);
      if (x === y) return 0;
      if (x === null) return 1; // rows without a value last, whichever the direction
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sign;
    });
    for (const h of headers) h.removeAttribute("aria-sort");
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    body.append(...sorted);
  }

  headers.forEach((header, column) => {
    header.querySelector("button.sort").addEventListener("click", () => sortBy(column));
  });

  filter.addEventListener("input", () => {
    const words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const row of rows) {
      const text = row.dataset.filter.toLowerCase();
      const match = words.every((w) => text.includes(w));
      row.hidden = !match;
      if (match) shown += 1;
    }
    count.textContent = `${shown} of ${total} currencies shown.${note}`;
  });
})();
