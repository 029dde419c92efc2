/**
 * Multiple-choice options of a problem statement, so that a letter answer (`C`) can be compared with
 * a reference written as the option's text (`12`) and the other way round.
 */

/**
 * Multiple-choice options of a problem statement: `(A) 10 \qquad (B) 12 …` (also inside `\textbf{(A)}`).
 * The letters must appear in order A, B, C…; returns null when fewer than two options are found.
 */
export function parseChoices(problem: string): Record<string, string> | null {
  const letters = "ABCDE";
  const at: number[] = [];
  let from = 0;
  for (const l of letters) {
    const k = problem.indexOf(`(${l})`, from);
    if (k < 0) break;
    at.push(k);
    from = k + 3;
  }
  if (at.length < 2) return null;
  const out: Record<string, string> = {};
  for (let j = 0; j < at.length; j++) {
    let end = j + 1 < at.length ? at[j + 1]! : problem.indexOf("\n", at[j]!);
    if (end < 0) end = problem.length;
    let t = problem.slice(at[j]! + 3, end);
    // strip the markup around option markers: "}\ 10 \qquad \textbf{" → "10"
    t = t.split("\\qquad").join(" ").split("\\quad").join(" ");
    for (const junk of ["\\textbf{", "\\mathrm{", "\\text{", "\\mathbf{"]) if (t.endsWith(junk)) t = t.slice(0, -junk.length);
    t = t.trim();
    while (t.startsWith("}") || t.startsWith("\\ ") || t.startsWith("~") || t.startsWith("$")) t = t.replace(/^(?:}|\\ |~|\$)/, "").trim();
    while (t.endsWith("$") || t.endsWith("\\textbf{") || t.endsWith("(") || t.endsWith(",")) t = t.replace(/(?:\$|\\textbf\{|\(|,)$/, "").trim();
    if (t.length > 0 && t.length <= 200) out[letters[j]!] = t;
  }
  return Object.keys(out).length >= 2 ? out : null;
}
