/**
 * Blank code units: the horizontal white space that trims a line or separates a LaTeX command from its
 * argument. A newline is not blank here: it ends a line.
 */

/** space, tab, carriage return, no-break space, ideographic space, vertical tab, form feed */
export function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 0xa0 || c === 0x3000 || c === 11 || c === 12;
}
