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
