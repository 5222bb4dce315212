/* The course in the book: progress badges, progress bars and tiered hints.
 *
 * The student's progress is data in _static/progress.js
 * (`window.COURSE_PROGRESS = {...}`, written by the checker after every run and by
 * the book build; format owned by checkers/progress.py). It is loaded with a
 * <script src> because fetch() of a local file fails over file://, and with
 * `?t=<now>` so a browser never shows a cached copy over http.
 * An open page re-reads the data every POLL_MS (a new <script> element each time; over
 * file:// nothing else can notice a changed file) and whenever it gets focus again, so a
 * checker run shows up within seconds without a reload. It re-renders only when the data
 * changed.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("course-js");

  var POLL_MS = 2000;
  var ownScript = document.currentScript;
  var staticBase = ownScript && ownScript.src ? ownScript.src.replace(/course\.js(\?.*)?$/, "") : "_static/";

  // ------------------------------------------------------------------ formatting (Czech)

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  /* "24. 11. 2026 v 14:05" in the reader's local time; "" for a missing/bad date. */
  function formatTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.getDate() + ". " + (d.getMonth() + 1) + ". " + d.getFullYear() + " v " + d.getHours() + ":" + pad(d.getMinutes());
  }

  /* Czech plural: plural(1, "krok", "kroky", "kroků") = "1 krok", 3 → "3 kroky", 5 → "5 kroků". */
  function plural(n, one, few, many) {
    return n + " " + (n === 1 ? one : n >= 2 && n <= 4 ? few : many);
  }

  /* A step's status (checkers/progress.py STEP_STATUSES) → badge. "unverified": evidence was missing,
     nothing failed (never the student's fault); "error": a check of the checker crashed. */
  var STATES = {
    unknown: { cls: "course-badge-unknown", text: "○ zatím neověřeno" },
    passed: { cls: "course-badge-passed", text: "✔ splněno" },
    failed: { cls: "course-badge-failed", text: "✘ nesplněno" },
    unverified: { cls: "course-badge-unverified", text: "? nelze ověřit" },
    error: { cls: "course-badge-error", text: "⚠ nepodařilo se ověřit" }
  };

  var TITLES = {
    unverified: "Checker tento krok nemohl celý ověřit – chyběly mu podklady (proč, napíše jeho výstup). " +
      "Není to chyba na vaší straně a nepočítá se to jako nesplněné.",
    error: "Kontrola v checkeru sama selhala – chyba není na vaší straně. Výstup checkeru řekne víc; " +
      "nahlaste to prosím vyučujícímu."
  };

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  function span(cls, text) {
    var s = document.createElement("span");
    s.className = cls;
    s.textContent = text;
    return s;
  }

  // ------------------------------------------------------------------ rendering

  function renderBadge(el, record) {
    var stepId = el.getAttribute("data-step");
    var state = record && STATES[record.status] ? record.status : "unknown";
    var info = STATES[state];
    Object.keys(STATES).forEach(function (key) {
      el.classList.remove(STATES[key].cls);
    });
    el.classList.add(info.cls);
    el.setAttribute("data-status", state);
    clear(el);
    el.appendChild(span("course-badge-state", info.text));
    if (state === "unknown") {
      el.title = "Tento krok jste ještě neověřili. Spusťte: ./kurz " + stepId;
      return;
    }
    var max = record.max_points != null ? record.max_points : Number(el.getAttribute("data-max-points"));
    var when = formatTime(record.checked_at);
    // A step that could not be verified has no points yet; "0" would read as a failure.
    var points = state === "unverified" || state === "error"
      ? "body zatím nezapočteny"
      : "body " + (record.points || 0) + "/" + max;
    el.appendChild(span("course-badge-meta", points + (when ? " · ověřeno " + when : "")));
    var advice = Number(record.advice) || 0;
    if (advice > 0) {
      var note = span("course-badge-advice", "! " + plural(advice, "doporučení", "doporučení", "doporučení"));
      note.title = "Doporučení nad rámec lekce: na splnění kroku ani na body nemají vliv. " +
        "Která to jsou, ukáže výstup checkeru.";
      el.appendChild(note);
    }
    el.setAttribute("data-advice", String(advice));
    el.title = TITLES[state] ||
      "Výsledek posledního ověření" + (record.target ? " (cíl: " + record.target + ")" : "");
  }

  /* The exercise block's "next exercise" link (built by course_book.py) shows once the step passed. */
  function renderNext(el, record) {
    el.hidden = !(record && record.status === "passed");
  }

  function renderFailed(el, record) {
    clear(el);
    el.classList.remove("course-failed-unverified");
    if (record && record.status === "unverified") {
      var why = document.createElement("p");
      why.textContent = "Krok teď nejde celý ověřit – checkeru chyběly podklady (proč, napíše jeho výstup). " +
        "Není to chyba na vaší straně a nepočítá se to jako nesplněné.";
      el.appendChild(why);
      el.classList.add("course-failed-unverified");
      el.hidden = false;
      return;
    }
    var titles = record && record.status === "failed" ? record.failed_titles || [] : [];
    if (!titles.length) {
      el.hidden = true;
      return;
    }
    var p = document.createElement("p");
    p.textContent = "Neprošlé kontroly:";
    el.appendChild(p);
    var ul = document.createElement("ul");
    titles.forEach(function (t) {
      var li = document.createElement("li");
      li.textContent = t;
      ul.appendChild(li);
    });
    el.appendChild(ul);
    el.hidden = false;
  }

  function renderBar(el, data) {
    var totalPoints = data && data.total_points != null ? data.total_points : Number(el.getAttribute("data-total-points"));
    var totalSteps = data && data.total_steps != null ? data.total_steps : Number(el.getAttribute("data-total-steps"));
    var earned = data ? data.earned_points || 0 : 0;
    var passed = data ? data.passed_steps || 0 : 0;
    var unverified = data ? data.unverified_steps || 0 : 0;
    var percent = totalPoints > 0 ? Math.min(100, Math.round((100 * earned) / totalPoints)) : 0;
    var label = el.querySelector(".course-progress-label");
    var fill = el.querySelector(".course-progress-fill");
    var track = el.querySelector(".course-progress-track");
    var updated = el.querySelector(".course-progress-updated");
    if (label) {
      clear(label);
      label.appendChild(document.createTextNode("Váš postup: "));
      var strong = document.createElement("strong");
      strong.textContent = "splněné kroky " + passed + "/" + totalSteps;
      label.appendChild(strong);
      label.appendChild(document.createTextNode(" · body " + earned + "/" + totalPoints));
      if (unverified > 0) {
        label.appendChild(document.createTextNode(" · "));
        label.appendChild(span("course-progress-unverified",
          "nelze ověřit " + plural(unverified, "krok", "kroky", "kroků")));
      }
    }
    if (fill) fill.style.width = percent + "%";
    if (track) {
      track.setAttribute("role", "progressbar");
      track.setAttribute("aria-valuemin", "0");
      track.setAttribute("aria-valuemax", String(totalPoints));
      track.setAttribute("aria-valuenow", String(earned));
      track.setAttribute("aria-label", "Postup v kurzu");
    }
    el.setAttribute("data-earned-points", String(earned));
    el.setAttribute("data-passed-steps", String(passed));
    el.setAttribute("data-unverified-steps", String(unverified));
    if (updated) {
      var when = data ? formatTime(data.updated_at) : "";
      updated.textContent = when
        ? "Naposledy ověřeno " + when + " (" + percent + " %)"
        : "Zatím neověřeno – postup se ukáže po prvním spuštění checkeru.";
    }
  }

  function sidebarBar() {
    var existing = document.querySelector(".course-progress-sidebar");
    if (existing) return existing;
    var host = document.querySelector(".bd-sidebar-primary .sidebar-primary-items__start") ||
      document.querySelector(".bd-sidebar-primary");
    if (!host) return null;
    var box = document.createElement("div");
    box.className = "course-progress course-progress-sidebar";
    box.innerHTML = '<div class="course-progress-label"></div>' +
      '<div class="course-progress-track"><div class="course-progress-fill"></div></div>' +
      '<div class="course-progress-updated"></div>';
    // Above the chapter list: before the sidebar item that holds the navigation.
    var nav = host.querySelector("nav.bd-links") || host.querySelector("nav");
    var item = nav;
    while (item && item.parentNode !== host) item = item.parentNode;
    if (item) host.insertBefore(box, item);
    else host.appendChild(box);
    return box;
  }

  function render() {
    var data = window.COURSE_PROGRESS || null;
    var steps = (data && data.steps) || {};
    document.querySelectorAll(".course-badge[data-step]").forEach(function (el) {
      renderBadge(el, steps[el.getAttribute("data-step")] || null);
    });
    document.querySelectorAll(".course-failed[data-step]").forEach(function (el) {
      renderFailed(el, steps[el.getAttribute("data-step")] || null);
    });
    document.querySelectorAll(".course-next[data-step]").forEach(function (el) {
      renderNext(el, steps[el.getAttribute("data-step")] || null);
    });
    var side = data ? sidebarBar() : null;
    document.querySelectorAll(".course-progress").forEach(function (el) {
      renderBar(el, data);
    });
    document.documentElement.setAttribute("data-course-progress", data ? "loaded" : "missing");
    if (side === null) {
      var stale = document.querySelector(".course-progress-sidebar");
      if (stale) stale.parentNode.removeChild(stale);
    }
  }

  var loading = false;
  var lastData; // JSON of the data rendered last (undefined: nothing rendered yet)
  var loads = 0;

  /* Render only what changed since the last load (polling must not flicker or reset the page). */
  function renderIfChanged() {
    loads += 1;
    document.documentElement.setAttribute("data-course-progress-loads", String(loads));
    var json = JSON.stringify(window.COURSE_PROGRESS || null);
    if (json === lastData) return;
    lastData = json;
    render();
  }

  /* (Re)load _static/progress.js and render; a missing file renders "not checked yet". */
  function loadProgress() {
    if (loading) return;
    loading = true;
    var old = document.getElementById("course-progress-data");
    if (old) old.parentNode.removeChild(old);
    try {
      delete window.COURSE_PROGRESS;
    } catch (e) {
      window.COURSE_PROGRESS = undefined;
    }
    var s = document.createElement("script");
    s.id = "course-progress-data";
    s.src = staticBase + "progress.js?t=" + Date.now();
    s.onload = s.onerror = function () {
      loading = false;
      renderIfChanged();
    };
    document.head.appendChild(s);
  }

  // ------------------------------------------------------------------ hints

  function setupHints() {
    document.querySelectorAll(".course-hints").forEach(function (box) {
      var hints = box.querySelectorAll(".course-hint");
      var button = box.querySelector(".course-hint-button");
      if (!button || !hints.length) return;
      var total = hints.length;
      function shown() {
        return box.querySelectorAll(".course-hint.is-revealed").length;
      }
      function update() {
        var n = shown();
        if (n >= total) {
          button.hidden = true;
        } else {
          button.textContent = (n === 0 ? "Ukázat nápovědu " : "Ukázat další nápovědu ") + (n + 1) + "/" + total;
        }
      }
      button.addEventListener("click", function () {
        var next = box.querySelector(".course-hint:not(.is-revealed)");
        if (next) next.classList.add("is-revealed");
        update();
      });
      update();
    });
  }

  // ------------------------------------------------------------------ Sphinx's Czech catalog gaps

  /* Sphinx 7.4's Czech catalog has an empty translation for the search summary, so the search
     page would say nothing after a successful search. Fill in what is missing. */
  var MISSING_TRANSLATIONS = {
    "Search finished, found ${resultCount} page(s) matching the search query.":
      "Hledání je hotové, počet nalezených stránek: ${resultCount}."
  };

  function fixTranslations() {
    // doctools.js declares `const Documentation`: a global binding, not a property of window.
    var docs = typeof Documentation !== "undefined" ? Documentation : null;
    if (!docs || !docs.TRANSLATIONS || document.documentElement.lang !== "cs") return;
    Object.keys(MISSING_TRANSLATIONS).forEach(function (key) {
      if (!docs.TRANSLATIONS[key]) docs.TRANSLATIONS[key] = MISSING_TRANSLATIONS[key];
    });
  }

  /* Labels of the theme and of sphinx-copybutton that have no Czech translation. */
  var CZECH_LABELS = {
    "Link to this heading": "Odkaz na tento nadpis",
    "Color mode": "Barevný režim",
    "System Settings": "Podle systému",
    "Light": "Světlý",
    "Dark": "Tmavý",
    "Toggle primary sidebar": "Skrýt nebo ukázat obsah knihy",
    "Toggle secondary sidebar": "Skrýt nebo ukázat obsah stránky",
    "Main": "Obsah knihy",
    "Page": "Stránka",
    "Version warning": "Upozornění na verzi",
    "Site navigation": "Navigace",
    "Section Navigation": "Navigace v oddílu",
    "Copy": "Kopírovat",
    "Copy to clipboard": "Zkopírovat do schránky"
  };
  var LABEL_ATTRIBUTES = ["title", "aria-label", "data-bs-original-title", "data-tooltip"];

  function translateLabels(root) {
    LABEL_ATTRIBUTES.forEach(function (attr) {
      (root || document).querySelectorAll("[" + attr + "]").forEach(function (el) {
        var czech = CZECH_LABELS[el.getAttribute(attr)];
        if (czech) el.setAttribute(attr, czech);
      });
    });
  }

  /* sphinx-copybutton picks its language when it loads (before this script) and knows no Czech;
     its `messages` and `locale` are global bindings of copybutton.js. */
  function czechCopyButton() {
    if (document.documentElement.lang !== "cs") return;
    try {
      if (typeof messages !== "undefined" && !messages.cs) {
        messages.cs = {
          copy: "Kopírovat",
          copy_to_clipboard: "Zkopírovat do schránky",
          copy_success: "Zkopírováno!",
          copy_failure: "Kopírování se nepovedlo"
        };
      }
      if (typeof locale !== "undefined" && typeof messages !== "undefined" && messages.cs) locale = "cs";
    } catch (e) {
      /* another script's globals changed shape; the English labels stay */
    }
  }

  czechCopyButton();

  // ------------------------------------------------------------------ diagrams on small screens

  var MIN_TEXT_PX = 10;

  /* The smallest text of a drawn diagram, in CSS pixels as it is shown now. */
  function diagramTextPx(svg) {
    var box = svg.viewBox && svg.viewBox.baseVal;
    var width = svg.getBoundingClientRect().width;
    if (!box || !box.width || !width) return 0;
    var px = 16;
    var label = svg.querySelector(".nodeLabel, .edgeLabel, text");
    if (label) px = parseFloat(getComputedStyle(label).fontSize) || px;
    return px * (width / box.width);
  }

  function markShrunk(pre) {
    var svg = pre.querySelector("svg");
    if (!svg) return;
    var shrunk = diagramTextPx(svg) < MIN_TEXT_PX;
    pre.classList.toggle("course-diagram-shrunk", shrunk);
    pre.setAttribute("data-text-px", diagramTextPx(svg).toFixed(1));
  }

  function diagramTitle(pre) {
    var title = pre.querySelector("svg title");
    return title && title.textContent.trim() ? title.textContent.trim() : "Diagram";
  }

  var openDiagram = null;

  function closeDiagram() {
    if (!openDiagram) return;
    var svg = openDiagram.svg;
    svg.setAttribute("style", openDiagram.style);
    if (openDiagram.width != null) svg.setAttribute("width", openDiagram.width);
    else svg.removeAttribute("width");
    openDiagram.pre.appendChild(svg);
    openDiagram.overlay.parentNode.removeChild(openDiagram.overlay);
    document.documentElement.classList.remove("course-diagram-open");
    var back = openDiagram.button;
    openDiagram = null;
    markShrunk(back.previousElementSibling);
    back.focus();
  }

  /* The diagram's own SVG moves into a full-screen overlay at its natural size (ids stay unique). */
  function showDiagram(pre, button) {
    var svg = pre.querySelector("svg");
    if (!svg || openDiagram) return;
    var box = svg.viewBox.baseVal;
    var overlay = document.createElement("div");
    overlay.className = "course-diagram-overlay";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", "Diagram v plné velikosti: " + diagramTitle(pre));
    var bar = document.createElement("div");
    bar.className = "course-diagram-overlay-bar";
    bar.appendChild(span("course-diagram-overlay-title", diagramTitle(pre)));
    var close = document.createElement("button");
    close.type = "button";
    close.className = "course-diagram-overlay-close";
    close.textContent = "Zavřít ✕";
    close.addEventListener("click", closeDiagram);
    bar.appendChild(close);
    var body = document.createElement("div");
    body.className = "course-diagram-overlay-body";
    overlay.appendChild(bar);
    overlay.appendChild(body);
    openDiagram = { pre: pre, svg: svg, button: button, overlay: overlay,
                    style: svg.getAttribute("style") || "", width: svg.getAttribute("width") };
    svg.setAttribute("width", String(Math.ceil(box.width)));
    svg.style.maxWidth = "none";
    body.appendChild(svg);
    document.body.appendChild(overlay);
    document.documentElement.classList.add("course-diagram-open");
    close.focus();
  }

  function setupDiagrams() {
    document.querySelectorAll("pre.mermaid").forEach(function (pre) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "course-diagram-zoom";
      button.textContent = "Zobrazit diagram v plné velikosti";
      pre.parentNode.insertBefore(button, pre.nextSibling);
      button.addEventListener("click", function () { showDiagram(pre, button); });
      pre.addEventListener("click", function () {
        if (pre.classList.contains("course-diagram-shrunk")) showDiagram(pre, button);
      });
      // mermaid draws later (asynchronously): measure once the SVG is there.
      new MutationObserver(function () { markShrunk(pre); }).observe(pre, { childList: true });
      markShrunk(pre);
    });
    window.addEventListener("resize", function () {
      document.querySelectorAll("pre.mermaid").forEach(markShrunk);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") closeDiagram();
    });
  }

  window.CourseBook = { reload: loadProgress, render: render, formatTime: formatTime, plural: plural,
                        diagramTextPx: diagramTextPx };

  document.addEventListener("DOMContentLoaded", function () {
    fixTranslations();
    translateLabels();
    setupHints();
    setupDiagrams();
    var top = document.getElementById("pst-back-to-top");
    if (top) top.setAttribute("aria-label", "Zpět na začátek");
    loadProgress();
    window.setInterval(function () {
      if (document.visibilityState !== "hidden") loadProgress();
    }, POLL_MS);
  });
  window.addEventListener("focus", loadProgress);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") loadProgress();
  });
})();
