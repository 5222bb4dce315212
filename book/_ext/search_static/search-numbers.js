// Sphinx's search skips every query word made only of digits, so "502" found nothing.
// This listener is registered before searchtools.js registers Search.init (this script comes
// first in <head>), so the wrap below is in place before the first query runs.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || typeof Search._parseQuery !== "function") return;
  const parse = Search._parseQuery;
  Search._parseQuery = (query) => {
    const parsed = parse(query); // [query, searchTerms, excludedTerms, highlightTerms, objectTerms]
    query.trim().split(/\s+/).filter((word) => /^\d+$/.test(word)).forEach((number) => {
      parsed[1].add(number);
      parsed[3].add(number);
    });
    return parsed;
  };
});
