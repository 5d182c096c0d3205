// The monitor page, kept current without a reload: rates arrive on the push stream (an
// EventSource on the page's data-stream URL), or, when EventSource is missing or the stream
// fails, from polling the live snapshot (data-poll) every data-poll-seconds. Each rate updates
// its card and table row (a flash), and the chart of the day; a firing of the reader's own
// rules re-reads the alerts panel (data-alerts). The volatility chart asks the analytics API.
// Without JavaScript the page is the server's first state, which is complete but still.
(() => {
  "use strict";
  const root = document.getElementById("monitor");
  if (!root) return;
  const { poll, stream, alerts, volatility } = root.dataset;
  const pollMs = Number(root.dataset.pollSeconds) * 1000;
  const signedIn = root.dataset.signedIn === "true";
  const field = (el, name) => el.querySelector(`[data-field="${name}"]`);
  const cards = new Map(Array.from(root.querySelectorAll(".pair-card"), (c) => [c.dataset.pair, c]));
  const table = document.getElementById("monitor-table");
  const rows = new Map(Array.from(table.tBodies[0].rows, (r) => [r.dataset.pair, r]));
  const seed = JSON.parse(document.getElementById("monitor-series").textContent);
  // The charts' buttons work only with this script: hidden in the server's page.
  for (const group of root.querySelectorAll(".ranges[hidden]")) group.hidden = false;

  // --- words, as the server writes them (monitor/templatetags/monitor_format.py) ------------
  const UNITS = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
  function ageText(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const [size, unit] = UNITS.find(([n]) => s >= n) || UNITS[3];
    return `${Math.floor(s / size)} ${unit} ago`;
  }
  const utcMinute = (iso) => `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  function changePct(rate, open) {
    return open ? (Number(rate) / Number(open) - 1) * 100 : null;
  }
  const direction = (pct) => (pct == null || pct === 0 ? "flat" : pct > 0 ? "up" : "down");
  // Axis labels with as many decimals as the ticks' spacing needs: moves of a few thousandths
  // of a percent read as distinct ticks, not as a column of "0.00 %".
  const tickLabels = (ticks, minimum) => {
    const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
    const decimals = Math.min(6, Math.max(minimum, Math.ceil(-Math.log10(step || 1))));
    return ticks.map((v) => `${(Math.abs(v) < step / 2 ? 0 : v).toFixed(decimals)} %`);
  };
  const signed = (pct) => `${pct >= 0 ? "+" : "-"}${Math.abs(pct).toFixed(2)} %`;
  const ARROWS = { up: "▲", down: "▼", flat: "●" };

  function flash(el) {
    el.classList.remove("flash");
    void el.offsetWidth; // restart the animation
    el.classList.add("flash");
  }

  function tickAges() {
    const now = Date.now();
    for (const time of root.querySelectorAll('time[data-field="age"]')) {
      const at = Date.parse(time.dateTime);
      if (!Number.isNaN(at)) time.textContent = ageText((now - at) / 1000);
    }
  }
  setInterval(tickAges, 1000);

  // --- one rate: its card, its row, the chart ------------------------------------------------
  function showCard(card, rate) {
    if ("open" in rate) card.dataset.open = rate.open ?? "";
    const pct = changePct(rate.rate, card.dataset.open);
    field(card, "rate").textContent = rate.rate;
    const change = field(card, "change");
    change.dataset.direction = direction(pct);
    const arrow = document.createElement("span");
    arrow.setAttribute("aria-hidden", "true");
    arrow.textContent = ARROWS[direction(pct)];
    const since = document.createElement("span");
    since.className = "muted";
    since.textContent = pct == null ? "no rate at 00:00 UTC" : "since 00:00 UTC";
    if (pct == null) change.replaceChildren("— ", since);
    else change.replaceChildren(arrow, ` ${signed(pct)} `, since);
    field(card, "source").textContent = rate.source ?? "";
    field(card, "age").dateTime = rate.observed_at;
    card.dataset.updated = rate.observed_at;
    flash(card);
  }

  function setCell(row, name, text, sort) {
    const cell = field(row, name);
    if (text !== null) cell.textContent = text;
    cell.dataset.sort = sort;
  }

  function showRow(row, rate) {
    if ("open" in rate) row.dataset.open = rate.open ?? "";
    const pct = changePct(rate.rate, row.dataset.open);
    setCell(row, "rate", rate.rate, rate.rate);
    setCell(row, "change", pct == null ? "—" : signed(pct), pct == null ? "" : String(pct));
    setCell(row, "source", rate.source ?? "", rate.source ?? "");
    setCell(row, "observed", null, String(Date.parse(rate.observed_at) / 1000));
    field(row, "age").dateTime = rate.observed_at;
    flash(row);
  }

  function showRate(rate) {
    // Crosses are derived among all the live currencies, the live pairs' own too: a live
    // pair's card and row show its quote, never its cross.
    if (rate.derived && cards.has(rate.pair)) return;
    const card = cards.get(rate.pair);
    const row = rows.get(rate.pair);
    const known = card || row;
    if (rate.rate == null || !known) return;
    const sameOpen = !("open" in rate) || (rate.open ?? "") === known.dataset.open;
    const same = known.dataset.updated === rate.observed_at && field(known, "rate").textContent === rate.rate;
    if (same && sameOpen) return; // nothing new: no flash
    if (card) showCard(card, rate);
    if (row) {
      showRow(row, rate);
      row.dataset.updated = rate.observed_at;
    }
    if (card) chart.add(rate.pair, Date.parse(rate.observed_at) / 1000, Number(rate.rate));
    tickAges();
  }

  // --- the chart: each live pair's change since the day's open, over the last hour or day ---
  const chart = (() => {
    const holder = document.getElementById("monitor-chart");
    const SPANS = { hour: 3600, day: 86400 };
    const WORDS = { hour: "the last hour", day: "the last day" };
    const names = Object.keys(seed.pairs);
    const copy = (found) => new Map(names.map((n) => [n, { t: [...found.pairs[n][0]], v: [...found.pairs[n][1]] }]));
    const points = { [seed.span]: copy(seed) }; // span: points, the others once asked for
    let span = seed.span;
    let newest = seed.now;
    let plot = null;

    function data() {
      const tables = names.map((name) => {
        const { t, v } = points[span].get(name);
        const open = Number(cards.get(name)?.dataset.open) || v[0];
        return [t, v.map((x) => (x / open - 1) * 100)];
      });
      return tables.length ? window.uPlot.join(tables) : [[]];
    }

    function options() {
      const style = getComputedStyle(root);
      const text = style.color;
      const grid = { stroke: style.getPropertyValue("--border").trim() || "#aab4bf", width: 1 };
      const hues = [210, 20, 130, 280, 50, 330, 170, 0];
      return {
        width: holder.clientWidth,
        height: 300,
        scales: { x: { time: true, range: () => [newest - SPANS[span], newest] } },
        series: [
          {},
          ...names.map((name, i) => ({
            label: name,
            stroke: `hsl(${hues[i % hues.length]} 70% 42%)`,
            width: 2,
            spanGaps: true,
            value: (_u, v) => (v == null ? "–" : signed(v)),
          })),
        ],
        axes: [
          { stroke: text, grid },
          { stroke: text, grid, size: 72, values: (_u, ticks) => tickLabels(ticks, 2) },
        ],
        hooks: { draw: [() => {
          if (!performance.getEntriesByName("koel:chart-drawn").length) performance.mark("koel:chart-drawn");
        }] },
      };
    }

    function draw() {
      const shown = data();
      if (plot) plot.setData(shown);
      else plot = new window.uPlot(options(), shown, holder);
      holder.dataset.span = span;
      holder.dataset.drawn = String(shown[0].length);
      holder.setAttribute("aria-label", `Each live pair's change in percent since 00:00 UTC over ${WORDS[span]}`);
    }

    function add(name, t, v) {
      newest = Math.max(newest, t);
      for (const found of Object.values(points)) {
        const series = found.get(name);
        if (!series || series.t[series.t.length - 1] >= t) continue;
        series.t.push(t);
        series.v.push(v);
      }
      if (plot) draw();
    }

    async function show(wanted) {
      if (!points[wanted]) {
        const query = new URLSearchParams({ span: wanted });
        const answer = await fetch(`${root.dataset.series}?${query}`, { cache: "no-store" });
        if (!answer.ok) return;
        const found = await answer.json();
        points[wanted] = copy(found);
        newest = Math.max(newest, found.now);
      }
      span = wanted;
      for (const b of root.querySelectorAll("button.span")) b.setAttribute("aria-pressed", String(b.dataset.span === span));
      draw();
    }

    for (const button of root.querySelectorAll("button.span")) {
      button.addEventListener("click", () => show(button.dataset.span));
    }
    if (window.uPlot) {
      window.addEventListener("resize", () => plot?.setSize({ width: holder.clientWidth, height: 300 }));
      draw();
    }
    return { add };
  })();

  // --- volatility: a bar per live pair, from the analytics API -------------------------------
  (() => {
    const holder = document.getElementById("volatility-chart");
    const note = document.getElementById("volatility-note");
    const pairs = Array.from(cards.keys());
    let plot = null;
    let labels = [];

    function draw(found) {
      labels = found.map((r) => r.pair);
      const shown = [found.map((_r, i) => i), found.map((r) => r.value)];
      const listed = found.map((r) => `${r.pair} ${r.text}`).join(", ") || "no pair has enough rates";
      holder.setAttribute("aria-label", `Annualised volatility: ${listed}`);
      holder.dataset.bars = String(found.length);
      if (plot) {
        plot.setData(shown);
        return;
      }
      const style = getComputedStyle(root);
      const grid = { stroke: style.getPropertyValue("--border").trim() || "#aab4bf", width: 1 };
      plot = new window.uPlot({
        width: holder.clientWidth,
        height: 220,
        scales: {
          x: { time: false, range: () => [-0.5, labels.length - 0.5] },
          y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] }, // bars stand on zero
        },
        legend: { show: false },
        cursor: { show: false },
        series: [{}, {
          label: "volatility",
          fill: style.getPropertyValue("--accent").trim() || "#0b5cad",
          stroke: style.getPropertyValue("--accent").trim() || "#0b5cad",
          paths: window.uPlot.paths.bars({ size: [0.6, 80] }),
          points: { show: false },
        }],
        axes: [
          { stroke: style.color, grid: { show: false }, splits: () => labels.map((_l, i) => i), values: () => labels },
          { stroke: style.color, grid, size: 64, values: (_u, ticks) => tickLabels(ticks, 1) },
        ],
      }, shown, holder);
      window.addEventListener("resize", () => plot.setSize({ width: holder.clientWidth, height: 220 }));
    }

    async function show(window_) {
      root.querySelectorAll("button.window").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.window === window_)));
      holder.dataset.window = window_;
      const query = new URLSearchParams({ pairs: pairs.join(","), window: window_, annualize: "true" });
      try {
        const answer = await fetch(`${volatility}?${query}`).then((r) => (r.ok ? r.json() : Promise.reject(r.status)));
        const found = volatilities(answer);
        draw(found);
        const missing = answer.pairs.length - found.length;
        const without = missing ? ` ${missing} pair${missing === 1 ? " has" : "s have"} too few rates for it.` : "";
        note.textContent = `Standard deviation of each pair's log returns per ${answer.interval} over ${window_}, annualised.${without}`;
      } catch (status) {
        note.textContent = `No volatility over ${window_} (the analytics API answered ${status}).`;
      }
    }

    for (const button of root.querySelectorAll("button.window")) {
      button.addEventListener("click", () => show(button.dataset.window));
    }
    if (pairs.length && window.uPlot) show(root.querySelector('button.window[aria-pressed="true"]').dataset.window);
  })();

  // The analytics API's answer as bars (docs/monitor.md, "Analytics API"): each pair's
  // annualised volatility in %, comparable across windows whose intervals differ.
  function volatilities(answer) {
    return answer.pairs
      .filter((r) => r.annualized != null)
      .map((r) => ({ pair: r.pair, value: r.annualized * 100, text: `${(r.annualized * 100).toFixed(2)} %`, n: r.observations }));
  }

  // --- the reader's alerts -------------------------------------------------------------------
  function distribution(id, items) {
    const body = document.getElementById(id).tBodies[0];
    const total = items.reduce((sum, r) => sum + r.count, 0);
    if (!items.length) {
      body.innerHTML = '<tr><td colspan="2">None yet.</td></tr>';
      return;
    }
    body.replaceChildren(...items.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.key = r.key;
      const label = document.createElement("td");
      label.textContent = r.label;
      const count = document.createElement("td");
      count.className = "num";
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.setProperty("--share", `${total ? Math.round((r.count / total) * 100) : 0}%`);
      count.append(bar, String(r.count));
      tr.append(label, count);
      return tr;
    }));
  }

  // As firing_words in monitor/templatetags/monitor_format.py.
  const CONDITIONS = { above: "above {}", below: "below {}", change_pct: "moved {} % or more" };

  function showAlerts(summary) {
    if (!summary.signed_in) return;
    field(root, "firings-total").textContent =
      `${summary.total} firing${summary.total === 1 ? "" : "s"} in the last ${summary.days} days.`;
    distribution("firings-by-pair", summary.by_pair);
    distribution("firings-by-condition", summary.by_condition);
    document.getElementById("firings-timeline").replaceChildren(...summary.timeline.map((f) => {
      const [base, target] = f.pair.split("/");
      const li = document.createElement("li");
      li.dataset.firing = String(f.id);
      const time = document.createElement("time");
      time.dateTime = f.fired_at;
      time.textContent = utcMinute(f.fired_at);
      const pair = document.createElement("strong");
      pair.textContent = f.pair;
      const words = CONDITIONS[f.condition].replace("{}", f.threshold);
      const named = f.name ? `${words} (${f.name})` : words;
      li.append(time, " ", pair, ` ${named}: 1 ${base} = ${f.rate} ${target}`);
      return li;
    }));
  }

  async function refreshAlerts() {
    if (!signedIn) return;
    const answer = await fetch(alerts, { cache: "no-store", credentials: "same-origin" });
    if (answer.ok) showAlerts(await answer.json());
  }

  // --- the sortable table --------------------------------------------------------------------
  const headers = Array.from(table.tHead.rows[0].cells);
  headers.forEach((header, column) => {
    header.querySelector("button.sort").addEventListener("click", () => {
      const up = header.getAttribute("aria-sort") !== "ascending";
      const numeric = header.dataset.type === "number";
      const value = (row) => {
        const raw = row.cells[column].dataset.sort ?? "";
        if (!numeric) return raw.toLowerCase();
        return raw === "" ? null : Number(raw);
      };
      const ordered = Array.from(rows.values()).sort((a, b) => {
        const [x, y] = [value(a), value(b)];
        if (x === y) return 0;
        if (x === null || y === null) return x === null ? 1 : -1; // no value: last either way
        return (x < y) === up ? -1 : 1;
      });
      headers.forEach((h) => h.removeAttribute("aria-sort"));
      header.setAttribute("aria-sort", up ? "ascending" : "descending");
      table.tBodies[0].append(...ordered);
    });
  });

  // --- where updates come from: the stream, else polling -------------------------------------
  function mode(name, text) {
    root.dataset.mode = name;
    field(root, "mode").textContent = text;
  }

  function showFeed(feed) {
    const state = document.getElementById("feed-state");
    state.dataset.state = feed.state;
    field(state, "feed-text").textContent = `Live feed ${feed.state}${feed.reason ? `: ${feed.reason}` : ""}.`;
    const tick = feed.last_tick_at ? `Last tick ${utcMinute(feed.last_tick_at)}${feed.source ? ` from ${feed.source}` : ""}; ` : "";
    const every = feed.interval_seconds ? `Ticks every ${feed.interval_seconds} s.` : "";
    field(state, "feed-detail").textContent = `${tick}${every}`;
  }

  async function readSnapshot() {
    const answer = await fetch(poll, { cache: "no-store" });
    if (!answer.ok) throw new Error(String(answer.status));
    const snapshot = await answer.json();
    showFeed(snapshot.feed);
    for (const rate of [...snapshot.pairs, ...snapshot.crosses]) showRate(rate);
  }

  let polling = false;
  async function pollOnce() {
    try {
      await readSnapshot();
      mode("polling", `Polling every ${pollMs / 1000} s.`);
      await refreshAlerts();
    } catch (error) {
      mode("polling", `Polling failed (${error.message}); trying again in ${pollMs / 1000} s.`);
    }
    setTimeout(pollOnce, pollMs);
  }

  function startPolling() {
    if (polling) return;
    polling = true;
    setTimeout(pollOnce, pollMs);
    mode("polling", `Polling every ${pollMs / 1000} s.`);
  }

  function listen() {
    const query = new URLSearchParams({ pairs: Array.from(rows.keys()).join(",") });
    const source = new window.EventSource(`${stream}?${query}`, { withCredentials: true });
    let opened = false;
    let failures = 0;
    source.addEventListener("open", () => {
      opened = true;
      failures = 0;
      mode("stream", "Updated live from the push stream.");
    });
    // A rate event carries no open: the first rate of a new UTC day re-reads the snapshot once,
    // for the day's opens (and the feed's state).
    let day = new Date(seed.now * 1000).toISOString().slice(0, 10);
    source.addEventListener("rate", (e) => {
      const rate = JSON.parse(e.data);
      const today = new Date(rate.observed_at).toISOString().slice(0, 10);
      if (today > day) {
        readSnapshot().then(() => { day = today; }, () => {}); // else the next rate tries again
      }
      showRate(rate);
    });
    source.addEventListener("firing", () => refreshAlerts());
    source.addEventListener("error", () => {
      failures += 1;
      // EventSource reconnects by itself (sending Last-Event-ID) after a drop; a stream that
      // never opened, was refused, or keeps failing is given up for polling.
      if (!opened || source.readyState === window.EventSource.CLOSED || failures >= 3) {
        source.close();
        startPolling();
      }
    });
  }

  // The server-rendered bars carry their share as data (the CSP allows no style attribute).
  for (const bar of document.querySelectorAll(".bar[data-share]")) {
    bar.style.setProperty("--share", `${bar.dataset.share}%`);
  }

  if (stream && window.EventSource) listen();
  else startPolling();
})();
