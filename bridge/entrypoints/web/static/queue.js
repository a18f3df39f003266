// The queue's live parts: the countdowns tick every second, and each change the server
// pushes (server-sent events) reloads the table's rows, keeping the page's filters.
"use strict";
(function () {
  const body = document.body;
  const warning = Number(body.dataset.warning || "900");

  function tick() {
    const now = Date.now();
    for (const cell of document.querySelectorAll("[data-deadline]")) {
      const deadline = Date.parse(cell.dataset.deadline);
      if (Number.isNaN(deadline)) continue;
      const left = Math.floor((deadline - now) / 1000);
      const row = cell.closest("tr");
      if (left <= 0) {
        cell.textContent = "breached";
        row.className = "breached";
      } else {
        const m = Math.floor(left / 60);
        const s = left % 60;
        cell.textContent = Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") +
          "m " + String(s).padStart(2, "0") + "s";
        row.className = left <= warning ? "warning" : "ok";
      }
    }
  }

  let pending = null;
  async function refresh() {
    pending = null;
    const rows = document.getElementById("queue-rows");
    if (!rows) return;
    const answer = await fetch("/queue/rows" + window.location.search,
                                {credentials: "same-origin"});
    if (answer.ok) {
      rows.innerHTML = await answer.text();
      tick();
    }
  }

  // A ticket's page (its history and approvals) and a customer's list of tickets are
  // read again when a ticket of theirs changes.
  const LIVE_PARTS = ["history-rows", "approvals-live", "status", "sla", "approval",
                      "open-tickets", "closed-tickets"];
  async function refreshParts() {
    const answer = await fetch(window.location.pathname, {credentials: "same-origin"});
    if (!answer.ok) return;
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html");
    for (const id of LIVE_PARTS) {
      const here = document.getElementById(id);
      const there = fresh.getElementById(id);
      if (here && there) here.innerHTML = there.innerHTML;
    }
  }

  function changed(event) {
    const data = JSON.parse(event.data);
    const live = document.getElementById("live");
    if (live) live.textContent = "ticket " + data.id + " " + data.status;
    const ticket = document.getElementById("ticket");
    if (ticket) {
      if (String(data.id) === ticket.dataset.id) refreshParts();
      return;
    }
    if (document.getElementById("open-tickets")) {
      refreshParts();
      return;
    }
    if (pending === null) pending = setTimeout(refresh, 100);
  }

  if (document.getElementById("queue-rows") || document.getElementById("ticket") ||
      document.getElementById("open-tickets")) {
    const source = new EventSource("/events");
    source.onopen = () => { body.dataset.sse = "open"; };
    source.onerror = () => { body.dataset.sse = "reconnecting"; };
    source.addEventListener("ticket", changed);
  }
  tick();
  setInterval(tick, 1000);
})();
