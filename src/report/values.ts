/**
 * Reading loosely typed row values for the report, and small tallies. Rows are untrusted: any column may
 * hold any JSON value (or none), so every read says what it falls back to.
 */

/** A string as is; null / undefined as ""; anything else as its JSON text. */
export const str = (v: unknown): string => (typeof v === "string" ? v : v === null || v === undefined ? "" : JSON.stringify(v));

/** A string as is; null / undefined as null; anything else as its JSON text. */
export const strOrNull = (v: unknown): string | null => (typeof v === "string" ? v : v === null || v === undefined ? null : JSON.stringify(v));

/** A finite number, else null. */
export const numOrNull = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** At most `n` code units of `s`, with "…" when cut. */
export function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n) + "…";
}

/** Add `by` to the tally of `k`. */
export function bump(m: Record<string, number>, k: string, by = 1): void {
  m[k] = (m[k] ?? 0) + by;
}

/** A tally ordered by count (largest first), ties by key: a stable order for tables and charts. */
export function sorted(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
}
