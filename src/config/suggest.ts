/**
 * "Did you mean" for mix-file typos: the allowed name closest to what was written, when it is close
 * enough to be the likely intent (`requireCorect` → `requireCorrect`, `timeoutMS` → `timeoutMs`).
 */

/**
 * Edit distance with adjacent transpositions (`feilds` → `fields` is 1), case-insensitive. Names
 * are short (config keys and enum values), so the quadratic table is cheap; inputs are capped so a
 * hostile 1 MB key costs nothing.
 */
export function editDistance(a: string, b: string): number {
  a = a.slice(0, 64).toLowerCase();
  b = b.slice(0, 64).toLowerCase();
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The allowed name `written` most likely meant, or null: at most 1 edit for names up to 4
 * characters, 2 up to 8, 3 beyond (a third of the length, about); the first of equally close ones.
 */
export function closest(written: string, allowed: readonly string[]): string | null {
  const budget = written.length <= 4 ? 1 : written.length <= 8 ? 2 : 3;
  let best: string | null = null;
  let bestDistance = budget + 1;
  for (const name of allowed) {
    if (name === written) continue;
    const d = editDistance(written, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "requireCorrect"?` or "" */
export function didYouMean(written: string, allowed: readonly string[]): string {
  const c = closest(written, allowed);
  return c === null ? "" : `; did you mean ${JSON.stringify(c)}?`;
}
