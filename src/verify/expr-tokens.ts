/**
 * Tokens of the fast expression layer: a LaTeX math string as numbers, single-letter identifiers,
 * commands (`\frac`, `\sin`, `\alpha`) and one-character operators. The command tables here are the
 * parser's vocabulary (expr-parse.ts): anything else is an unknown command and goes to the symbolic
 * worker.
 */

export type Tok = { t: "num"; v: string } | { t: "id"; v: string } | { t: "cmd"; v: string } | { t: "op"; v: string };

export const FUNCTIONS = new Set([
  "\\sin", "\\cos", "\\tan", "\\cot", "\\sec", "\\csc", "\\arcsin", "\\arccos", "\\arctan",
  "\\sinh", "\\cosh", "\\tanh", "\\ln", "\\log", "\\exp", "\\lg",
]);
export const GREEK = new Set([
  "\\alpha", "\\beta", "\\gamma", "\\delta", "\\epsilon", "\\zeta", "\\eta", "\\theta", "\\iota", "\\kappa",
  "\\lambda", "\\mu", "\\nu", "\\xi", "\\rho", "\\sigma", "\\tau", "\\upsilon", "\\phi", "\\chi", "\\psi",
  "\\omega", "\\Gamma", "\\Delta", "\\Theta", "\\Lambda", "\\Xi", "\\Pi", "\\Sigma", "\\Phi", "\\Psi", "\\Omega",
  "\\ell", "\\hbar", "\\varrho", "\\varsigma",
]);
export const ACCENTS = new Set(["\\dot", "\\ddot", "\\hat", "\\bar", "\\vec", "\\tilde", "\\overline", "\\widehat", "\\widetilde", "\\mathcal", "\\mathbb"]);
export const MUL_OPS = new Set(["*", "\\cdot", "\\times", "\\ast"]);
const OTHER_COMMANDS = ["\\pi", "\\infty", "\\frac", "\\binom", "\\dbinom", "\\tbinom", "\\sqrt", "\\lfloor", "\\rfloor", "\\lceil", "\\rceil", "\\div", "\\pm", "\\mp"];
const KNOWN = new Set<string>([...FUNCTIONS, ...GREEK, ...MUL_OPS, ...OTHER_COMMANDS, ...ACCENTS]);
/** longest known command that prefixes an unknown one (`\cotx` → `\cot`), else the command itself */
function knownPrefix(cmd: string): string {
  let best = cmd;
  let bestLen = 0;
  for (const k of KNOWN) {
    if (k.length > bestLen && k.length >= 3 && cmd.startsWith(k) && /^[A-Za-z]+$/.test(cmd.slice(k.length))) {
      best = k;
      bestLen = k.length;
    }
  }
  return best;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === 32) {
      i++;
      continue;
    }
    if (isDigit(c) || (c === 46 && i + 1 < n && isDigit(s.charCodeAt(i + 1)))) {
      let j = i;
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      if (j < n && s.charCodeAt(j) === 46 && !(j + 1 < n && s.charCodeAt(j + 1) === 46)) {
        j++;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
      }
      // scientific notation 4.5e33 / 1e-5 (only when digits follow the e)
      if (j < n && (s[j] === "e" || s[j] === "E")) {
        let k = j + 1;
        if (k < n && (s[k] === "+" || s[k] === "-")) k++;
        if (k < n && isDigit(s.charCodeAt(k))) {
          while (k < n && isDigit(s.charCodeAt(k))) k++;
          j = k;
        }
      }
      toks.push({ t: "num", v: s.slice(i, j) });
      i = j;
      continue;
    }
    if (c === 92) {
      let j = i + 1;
      if (j < n && isLetter(s.charCodeAt(j))) {
        while (j < n && isLetter(s.charCodeAt(j))) j++;
      } else j++;
      const cmd = s.slice(i, j);
      const known = KNOWN.has(cmd) ? cmd : knownPrefix(cmd);
      // `\cotx`, `\pic` (spaces lost upstream): a known command followed by single-letter variables
      toks.push({ t: "cmd", v: known });
      for (let k = known.length; k < cmd.length; k++) toks.push({ t: "id", v: cmd[k]! });
      i = j;
      continue;
    }
    if (isLetter(c)) {
      toks.push({ t: "id", v: s[i]! });
      i++;
      continue;
    }
    toks.push({ t: "op", v: s[i]! });
    i++;
  }
  return toks;
}
