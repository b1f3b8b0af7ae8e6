// Refreshes the turnout table and bar chart of a vote's public page every 30 seconds from the JSON API.
// No inline script: the page only carries data-turnout-url on the #turnout section.
(() => {
  const section = document.getElementById("turnout");
  if (!section) return;
  const url = section.dataset.turnoutUrl;
  const lang = document.documentElement.lang || "en";
  const number = new Intl.NumberFormat(lang);
  const percent = new Intl.NumberFormat(lang, { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const width = 400;

  function setRow(local, eligible, ballots, turnout) {
    const row = section.querySelector(`tr[data-local="${CSS.escape(local)}"]`);
    if (row) {
      row.querySelector(".eligible").textContent = number.format(eligible);
      row.querySelector(".ballots").textContent = number.format(ballots);
      row.querySelector(".share").textContent = percent.format(turnout);
    }
    const bar = section.querySelector(`g[data-local="${CSS.escape(local)}"] .bar`);
    if (bar) bar.setAttribute("width", (width * turnout).toFixed(1));
  }

  async function refresh() {
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" });
      if (!response.ok) return;
      const data = await response.json();
      for (const x of data.locals) setRow(x.local, x.eligible, x.ballots, x.turnout);
      setRow("", data.total.eligible, data.total.ballots, data.total.turnout);
      const at = section.querySelector("time.at");
      if (at) {
        at.setAttribute("datetime", data.at);
        at.textContent = new Date(data.at).toISOString().slice(11, 19) + " UTC";
      }
    } catch (_) {
      // offline for a moment: the next refresh will try again
    }
  }

  setInterval(refresh, 30000);
})();
