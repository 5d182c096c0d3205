// The pair page's chart, drawn with uPlot (static/vendor/uplot) from the series the server
// embedded, and redrawn from Koel's own /api/v1/rates/history/ when a range button is pressed
// or dates are given. Without JavaScript the same buttons and form load the page anew.
(() => {
  "use strict";
  const root = document.getElementById("pair");
  const holder = document.getElementById("pair-chart");
  if (!root || !holder || !window.uPlot) return;
  const { base, target, locale, newest } = root.dataset;
  const hover = document.getElementById("pair-hover");
  const rate = new Intl.NumberFormat(locale, { maximumFractionDigits: 12 });
  const percent = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  // As pages/pair.py: days back from the newest observation, and the bucket fitting a span.
  const RANGES = { "1W": 7, "1M": 30, "3M": 91, "1Y": 365, "5Y": 1826, Max: 36500 };
  const DAY = 86400000;
  const bucketFor = (days) => (days <= 400 ? "day" : days <= 2000 ? "week" : "month");
  const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
  const field = (name) => root.querySelector(`[data-field="${name}"]`);

  function showValue(u) {
    const i = u.cursor.idx;
    if (i == null) return;
    const day = iso(u.data[0][i] * 1000);
    hover.textContent = `${day}: 1 ${base} = ${rate.format(u.data[1][i])} ${target}`;
  }

  // Shift-drag pans the time axis; a plain drag zooms (uPlot's own), a double-click resets.
  function panOrZoom(u, _target, handler) {
    return (e) => {
      if (!e.shiftKey) return handler(e);
      const x0 = e.clientX;
      const { min, max } = u.scales.x;
      const move = (m) => {
        const shift = ((x0 - m.clientX) / u.over.clientWidth) * (max - min);
        u.setScale("x", { min: min + shift, max: max + shift });
      };
      const up = () => {
        document.removeEventListener("mousemove", move);
        document.removeEventListener("mouseup", up);
      };
      document.addEventListener("mousemove", move);
      document.addEventListener("mouseup", up);
      return null;
    };
  }

  // The wheel zooms the time axis around the pointer.
  function wheelZoom(u) {
    u.over.addEventListener("wheel", (e) => {
      e.preventDefault();
      const at = u.posToVal(u.cursor.left, "x");
      const factor = e.deltaY < 0 ? 0.8 : 1.25;
      const { min, max } = u.scales.x;
      const first = u.data[0][0];
      const last = u.data[0][u.data[0].length - 1];
      u.setScale("x", {
        min: Math.max(first, at - (at - min) * factor),
        max: Math.min(last, at + (max - at) * factor),
      });
    }, { passive: false });
  }

  // The first draw is marked for bench/pages.py (time to first chart paint).
  function markPaint() {
    if (!performance.getEntriesByName("koel:chart-drawn").length) performance.mark("koel:chart-drawn");
  }

  function options() {
    const style = getComputedStyle(root);
    const text = style.color;
    const grid = { stroke: style.getPropertyValue("--border").trim() || "#aab4bf", width: 1 };
    return {
      width: holder.clientWidth,
      height: 320,
      scales: { x: { time: true } },
      series: [
        {},
        {
          label: `${base} → ${target}`,
          stroke: style.getPropertyValue("--accent").trim() || "#0b5cad",
          width: 2,
          value: (_u, v) => (v == null ? "–" : rate.format(v)),
        },
      ],
      axes: [{ stroke: text, grid }, { stroke: text, grid, size: 72 }],
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, bind: { mousedown: panOrZoom } },
      hooks: { setCursor: [showValue], ready: [wheelZoom], draw: [markPaint] },
    };
  }

  const series = JSON.parse(document.getElementById("pair-series").textContent);
  const plot = new window.uPlot(options(), series, holder);
  holder.dataset.drawn = String(series[0].length);
  window.addEventListener("resize", () => plot.setSize({ width: holder.clientWidth, height: 320 }));

  function showSummary(s) {
    field("open").textContent = rate.format(Number(s.first));
    field("close").textContent = rate.format(Number(s.last));
    field("low").textContent = rate.format(Number(s.min));
    field("high").textContent = rate.format(Number(s.max));
    field("change").textContent = rate.format(Number(s.change));
    field("change_pct").textContent = `${percent.format(Number(s.change_pct))} %`;
  }

  function showTable(points) {
    const body = root.querySelector(".points tbody");
    body.replaceChildren(...points.map((p) => {
      const row = document.createElement("tr");
      for (const text of [p.start.slice(0, 10), rate.format(Number(p.close))]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }));
  }

  function showSources(sources) {
    field("sources").textContent = Object.entries(sources)
      .map(([code, n]) => `${code} (${n} observation${n === 1 ? "" : "s"})`)
      .join(", ");
  }

  function mark(name, start, end, interval, count) {
    for (const link of root.querySelectorAll("a.range")) {
      if (link.dataset.range === name) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
    document.getElementById("id_start").value = start;
    document.getElementById("id_end").value = end;
    Object.assign(holder.dataset, { start, end, interval, points: String(count) });
    holder.setAttribute("aria-label",
      `${base} to ${target} from ${start} to ${end}, one point per ${interval}`);
    const plural = count === 1 ? "" : "s";
    field("shown").textContent = `${count} ${interval} point${plural} from ${start} to ${end}`;
    for (const format of ["csv", "xlsx"]) {
      const query = new URLSearchParams({ base, target, start, end, interval, format });
      document.getElementById(`pair-${format}`).href = `${root.dataset.history}?${query}`;
    }
    const own = name ? `?range=${name}` : `?${new URLSearchParams({ start, end })}`;
    window.history.replaceState(null, "", own);
  }

  async function show(name, start, end) {
    const days = Math.round((Date.parse(end) - Date.parse(start)) / DAY) + 1;
    const interval = bucketFor(days);
    const query = new URLSearchParams({ base, target, start, end, interval });
    const range = name ? new URLSearchParams({ range: name }) : new URLSearchParams({ start, end });
    root.setAttribute("aria-busy", "true");
    try {
      const [answer, found] = await Promise.all([
        fetch(`${root.dataset.history}?${query}`).then((r) => (r.ok ? r.json() : null)),
        fetch(`${root.dataset.sources}?${range}`).then((r) => (r.ok ? r.json() : null)),
      ]);
      if (!answer) {
        hover.textContent = `No ${base} → ${target} rates between ${start} and ${end}.`;
        return;
      }
      const points = answer.points;
      plot.setData([points.map((p) => Date.parse(p.start) / 1000), points.map((p) => Number(p.close))]);
      holder.dataset.drawn = String(points.length);
      showSummary(answer.summary);
      showTable(points);
      if (found) showSources(found.sources);
      mark(name, start, end, interval, points.length);
    } finally {
      root.removeAttribute("aria-busy");
    }
  }

  for (const link of root.querySelectorAll("a.range")) {
    link.addEventListener("click", (e) => {
      e.preventDefault();
      const name = link.dataset.range;
      show(name, iso(Date.parse(newest) - RANGES[name] * DAY), newest);
    });
  }
  document.getElementById("pair-dates").addEventListener("submit", (e) => {
    const start = document.getElementById("id_start").value;
    const end = document.getElementById("id_end").value;
    if (!start || !end || start > end) return; // the server says what is wrong
    e.preventDefault();
    show(null, start, end);
  });
})();
