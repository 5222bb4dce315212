// The class dashboard's live updates: rows replaced from the server-sent event stream (the server
// renders and escapes them), relative times ticking, the "stuck" highlight appearing on time, and
// the step statistics refreshed at most every few seconds. No inline script (CSP), no library.
"use strict";
(function () {
  const grid = document.getElementById("grid");
  const live = document.getElementById("live");
  if (!grid) return;
  const stuckMs = Number(grid.dataset.stuckMs || 600000);
  const view = grid.dataset.view;
  const names = grid.dataset.names;
  let statsDue = false;
  let statsBusy = false;

  function ago(iso) {
    const t = Date.parse(iso);
    if (!iso || Number.isNaN(t)) return "";
    const s = Math.max(0, Math.floor((Date.now() - t) / 1000));
    if (s < 60) return "před " + s + " s";
    if (s < 3600) return "před " + Math.floor(s / 60) + " min";
    if (s < 86400) return "před " + Math.floor(s / 3600) + " h";
    return "před " + Math.floor(s / 86400) + " d";
  }

  function tick() {
    for (const el of document.querySelectorAll(".ago[data-ts]")) {
      const text = ago(el.dataset.ts);
      if (text && el.textContent !== text) el.textContent = text;
    }
    for (const row of grid.querySelectorAll("tr[data-stuck-since]")) {
      const stuck = Date.now() - Date.parse(row.dataset.stuckSince) >= stuckMs;
      row.classList.toggle("stuck", stuck);
      const note = row.querySelector(".stuck-note");
      if (note) note.hidden = !stuck;
    }
  }

  function replaceRow(id, html) {
    const tpl = document.createElement("template");
    tpl.innerHTML = html.trim();  // rendered and escaped by the server (Jinja autoescape)
    const fresh = tpl.content.firstElementChild;
    if (!fresh) return;
    const old = document.getElementById("s-" + id);
    if (old) old.replaceWith(fresh); else grid.tBodies[0].appendChild(fresh);
    fresh.classList.add("flash");
    fresh.dataset.updatedAt = String(Date.now());
    setTimeout(() => fresh.classList.remove("flash"), 1500);
    const empty = document.querySelector(".empty");
    if (empty) empty.remove();
    tick();
  }

  async function refreshStats() {
    const stats = document.getElementById("stats");
    if (!stats || statsBusy || !statsDue) return;
    statsBusy = true;
    statsDue = false;
    try {
      const response = await fetch("/fragment/stats", {credentials: "same-origin"});
      if (response.ok) {
        const tpl = document.createElement("template");
        tpl.innerHTML = (await response.text()).trim();
        const fresh = tpl.content.querySelector("#stats");
        if (fresh) stats.replaceWith(fresh);
      }
    } catch (e) { statsDue = true; }
    statsBusy = false;
  }

  function connect() {
    const params = new URLSearchParams({view: view, names: names});
    const source = new EventSource("/events?" + params.toString());
    source.addEventListener("hello", () => { if (live) live.textContent = "Živé aktualizace: zapnuto"; });
    source.addEventListener("row", (event) => {
      const data = JSON.parse(event.data);
      replaceRow(data.id, data.html);
      statsDue = true;
    });
    source.onerror = () => { if (live) live.textContent = "Živé aktualizace: spojení přerušeno, připojuji znovu…"; };
  }

  connect();
  tick();
  setInterval(tick, 1000);
  setInterval(refreshStats, 3000);
})();
