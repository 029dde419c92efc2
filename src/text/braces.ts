/**
 * Brace matching for LaTeX groups: `{…}` with nesting, where `\{`, `\}` and `\\` are escaped
 * characters, not braces. Linear in the distance scanned.
 */

/** index just past the `}` matching the `{` at `open`, or -1 when unbalanced (`\{`, `\}`, `\\` skipped) */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++; // skip escaped char (\{ \} \\)
      continue;
    }
    if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
