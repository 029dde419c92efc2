/**
 * Plain words in an answer, read before the LaTeX rewrite (normalize.ts), after Math-Verify's
 * normalisation (latex2sympy2_extended math_normalization):
 *
 *   - "and" / "or" between values are commas: "$1$ and $2$ and $3$", "(11,7)or(7,11)", "19, 46, and 82",
 *     also glued between a value and a one-letter name: "W(x)=1orW(x)=-1";
 *   - "percent" / "percentage" / "pct" mark a percentage: "28 percent" is `28\%`;
 *   - unit words after a value are dropped: "125 miles", "1,000.99m²", "35 square feet";
 *   - a doubled backslash before a command name (`\\frac`, from over-escaped JSON) is single, except
 *     inside environments (`\begin{pmatrix}1 \\x\end{pmatrix}`: `\\` ends a row).
 *
 * One forward scan plus a bounded look at the tail: linear in the answer length.
 */

/** unit words that may follow a value and carry no mathematical meaning for grading */
export const UNIT_WORDS = new Set(
  (
    "cm m mm km in inch inches ft feet foot yd yard yards mi mile miles meter meters metre metres centimeter centimeters " +
    "kilometer kilometers millimeter millimeters unit units sq square cubic degree degrees deg radian radians rad " +
    "second seconds sec s minute minutes min hour hours hr hrs h day days week weeks month months year years " +
    "dollar dollars cent cents g kg gram grams kilogram kilograms lb lbs pound pounds oz ounce ounces l liter liters litre " +
    "ml gallon gallons mph kmh kph people students person persons ways way times point points cup cups " +
    "apples marbles coins cards pages boxes books tiles handshakes games players days. inches. feet. " +
    "k K J eV W Hz N Pa V A mol pc kpc Mpc au AU ly yr erg ergs s^{-1} nm um μm Å angstrom angstroms yuan euros"
  ).split(" "),
);

/** "W(x)=1orW(x)=-1": an "or" / "and" glued between a value and the next name */
const GLUED = /^(?:or|and)(?=[A-Z][A-Za-z]?$)/;

const PERCENT_WORDS = new Set(["percent", "percentage", "pct"]);

const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/** a unit word ending the text after a value ("125 miles", "1,000.99m²", "2 square feet"): the text without it */
function dropTrailingUnits(s: string): string {
  let t = s.trimEnd();
  for (let guard = 0; guard < 3; guard++) {
    const tail = t.slice(-40);
    const m = /(^|[\s\d}])([A-Za-zμÅ]{2,})[²³]?\.?$/.exec(tail);
    if (!m || !(UNIT_WORDS.has(m[2]!) || UNIT_WORDS.has(m[2]!.toLowerCase()))) break;
    const rest = t.slice(0, t.length - tail.length + m.index + m[1]!.length).trimEnd();
    // a value must remain: "125", "\frac{1}{3}", "(2, 3)" — not an operator, not nothing
    if (!/[\d})\]]$/.test(rest)) break;
    t = rest;
  }
  return t;
}

export function readWords(src: string): { text: string; percent: boolean } {
  const env = src.includes("\\begin");
  let out = "";
  let percent = false;
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 92 /* \ */) {
      let j = i + 1;
      if (!env && src.charCodeAt(j) === 92 && isLetter(src.charCodeAt(j + 1))) j++; // `\\frac` → `\frac`
      const from = j;
      if (isLetter(src.charCodeAt(j))) while (j < n && isLetter(src.charCodeAt(j))) j++;
      else j = Math.min(n, j + 1);
      out += "\\" + src.slice(from, j);
      i = j;
      continue;
    }
    if (isLetter(c)) {
      let j = i;
      while (j < n && isLetter(src.charCodeAt(j))) j++;
      const word = src.slice(i, j);
      const standalone = (i === 0 || !isLetter(src.charCodeAt(i - 1))) && !isLetter(src.charCodeAt(j));
      const glued = GLUED.exec(word);
      if (standalone && (word === "and" || word === "or")) out += ",";
      else if (glued && i > 0 && /[\d)]/.test(src[i - 1]!) && !isLetter(src.charCodeAt(j))) out += "," + word.slice(glued[0].length);
      else if (standalone && PERCENT_WORDS.has(word.toLowerCase())) percent = true;
      else out += word;
      i = j;
      continue;
    }
    out += src[i];
    i++;
  }
  return { text: dropTrailingUnits(out), percent };
}
