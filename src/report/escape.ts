/**
 * Escaping for the HTML report. Every string that comes from a trace, a source file or a config goes
 * through one of these before it reaches the page:
 * - `escapeHtml` for text and attribute values (& < > " ' and the backtick);
 * - `jsonForScript` for JSON inside <script type="application/json">: `<` becomes \u003c (so neither
 *   `</script>` nor `<!--` can end or confuse the element), and U+2028 / U+2029 are escaped;
 * - `safeUrl` for href values: only http(s), mailto and fragment links survive; `javascript:`,
 *   `data:`, `vbscript:` and anything unparseable become "#".
 */

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

export function escapeHtml(value: unknown): string {
  const s = value === null || value === undefined ? "" : typeof value === "string" ? value : String(value);
  let out = "";
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // & < > " ' `
    if (c === 38 || c === 60 || c === 62 || c === 34 || c === 39 || c === 96) {
      out += s.slice(last, i) + HTML_ESCAPES[s[i]!];
      last = i + 1;
    } else if (c === 0) {
      out += s.slice(last, i) + "\uFFFD";
      last = i + 1;
    }
  }
  return last === 0 ? s : out + s.slice(last);
}

export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value) ?? "null";
  let out = "";
  let last = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    let rep: string | null = null;
    if (c === 60) rep = "\\u003c";
    else if (c === 62) rep = "\\u003e";
    else if (c === 38) rep = "\\u0026";
    else if (c === 0x2028) rep = "\\u2028";
    else if (c === 0x2029) rep = "\\u2029";
    if (rep !== null) {
      out += json.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? json : out + json.slice(last);
}

export function safeUrl(url: string): string {
  const trimmed = url.replace(/[\u0000-\u0020\u007f]/g, "");
  if (trimmed.startsWith("#")) return escapeHtml(url.trim());
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]{0,20}):/.exec(trimmed);
  if (!m) return trimmed.startsWith("/") || trimmed.startsWith(".") ? escapeHtml(url.trim()) : "#";
  const scheme = m[1]!.toLowerCase();
  return scheme === "http" || scheme === "https" || scheme === "mailto" ? escapeHtml(url.trim()) : "#";
}

/**
 * Escape `text` and wrap the character ranges in <mark>. Ranges are [start, end) in UTF-16 units,
 * clamped and merged; a range that falls outside the text is ignored.
 */
export function highlightSpans(text: string, spans: [number, number][]): string {
  const clean = spans
    .map(([a, b]) => [Math.max(0, Math.min(a, text.length)), Math.max(0, Math.min(b, text.length))] as [number, number])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const s of clean) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  let out = "";
  let pos = 0;
  for (const [a, b] of merged) {
    out += escapeHtml(text.slice(pos, a)) + "<mark>" + escapeHtml(text.slice(a, b)) + "</mark>";
    pos = b;
  }
  return out + escapeHtml(text.slice(pos));
}
