/**
 * String layer: canonical form of a LaTeX answer, so most equal pairs compare as plain strings.
 *
 * Handles: surrounding `$`/`\(`/`\[`, whitespace, `\left`/`\right` (and `\big…`), `\dfrac`/`\tfrac`,
 * spacing commands (`\!`, `\,`, `\;`, `\quad`, `~`), `^\circ` / `°` (flag `degrees`), `\%` (flag
 * `percent`), `\text{…}` / `\mathrm{…}` / `\textbf{…}` (unit words after a value are dropped, other text
 * unwrapped), thousands separators (`1{,}000`, `1\,000`), single-token arguments (`\frac12`,
 * `\sqrt3`, `^{2}`), Unicode operators, trailing periods.
 *
 * Scanners and single-pass literal replacements only; inputs are capped by the caller.
 */
import { matchBrace } from "../text/braces.js";
import { readWords } from "./words.js";

export interface Normalized {
  /** canonical LaTeX, no insignificant whitespace */
  text: string;
  percent: boolean;
  degrees: boolean;
}

const TEXT_COMMANDS = new Set([
  "\\text",
  "\\textbf",
  "\\textit",
  "\\textrm",
  "\\textnormal",
  "\\mathrm",
  "\\mathbf",
  "\\mathit",
  "\\mathsf",
  "\\mathtt",
  "\\mbox",
  "\\operatorname",
  "\\emph",
  "\\boldsymbol",
  "\\bm",
  "\\mathnormal",
]);

const SPACING = ["\\!", "\\,", "\\;", "\\:", "\\>", "\\ ", "\\quad", "\\qquad", "\\displaystyle", "\\textstyle", "\\limits"];
const SIZING = ["\\left", "\\right", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr", "\\biggl", "\\biggr", "\\Biggl", "\\Biggr", "\\big", "\\Big", "\\bigg", "\\Bigg"];

const UNICODE: Record<string, string> = {
  "−": "-",
  "–": "-",
  "×": "\\times ",
  "·": "\\cdot ",
  "⋅": "\\cdot ",
  "÷": "\\div ",
  "π": "\\pi ",
  "√": "\\sqrt",
  "≤": "\\leq ",
  "≥": "\\geq ",
  "≠": "\\neq ",
  "∞": "\\infty ",
  "∪": "\\cup ",
  "∩": "\\cap ",
  "±": "\\pm ",
  "θ": "\\theta ",
  "\u00a0": " ",
  "⁄": "/",
  "∕": "/",
};

const COMMAND_ALIASES: Record<string, string> = {
  "\\dfrac": "\\frac",
  "\\tfrac": "\\frac",
  "\\cfrac": "\\frac",
  "\\le": "\\leq",
  "\\ge": "\\geq",
  "\\leqslant": "\\leq",
  "\\geqslant": "\\geq",
  "\\ne": "\\neq",
  "\\lt": "<",
  "\\gt": ">",
  "\\lbrace": "\\{",
  "\\rbrace": "\\}",
  "\\lbrack": "[",
  "\\rbrack": "]",
  "\\lvert": "|",
  "\\rvert": "|",
  "\\vert": "|",
  "\\lparen": "(",
  "\\rparen": ")",
  "\\infinity": "\\infty",
  "\\dots": "\\ldots",
  "\\cdots": "\\ldots",
  "\\varepsilon": "\\epsilon",
  "\\varphi": "\\phi",
  "\\vartheta": "\\theta",
  "\\tan^{-1}": "\\arctan",
};

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `{,}` / `{, }` at `at`: the index just past it, or -1 */
function bracedComma(src: string, at: number): number {
  let k = at + 1;
  while (src[k] === " ") k++;
  if (src[k] !== ",") return -1;
  k++;
  while (src[k] === " ") k++;
  return src[k] === "}" ? k + 1 : -1;
}

/**
 * First pass: a tokenising rewrite. Commands are read whole, aliases applied, spacing/sizing dropped,
 * whitespace removed except where it separates a command from a following letter.
 */
function rewrite(src: string): { out: string; percent: boolean; degrees: boolean } {
  let out = "";
  let percent = false;
  let degrees = false;
  const n = src.length;
  let i = 0;
  /** `30^\circ C`, `700°C`, `^{\circ}\text{F}`: the temperature scale letter goes with the degree sign */
  const skipTemperatureUnit = (): void => {
    let k = i;
    while (k < n && src[k] === " ") k++;
    if (src.startsWith("\\text{", k) || src.startsWith("\\mathrm{", k)) {
      const open = src.indexOf("{", k);
      const close = src.indexOf("}", open);
      const inner = close > 0 ? src.slice(open + 1, close).trim() : "";
      if (inner === "C" || inner === "F" || inner === "K") i = close + 1;
      return;
    }
    if ((src[k] === "C" || src[k] === "F") && !(k + 1 < n && isLetter(src.charCodeAt(k + 1)))) i = k + 1;
  };
  while (i < n) {
    const ch = src[i]!;
    const c = src.charCodeAt(i);
    if (c === 92 /* \ */) {
      // command
      let j = i + 1;
      if (j < n && isLetter(src.charCodeAt(j))) {
        while (j < n && isLetter(src.charCodeAt(j))) j++;
      } else j = Math.min(n, j + 1);
      let cmd = src.slice(i, j);
      i = j;
      if (cmd === "\\$") continue; // currency
      if (cmd === "\\%") {
        percent = true;
        continue;
      }
      if (cmd === "\\circ" || cmd === "\\degree") {
        degrees = true;
        // drop a preceding "^" or "^{"
        if (out.endsWith("^")) out = out.slice(0, -1);
        else if (out.endsWith("^{") && src[i] === "}") {
          out = out.slice(0, -2);
          i++;
        }
        skipTemperatureUnit();
        continue;
      }
      if (SPACING.includes(cmd)) {
        // `32,\! 349`: `\!` takes the blanks after it (a thousands group, not a list)
        if (cmd === "\\!") while (i < n && (src[i] === " " || src[i] === "\t")) i++;
        out += out.length > 0 && isLetter(out.charCodeAt(out.length - 1)) && /\\[A-Za-z]+$/.test(out.slice(-12)) ? " " : "";
        continue;
      }
      if (SIZING.includes(cmd)) {
        // `\left.` / `\right.` are invisible delimiters
        if (src[i] === ".") i++;
        continue;
      }
      if (cmd === "\\{" || cmd === "\\}") {
        out += cmd;
        continue;
      }
      const alias = COMMAND_ALIASES[cmd];
      if (alias) cmd = alias;
      if (cmd === "\\tan" && src.startsWith("^{-1}", i)) {
        cmd = "\\arctan";
        i += 5;
      }
      out += cmd;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || ch === "~") {
      // keep one space only between a command name and a following letter (`\pi r`), and after a comma
      // between digits (`32, 349` is a list, `32,349` a number)
      while (i < n && (src[i] === " " || src[i] === "\t" || src[i] === "\n" || src[i] === "\r" || src[i] === "~")) i++;
      if (i < n && isLetter(src.charCodeAt(i)) && /\\[A-Za-z]+$/.test(out.slice(-16))) out += " ";
      else if (i < n && isDigit(src.charCodeAt(i)) && out.endsWith(",") && isDigit(out.charCodeAt(out.length - 2))) out += " ";
      continue;
    }
    // `x >= 5`, `x <= 2`, `x != 3`
    if ((ch === ">" || ch === "<" || ch === "!") && src[i + 1] === "=") {
      out += ch === ">" ? "\\geq" : ch === "<" ? "\\leq" : "\\neq";
      i += 2;
      if (i < n && isLetter(src.charCodeAt(i))) out += " ";
      continue;
    }
    if (ch === "%") {
      percent = true;
      i++;
      continue;
    }
    if (ch === "°") {
      degrees = true;
      i++;
      skipTemperatureUnit();
      continue;
    }
    const u = UNICODE[ch];
    if (u !== undefined) {
      out += u.trim() === u ? u : u.trimEnd();
      if (u.endsWith(" ") && i + 1 < n && isLetter(src.charCodeAt(i + 1))) out += " ";
      i++;
      continue;
    }
    // `1{,}000` / `14 {, }916` thousands separator (after a digit: `\text{ , }` is a word, not a separator)
    const sep = ch === "{" && isDigit(out.charCodeAt(out.length - 1)) ? bracedComma(src, i) : -1;
    if (sep > 0) {
      i = sep;
      continue;
    }
    out += ch;
    i++;
  }
  return { out, percent, degrees };
}

/** unwrap / drop text commands; `and`/`or` between values become commas */
function stripText(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    if (s[i] === "\\") {
      let j = i + 1;
      while (j < s.length && isLetter(s.charCodeAt(j))) j++;
      const cmd = s.slice(i, j);
      if (TEXT_COMMANDS.has(cmd) && s[j] === "{") {
        const end = matchBrace(s, j);
        if (end > 0) {
          const inner = s.slice(j + 1, end - 1).trim();
          const word = trimPunct(inner);
          const before = out.trimEnd();
          const after = s.slice(end).trim();
          if (word === "and" || word === "or" || word === ",") {
            out = before + ",";
          } else if (before.length > 0 && /[0-9}a-zA-Z)]$/.test(before) && unitTail(s, i)) {
            // value then units to the end ("\text{ kcal m}^{-2}\text{yr}^{-1}"): drop them
            i = s.length;
            continue;
          } else if (before.length === 0 && after.length > 0 && word.length === 0) {
            // empty text at the front
          } else {
            out += inner;
          }
          i = end;
          continue;
        }
      }
      out += cmd;
      i = j;
      continue;
    }
    out += s[i];
    i++;
  }
  return out;
}

const UNITISH = /^[A-Za-z°µμÅ/·⋅.\-^⁻¹²³⁰0-9() ]*$/;
const NOT_UNITS = new Set(["and", "or", "for", "with", "if", "where", "when", "is", "are", "since", "because", "probability", "only", "all", "none", "no", "yes"]);

/** is the rest of `s` from `i` only units: text commands with unit-like words, powers, `/`, `\cdot`? */
function unitTail(s: string, i: number): boolean {
  let k = i;
  let sawText = false;
  while (k < s.length) {
    const ch = s[k]!;
    if (ch === " " || ch === "/" || ch === "." ) {
      k++;
      continue;
    }
    if (s.startsWith("\\cdot", k)) {
      k += 5;
      continue;
    }
    if (ch === "^") {
      k++;
      if (s[k] === "{") {
        const e = matchBrace(s, k);
        if (e < 0) return false;
        k = e;
      } else k++;
      continue;
    }
    if (ch === "\\") {
      let j = k + 1;
      while (j < s.length && isLetter(s.charCodeAt(j))) j++;
      if (!TEXT_COMMANDS.has(s.slice(k, j)) || s[j] !== "{") return false;
      const e = matchBrace(s, j);
      if (e < 0) return false;
      const inner = trimPunct(s.slice(j + 1, e - 1));
      if (!UNITISH.test(inner) || inner.length > 40) return false;
      for (const w of inner.toLowerCase().split(" ")) if (NOT_UNITS.has(w)) return false;
      if (/^[A-E]$/.test(inner) || /^\([A-E]\)$/.test(inner)) return false;
      sawText = true;
      k = e;
      continue;
    }
    return false;
  }
  return sawText;
}

function trimPunct(s: string): string {
  let a = 0;
  let b = s.length;
  const junk = (ch: string | undefined) => ch === " " || ch === "." || ch === "," || ch === "\t" || ch === "\n";
  while (a < b && junk(s[a])) a++;
  while (b > a && junk(s[b - 1])) b--;
  return s.slice(a, b);
}

/** `\frac12` → `\frac{1}{2}`, `\sqrt3` → `\sqrt{3}`, `^{2}` → `^2`, `_{8}` → `_8` */
function braceArguments(s: string): string {
  let out = "";
  let i = 0;
  const oneToken = (k: number): [string, number] | null => {
    if (k >= s.length) return null;
    const c = s.charCodeAt(k);
    if (c === 123 /* { */) {
      const e = matchBrace(s, k);
      if (e < 0) return null;
      return ["{" + braceArguments(s.slice(k + 1, e - 1)) + "}", e];
    }
    if (c === 92 /* \ */) {
      let j = k + 1;
      while (j < s.length && isLetter(s.charCodeAt(j))) j++;
      if (j === k + 1) j++;
      return [`{${s.slice(k, j)}}`, j];
    }
    if (isDigit(c) || isLetter(c)) return [`{${s[k]}}`, k + 1];
    return null;
  };
  while (i < s.length) {
    if (s.startsWith("\\frac", i) && !isLetter(s.charCodeAt(i + 5))) {
      const a = oneToken(i + 5);
      const b = a ? oneToken(a[1]) : null;
      if (a && b) {
        out += "\\frac" + a[0] + b[0];
        i = b[1];
        continue;
      }
    }
    if (s.startsWith("\\sqrt", i) && !isLetter(s.charCodeAt(i + 5)) && s[i + 5] !== "[") {
      const a = oneToken(i + 5);
      if (a) {
        out += "\\sqrt" + a[0];
        i = a[1];
        continue;
      }
    }
    if ((s[i] === "^" || s[i] === "_") && s[i + 1] === "{") {
      const e = matchBrace(s, i + 1);
      if (e === i + 4 && s[i + 2] !== "\\") {
        // single character in braces
        out += s[i]! + s[i + 2]!;
        i = e;
        continue;
      }
    }
    out += s[i];
    i++;
  }
  return out;
}

function stripOuter(s: string): string {
  let t = s.trim();
  for (let guard = 0; guard < 4; guard++) {
    const before = t;
    if (t.startsWith("$$") && t.endsWith("$$") && t.length >= 4) t = t.slice(2, -2).trim();
    else if (t.startsWith("$") && t.endsWith("$") && t.length >= 2) t = t.slice(1, -1).trim();
    else if ((t.startsWith("\\(") && t.endsWith("\\)")) || (t.startsWith("\\[") && t.endsWith("\\]"))) t = t.slice(2, -2).trim();
    if (t.startsWith("\\boxed{") || t.startsWith("\\fbox{")) {
      const open = t.indexOf("{");
      if (matchBrace(t, open) === t.length) t = t.slice(open + 1, -1).trim();
    }
    if (t === before) break;
  }
  return t;
}

const QUOTES: [string, string][] = [
  ['\\"', '\\"'],
  ['"', '"'],
  ["“", "”"],
];

/** `"12 and 13"`, `\"12\"` (an over-escaped quote), `“12”`: the quotes around a whole answer are not part of it */
function unquote(s: string): string {
  const t = s.trim();
  for (const [open, close] of QUOTES) {
    if (t.length > open.length + close.length && t.startsWith(open) && t.endsWith(close)) return t.slice(open.length, t.length - close.length);
  }
  return s;
}

/**
 * A command argument that is one number with thousands separators (`\dfrac{1}{29,\!322,\!216}`): a brace
 * group is one value, never a list, so its commas are separators. Unambiguous (commas delimit the
 * groups): linear.
 */
const BRACED_THOUSANDS = /(?<=[}A-Za-z])\{(-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?)\}/g;

/** Canonical string form of an answer. */
const ORDINALS = ["^{\\mathrm{th}}", "^{\\text{th}}", "^{th}", "^\\text{th}", "^{\\rm th}", "^{\\text{st}}", "^{\\text{nd}}", "^{\\text{rd}}", "^{st}", "^{nd}", "^{rd}"];

export function normalizeAnswer(raw: string): Normalized {
  let s = stripOuter(raw);
  if (s.includes("^")) for (const o of ORDINALS) if (s.includes(o)) s = s.split(o).join("");
  // "x \equiv 3 \pmod{7}": the modulus is context, the residue the answer
  for (const m of ["(\\mod", "\\pmod", "\\bmod", "\\mod"]) {
    const k = s.indexOf(m);
    if (k > 0) s = s.slice(0, k);
  }
  // a stray `$` inside (e.g. "$5$ cm") is noise
  if (s.includes("\\$")) s = s.split("\\$").join(""); // currency
  if (s.includes("$")) s = s.split("$").join("");
  s = unquote(s);
  // plain words: "and"/"or" → ",", "percent" → `%`, trailing unit words dropped, `\\frac` → `\frac`
  const w = readWords(s);
  const r = rewrite(w.text);
  s = stripText(r.out);
  s = braceArguments(s);
  if (s.includes(",")) s = s.replace(BRACED_THOUSANDS, (_, n: string) => `{${n.split(",").join("")}}`);
  // trailing punctuation
  for (;;) {
    const t = s.trimEnd();
    if (t.endsWith(".") && !/\d\.$/.test(t.slice(-2)) ) s = t.slice(0, -1);
    else if (t.endsWith("\\.") || t.endsWith(",") || t.endsWith(";")) s = t.slice(0, -1);
    else {
      s = t;
      break;
    }
  }
  if (s.endsWith(".") && /^\d+\.$/.test(s)) s = s.slice(0, -1); // "5." → "5"
  s = s.trim();
  // `{5}` whole answer wrapped in braces
  while (s.startsWith("{") && matchBrace(s, 0) === s.length) s = s.slice(1, -1).trim();
  return { text: s, percent: r.percent || w.percent, degrees: r.degrees };
}

/** true when the text contains a word of three or more letters outside command names */
export function hasWord(s: string): boolean {
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) {
      // skip the command name (and the environment name of \begin{…} / \end{…})
      const from = i + 1;
      i++;
      while (i < s.length && isLetter(s.charCodeAt(i))) i++;
      const name = s.slice(from, i);
      if ((name === "begin" || name === "end") && s[i] === "{") {
        const close = s.indexOf("}", i);
        if (close > 0) i = close;
      } else i--;
      run = 0;
      continue;
    }
    if (isLetter(c)) {
      run++;
      if (run >= 3) return true;
    } else run = 0;
  }
  return false;
}
