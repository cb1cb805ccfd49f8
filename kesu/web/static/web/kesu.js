// Small behaviours that CSP (script-src 'self') keeps out of inline attributes.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit")) {
    target.form.submit();
  }
});
// Toasts sent by htmx responses through `HX-Trigger: {"toast": "..."}`.
document.body?.addEventListener("toast", (event) => {
  const box = document.getElementById("toasts");
  const note = document.createElement("div");
  note.className = "toast";
  note.textContent = event.detail.value;
  box.append(note);
  setTimeout(() => note.remove(), 6000);
});
// Deadline badges count down live: `data-due` is the due instant; the wording comes
// from the page (<body data-deadline-left / data-deadline-overdue>) so it is translated.
const lang = document.documentElement.lang || "zh-hans";
const unitFormat = (unit) => new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "narrow" });
const units = [["day", 86400], ["hour", 3600], ["minute", 60]];

function duration(seconds) {
  const parts = [];
  let rest = Math.max(60, Math.abs(seconds));
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0 && parts.length < 2) {
      parts.push(unitFormat(unit).format(count));
      rest -= count * size;
    }
  }
  return parts.join(" ");
}

function tickDeadlines() {
  const left = document.body.dataset.deadlineLeft || "{time}";
  const overdue = document.body.dataset.deadlineOverdue || "-{time}";
  for (const badge of document.querySelectorAll(".deadline[data-due]")) {
    const state = badge.dataset.state;
    if (!["ok", "warning", "breached"].includes(state)) continue;
    const seconds = (Date.parse(badge.dataset.due) - Date.now()) / 1000;
    const label = badge.querySelector("[data-countdown]");
    if (seconds <= 0 && state !== "breached") {
      badge.dataset.state = "breached";
      badge.classList.replace(`state-${state}`, "state-breached");
    }
    label.textContent = (seconds > 0 ? left : overdue).replace("{time}", duration(seconds));
  }
}
tickDeadlines();
setInterval(tickDeadlines, 30000);
document.body?.addEventListener("htmx:afterSettle", tickDeadlines);
