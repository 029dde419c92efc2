/**
 * Equations and inequalities as written, before their structure is parsed (answer-structure.ts), after
 * Math-Verify's rules (latex2sympy2_extended, math_verify/grader.py):
 *
 *   - a left-hand side made of symbols only is a name for the value, not part of it: `x =`, `f(x) =`,
 *     `(p,q) =`, `A:B =`, `|AB| =`, `\frac{NO}{BO} =`, `V_{1}:V_{2} =` (never `x+z =` or `2x =`);
 *   - an assignment chain `x = 5+5+1 = 7 = 11` is `x = 11` (first name, last value);
 *   - `\approx` drops the approximation (`x = 1/3 \approx 0.33` is `x = 1/3`), except after a bare
 *     name: `x \approx 11` is `x = 11`;
 *   - a reference chain `1 = \zzz = x = 0` that the parser cannot read is its last member (Math-Verify's
 *     fallback for an unparseable gold).
 *
 * Scanners over top-level separators (answer-structure.ts splitTop): linear in the answer length.
 */
import { isName, splitTop } from "./answer-structure.js";
import { parseExpr, ExprError } from "./expr-parse.js";

/** `\approx`: dropped with what follows, or, after a bare name, the value (`x \approx 11` is `x = 11`) */
function dropApprox(s: string): string {
  if (!s.includes("\\approx")) return s;
  const parts = splitTop(s, ["\\approx"]);
  if (parts.length < 2) return s;
  const last = parts[parts.length - 1]!;
  if (isName(parts[0]!) && last.length > 0) return `${parts[0]}=${last}`;
  return parts[0]!.length > 0 ? parts[0]! : s;
}

/** true when the fast parser refuses a member for a command it does not know (`\zzz`) */
function unknownCommand(s: string): boolean {
  try {
    parseExpr(s, 120);
    return false;
  } catch (e) {
    return e instanceof ExprError && e.message.startsWith("unknown command");
  }
}

/**
 * An answer's equations reduced as written: approximations dropped, an assignment chain to its first
 * name and last value; for the reference (`gold`), an unreadable chain to its last member.
 */
export function reduceChain(text: string, gold: boolean): string {
  const s = dropApprox(text);
  if (!s.includes("=")) return s;
  const eqs = splitTop(s, ["="]);
  if (eqs.length < 3 || eqs.some((e) => e.length === 0) || splitTop(s, [",", ";"]).length > 1) return s;
  if (eqs.some((e) => /[<>]|\\[lg]eq?(?![A-Za-z])|\\neq/.test(e))) return s;
  if (isName(eqs[0]!)) return `${eqs[0]}=${eqs[eqs.length - 1]}`;
  if (gold && eqs.slice(0, -1).some(unknownCommand) && !unknownCommand(eqs[eqs.length - 1]!)) return eqs[eqs.length - 1]!;
  return s;
}
