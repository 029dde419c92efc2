/**
 * The reference as graded. Most references are answers ("\frac{1}{3}", "$[0,1)$", "$125$ miles") and are
 * kept as written; some datasets give a solution that holds the answer (MATH's "… so the answer is
 * $\boxed{14{,}916}$."), as Math-Verify's tests do. Such a reference is reduced to its answer:
 *
 *   - with boxes: the last boxes that answer together (extract.ts boxGroup), joined with ", "
 *     ("$\boxed{1}\boxed{2}$" is "1,2"; "\boxed{1} no no no no no \boxed{2}" is "2");
 *   - a solution in prose (at least 12 words outside math and braces) without a box: the answer the
 *     extraction rules find in it ("… Final Answer: The final answer is $28 \%$. I hope it is correct.").
 *
 * Linear in the reference length (one box scan, one word count, at most one extraction).
 */
import { findBoxes } from "../text/boxed.js";
import { boxGroup, extractAnswer } from "./extract.js";
import { proseWords } from "./prose.js";

/** words outside math and braces that make a reference a solution rather than an answer */
const SOLUTION_WORDS = 12;

export function referenceAnswer(ref: string): string {
  if (ref.includes("\\boxed") || ref.includes("\\fbox")) {
    const boxes = findBoxes(ref);
    if (boxes.length > 0) {
      const group = boxGroup(ref, boxes);
      if (group.length > 0 && group.some((g) => g.length > 0)) return group.join(", ");
    }
  }
  if (proseWords(ref, SOLUTION_WORDS) >= SOLUTION_WORDS) {
    const x = extractAnswer(ref);
    if (x && x.rule !== "bare") return x.answer;
  }
  return ref;
}
