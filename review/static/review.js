// Keyboard shortcuts and small conveniences; the pages work without this file.
(function () {
  "use strict";
  const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const rows = () => Array.from(document.querySelectorAll("li.statement[data-statement-id]"));
  let selected = -1;

  // Single-key shortcuts can be turned off in the help panel (WCAG 2.1.4), for this browser.
  const SHORTCUTS = "qualflow.shortcuts";
  const shortcutsOn = () => { try { return localStorage.getItem(SHORTCUTS) !== "off"; } catch (e) { return true; } };
  const help = document.getElementById("help");
  const helpToggle = document.querySelector("[data-help]");
  let focusBeforeHelp = null;

  // The help panel takes focus when it opens, and gives it back when it closes (Escape, Close, ? again).
  function showHelp(open) {
    if (!help || open === !help.hidden) return;
    if (open) {
      focusBeforeHelp = document.activeElement;
      help.hidden = false;
      help.focus();
    } else {
      help.hidden = true;
      const back = focusBeforeHelp && focusBeforeHelp !== document.body && document.contains(focusBeforeHelp)
        ? focusBeforeHelp : helpToggle;
      back?.focus();
    }
    helpToggle?.setAttribute("aria-expanded", String(open));
  }

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
    if (event.key === "Escape" && help && !help.hidden) { showHelp(false); event.preventDefault(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(document.activeElement) || !shortcutsOn()) return;
    const key = event.key;
    const focusTarget = document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
    if (key === "?") { showHelp(help.hidden); event.preventDefault(); return; }
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

  helpToggle?.addEventListener("click", () => showHelp(help.hidden));
  document.querySelector("[data-help-close]")?.addEventListener("click", () => showHelp(false));
  const shortcutsBox = document.getElementById("shortcuts-on");
  if (shortcutsBox) {
    shortcutsBox.checked = shortcutsOn();
    shortcutsBox.addEventListener("change", () => {
      try { localStorage.setItem(SHORTCUTS, shortcutsBox.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }

  // Back from a decision (server.py: the form's `back`), the statement it named is selected again: j, k,
  // c and x go on from there, and a screen reader is not sent back to the top of the page.
  const named = location.hash.match(/^#s(\d+)$/);
  const again = named ? rows().findIndex((row) => row.dataset.statementId === named[1]) : -1;
  if (again >= 0) select(again);
})();
