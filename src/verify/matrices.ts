/**
 * Matrices as written: `\begin{pmatrix}…\end{pmatrix}` (also bmatrix, Bmatrix, vmatrix, Vmatrix, matrix,
 * array with its column spec), inside brackets or not (`\left[\begin{array}{cc}…\end{array}\right]`,
 * `(\begin{pmatrix}…\end{pmatrix})`), and a sum, difference or product of such literals (Math-Verify
 * evaluates `A + B` and `A B`): the result's entries are built as expressions (`(1)+(5)`,
 * `(1)\cdot(5)+(2)\cdot(7)`) and compared by the scalar layers like any entry.
 *
 * One scan over the environments (indexOf per environment); products are refused past 12×12.
 */

export type Rows = string[][];

const MAX_SIDE = 12;
const ENV = /^\\begin\{([pbBvV]?matrix|array)\}/;
const ENV_AT = /\\begin\{([pbBvV]?matrix|array)\}/y;

/** one matrix environment at `at`: its rows and the index just past `\end{…}`; null if none */
function matrixAt(s: string, at: number): { rows: Rows; end: number } | null {
  ENV_AT.lastIndex = at;
  const mb = ENV_AT.exec(s);
  if (!mb) return null;
  let from = at + mb[0].length;
  if (mb[1] === "array" && s[from] === "{") {
    const close = s.indexOf("}", from);
    if (close < 0) return null;
    from = close + 1;
  }
  const endTag = `\\end{${mb[1]}}`;
  const endAt = s.indexOf(endTag, from);
  if (endAt < 0) return null;
  return { rows: rowsOf(s.slice(from, endAt)), end: endAt + endTag.length };
}

/** the rows of an environment body: `\\` between rows, `&` between entries, empty rows dropped */
export function rowsOf(body: string): Rows {
  return body
    .split("\\\\")
    .map((r) => r.trim())
    .filter((r) => r.length > 0)
    .map((r) => r.split("&").map((c) => c.trim()));
}

const rect = (m: Rows): boolean => m.length > 0 && m.every((r) => r.length === m[0]!.length);

function combine(a: Rows, b: Rows, op: string): Rows | null {
  if (!rect(a) || !rect(b)) return null;
  if (op === "+" || op === "-") {
    if (a.length !== b.length || a[0]!.length !== b[0]!.length) return null;
    return a.map((r, i) => r.map((x, j) => `(${x})${op}(${b[i]![j]})`));
  }
  // product
  const n = a.length;
  const k = a[0]!.length;
  const m = b[0]!.length;
  if (k !== b.length || n > MAX_SIDE || k > MAX_SIDE || m > MAX_SIDE) return null;
  const out: Rows = [];
  for (let i = 0; i < n; i++) {
    const row: string[] = [];
    for (let j = 0; j < m; j++) {
      const terms: string[] = [];
      for (let t = 0; t < k; t++) terms.push(`(${a[i]![t]})\\cdot(${b[t]![j]})`);
      row.push(terms.join("+"));
    }
    out.push(row);
  }
  return out;
}

const PRODUCT_OPS = ["\\cdot", "\\times", "*"];

/**
 * The matrix an answer denotes: one literal, or literals joined by `+`, `-`, `\cdot`, `\times` or
 * nothing (a product), optionally inside `(…)` / `[…]`. Null when the answer is anything else.
 */
export function parseMatrixExpr(text: string): Rows | null {
  let s = text.trim();
  if ((s.startsWith("(") && s.endsWith(")")) || (s.startsWith("[") && s.endsWith("]"))) {
    const inner = s.slice(1, -1).trim();
    if (ENV.test(inner)) s = inner;
  }
  let m = matrixAt(s, 0);
  if (!m) return null;
  let acc = m.rows;
  let i = m.end;
  while (i < s.length) {
    while (s[i] === " ") i++;
    if (i >= s.length) break;
    let op = "*";
    if (s[i] === "+" || s[i] === "-") op = s[i++]!;
    else {
      const p = PRODUCT_OPS.find((o) => s.startsWith(o, i));
      if (p) i += p.length;
    }
    while (s[i] === " ") i++;
    m = matrixAt(s, i);
    if (!m) return null;
    const next = combine(acc, m.rows, op);
    if (!next) return null;
    acc = next;
    i = m.end;
  }
  return acc;
}
