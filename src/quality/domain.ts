/**
 * Problem domain: algebra, geometry, number_theory, counting_probability, calculus_analysis, other.
 *
 * 1. From a source field when present (`meta.subject`, `meta.type`, `meta.domain`, `meta.category`,
 *    `meta.topic`): MATH's seven subjects map as Algebra / Intermediate Algebra / Prealgebra → algebra,
 *    Geometry → geometry, Number Theory → number_theory, Counting & Probability → counting_probability,
 *    Precalculus → calculus_analysis (trigonometry, vectors, matrices, complex plane: the pre-calculus
 *    side of analysis); other names by substring (combinatorics, probability, calculus, analysis, …).
 * 2. Else a keyword classifier over the problem text (`classifyDomain`): lower-cased words, word pairs and
 *    LaTeX commands vote with fixed weights (KEYWORDS below); the best non-algebra domain wins when its
 *    score reaches 2, otherwise the problem is algebra if it has any mathematical content (digits, `$`,
 *    `=`, a variable) and other if not. Linear in the text length (one scan, Map lookups per token).
 *    Measured against MATH-train's `type` in docs/quality.md.
 */
import type { MetaValue } from "../record/rollout.js";
import type { Domain } from "./types.js";

export const DOMAINS: readonly Domain[] = ["algebra", "geometry", "number_theory", "counting_probability", "calculus_analysis", "other"];

const META_KEYS = ["subject", "type", "domain", "category", "topic"];

/** Map a source subject / type string to a domain, or null when it names none. */
export function domainFromLabel(label: string): Domain | null {
  const s = label.toLowerCase();
  if (s.includes("number theory") || s.includes("number_theory")) return "number_theory";
  if (s.includes("counting") || s.includes("probab") || s.includes("combinator") || s.includes("statistic")) return "counting_probability";
  if (s.includes("geometr")) return "geometry";
  if (s.includes("precalc") || s.includes("calculus") || s.includes("analysis") || s.includes("trigonometr") || s.includes("limit")) return "calculus_analysis";
  if (s.includes("algebra") || s.includes("arithmetic") || s.includes("polynomial") || s.includes("inequalit") || s.includes("equation")) return "algebra";
  return null;
}

/** Domain from the record's source fields, or null when none names one. */
export function domainFromMeta(meta: Record<string, MetaValue> | undefined): Domain | null {
  if (!meta) return null;
  for (const key of META_KEYS) {
    const v = meta[key];
    if (typeof v === "string" && v.length > 0) {
      const d = domainFromLabel(v);
      if (d) return d;
    }
  }
  return null;
}

const G = 1; // geometry
const N = 2; // number_theory
const C = 3; // counting_probability
const A = 4; // calculus_analysis
const L = 0; // algebra (only used to break "other")

/** keyword → [domain index into DOMAINS, weight]; words are lower-cased, LaTeX commands keep their backslash */
const KEYWORDS: Record<string, [number, number]> = {
  // geometry
  triangle: [G, 2], triangles: [G, 2], "\\triangle": [G, 3], "\\angle": [G, 3], angle: [G, 1], angles: [G, 1],
  circle: [G, 2], circles: [G, 2], radius: [G, 2], diameter: [G, 2], circumference: [G, 2], chord: [G, 2], arc: [G, 1],
  polygon: [G, 2], hexagon: [G, 2], pentagon: [G, 2], octagon: [G, 2], quadrilateral: [G, 3], parallelogram: [G, 3],
  trapezoid: [G, 3], rhombus: [G, 3], rectangle: [G, 1], square: [G, 0.5], perimeter: [G, 2], area: [G, 1],
  perpendicular: [G, 2], parallel: [G, 1], midpoint: [G, 2], inscribed: [G, 2], circumscribed: [G, 2], tangent: [G, 1],
  sphere: [G, 2], cube: [G, 1], cylinder: [G, 2], cone: [G, 2], prism: [G, 2], pyramid: [G, 2], volume: [G, 1],
  hypotenuse: [G, 3], isosceles: [G, 3], equilateral: [G, 3], vertex: [G, 1], vertices: [G, 1], congruent: [G, 1],
  "\\overline": [G, 2], altitude: [G, 2], median: [G, 0.5], segment: [G, 1], bisector: [G, 2], "\\circ": [G, 1],
  "\\pi": [G, 0.5], asy: [G, 1], // [asy] diagrams
  // number theory
  divisible: [N, 2], divisor: [N, 3], divisors: [N, 3], divides: [N, 2], prime: [N, 2], primes: [N, 2],
  remainder: [N, 3], modulo: [N, 3], mod: [N, 2], "\\pmod": [N, 3], "\\mod": [N, 3], "\\equiv": [N, 2], gcd: [N, 3], lcm: [N, 3],
  "\\gcd": [N, 3], factors: [N, 1], factor: [N, 0.5], digit: [N, 2], digits: [N, 2], base: [N, 1], multiple: [N, 1],
  multiples: [N, 2], integer: [N, 0.5], integers: [N, 0.5], residue: [N, 3], congruence: [N, 3], odd: [N, 0.5], even: [N, 0.5],
  "greatest common": [N, 3], "least common": [N, 3], "units digit": [N, 3], "perfect square": [N, 1], "repeating decimal": [N, 2],
  "relatively prime": [N, 3], "base-notation": [N, 3], // 1011_2, 123_{10}
  // counting & probability
  probability: [C, 3], ways: [C, 2], arrangements: [C, 3], arrange: [C, 2], arranged: [C, 2], choose: [C, 2], "\\binom": [C, 2],
  committee: [C, 3], random: [C, 2], randomly: [C, 2], dice: [C, 3], die: [C, 2], coin: [C, 2], coins: [C, 2], cards: [C, 2],
  card: [C, 1], expected: [C, 1], permutations: [C, 3], combinations: [C, 3], outcomes: [C, 2], selected: [C, 1],
  select: [C, 1], paths: [C, 2], marbles: [C, 2], balls: [C, 1], socks: [C, 2], "at random": [C, 2], distinguishable: [C, 3],
  indistinguishable: [C, 3], "how many": [C, 0.5], spinner: [C, 3], spinners: [C, 3], spun: [C, 2], drawn: [C, 2],
  replacement: [C, 2], venn: [C, 2], colored: [C, 1], committees: [C, 3], "\\dbinom": [C, 2], factorial: [C, 1], subsets: [C, 2], team: [C, 1], people: [C, 1], letters: [C, 1],
  // calculus / analysis / precalculus
  matrix: [A, 3], "\\begin": [A, 0.5], pmatrix: [A, 3], vector: [A, 3], vectors: [A, 3], "\\mathbf": [A, 2],
  "\\sin": [A, 2], "\\cos": [A, 2], "\\tan": [A, 2], "\\cot": [A, 2], "\\sec": [A, 2], "\\csc": [A, 2],
  "\\arcsin": [A, 3], "\\arccos": [A, 3], "\\arctan": [A, 3], sin: [A, 1], cos: [A, 1], polar: [A, 3], spherical: [A, 3],
  cylindrical: [A, 2], "rectangular coordinates": [A, 3], determinant: [A, 3], "\\det": [A, 3], "dot product": [A, 3],
  "cross product": [A, 3], projection: [A, 3], radians: [A, 2], rotation: [A, 1], parametric: [A, 2], parameterized: [A, 3],
  "\\lim": [A, 3], "\\int": [A, 3], derivative: [A, 3], integral: [A, 3], limit: [A, 2], "\\theta": [A, 1], "\\omega": [A, 1],
  complex: [A, 0.5], plane: [A, 1], "\\infty": [A, 0.5], converges: [A, 3], series: [A, 0.5], "\\sum": [A, 0.5],
  "\\operatorname": [A, 1], "\\cdots": [A, 0], "\\ldots": [A, 0],
  // algebra cues only decide algebra vs other
  equation: [L, 1], solve: [L, 1], polynomial: [L, 1], roots: [L, 1], quadratic: [L, 1], function: [L, 1], "\\log": [L, 1],
};

const MIN_SCORE = 2;
const PER_KEYWORD_CAP = 3;

function isLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

export interface DomainScores {
  /** per DOMAINS index (algebra's entry counts only algebra cues) */
  scores: Float64Array;
  /** keyword → times it voted (capped) */
  hits: Map<string, number>;
  mathContent: boolean;
}

/** The keyword votes behind `classifyDomain` (for inspection and calibration). */
export function domainScores(problem: string): DomainScores {
  const scores = new Float64Array(DOMAINS.length);
  const hits = new Map<string, number>();
  const vote = (key: string): void => {
    const k = KEYWORDS[key];
    if (!k) return;
    const seen = hits.get(key) ?? 0;
    if (seen >= PER_KEYWORD_CAP) return;
    hits.set(key, seen + 1);
    scores[k[0]] += k[1];
  };
  const text = problem.length > 20000 ? problem.slice(0, 20000) : problem;
  const n = text.length;
  let mathContent = false;
  let prev = "";
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) {
      let j = i + 1;
      while (j < n && isLetter(text.charCodeAt(j))) j++;
      if (j > i + 1) vote(text.slice(i, j));
      mathContent = true;
      prev = "";
      i = j > i + 1 ? j : i + 2;
      continue;
    }
    if (isLetter(c)) {
      let j = i + 1;
      while (j < n && isLetter(text.charCodeAt(j))) j++;
      const word = text.slice(i, j).toLowerCase();
      vote(word);
      if (prev) vote(prev + " " + word);
      if (j - i === 1 && c !== 97 && c !== 73) mathContent = true; // single-letter variable (not "a", "I")
      prev = word;
      i = j;
      continue;
    }
    if ((c >= 48 && c <= 57) || c === 36 || c === 61) mathContent = true;
    // a number written in a base: a digit, "_", then a digit or "{digit"
    if (c === 95 && i > 0 && i + 1 < n) {
      const before = text.charCodeAt(i - 1);
      const after = text.charCodeAt(i + 1) === 123 && i + 2 < n ? text.charCodeAt(i + 2) : text.charCodeAt(i + 1);
      if (before >= 48 && before <= 57 && ((after >= 48 && after <= 57) || after === 98 /* _b */)) vote("base-notation");
    }
    if (c !== 32) prev = c === 10 || c === 9 ? prev : "";
    i++;
  }
  return { scores, hits, mathContent };
}

/** Keyword classifier over the problem text (see the module comment). */
export function classifyDomain(problem: string): Domain {
  const { scores, mathContent } = domainScores(problem);
  let best = -1;
  let bestScore = 0;
  for (let d = 1; d < DOMAINS.length - 1; d++) {
    if (scores[d]! > bestScore) {
      bestScore = scores[d]!;
      best = d;
    }
  }
  if (best > 0 && bestScore >= MIN_SCORE) return DOMAINS[best]!;
  return mathContent || scores[L]! > 0 ? "algebra" : "other";
}

/** Domain of a problem: source fields first, else the keyword classifier. */
export function problemDomain(problem: string, meta?: Record<string, MetaValue>): { domain: Domain; from: "meta" | "keywords" } {
  const d = domainFromMeta(meta);
  if (d) return { domain: d, from: "meta" };
  return { domain: classifyDomain(problem), from: "keywords" };
}
