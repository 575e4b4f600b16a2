// Keyboard shortcuts and small conveniences; the pages work without this file.
(function () {
  "use strict";
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const rows = () => Array.from(document.querySelectorAll("li.statement[data-statement-id]"));
  let selected = -1;

  function select(index) {
    const all = rows();
    if (!all.length) return;
    selected = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((row, i) => row.classList.toggle("selected", i === selected));
    all[selected].focus();
    all[selected].scrollIntoView({ block: "nearest" });
  }

  // A form's question; "{target}" is the theme chosen in its menu (merge names both themes).
  function questionFor(form) {
    const text = form.dataset.confirm;
    if (!text) return text;
    const chosen = form.querySelector("select[name=target]");
    const name = chosen && chosen.selectedIndex >= 0 ? chosen.options[chosen.selectedIndex].text : "the chosen theme";
    const at = text.lastIndexOf("{target}");  // the last: a theme's own name could hold the same word
    return at < 0 ? text : text.slice(0, at) + name + text.slice(at + "{target}".length);
  }

  function submit(form) {
    if (!form) return;
    const question = questionFor(form);
    if (question && !window.confirm(question)) return;
    form.submit();  // submit() skips the submit event: the question was asked here
  }

  document.addEventListener("submit", (event) => {
    const question = questionFor(event.target);
    if (question && !event.submitter?.dataset.confirmed && !window.confirm(question)) event.preventDefault();
  }, true);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(document.activeElement)) return;
    const key = event.key;
    const focusTarget = document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (key === "?") { const help = document.getElementById("help"); help.hidden = !help.hidden; event.preventDefault(); return; }
    if (key === "j" || key === "k") { select(selected + (key === "j" ? 1 : -1)); event.preventDefault(); return; }
    if (focusTarget) {
      const box = focusTarget.closest("details");
      if (box) box.open = true;
      focusTarget.focus();
      if (focusTarget.select) focusTarget.select();
      event.preventDefault();
      return;
    }
    const row = rows()[selected];
    if (row && (key === "c" || key === "x")) { submit(row.querySelector(`form[data-row-key="${key}"]`)); event.preventDefault(); return; }
    if (row && key === "o") { row.querySelector("a[data-open]")?.click(); event.preventDefault(); return; }
    const target = document.querySelector(`[data-key="${CSS.escape(key)}"]`);
    if (!target) return;
    event.preventDefault();
    if (target.tagName === "FORM") {
      const question = questionFor(target);
      if (question && !window.confirm(question)) return;
      target.submit();  // submit() skips the submit event: the question was asked here
    } else {
      target.click();
    }
  });

  document.querySelector("[data-help]")?.addEventListener("click", () => {
    const help = document.getElementById("help");
    help.hidden = !help.hidden;
  });
})();
