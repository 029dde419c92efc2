/**
 * The one scanner for boxed answers, `\boxed{…}` / `\fbox{…}` (nested braces) and the brace-less
 * `\boxed 5`: verification extracts its answer from these boxes (verify/extract.ts) and the quality
 * signals count them (quality/answers.ts), so both read the same boxes.
 *
 * Rules, as TeX reads them: a command name ends at the first non-letter (`\boxedfoo` is another
 * command, `\boxed5` boxes 5); blanks (text/blank.ts) may separate the command from its argument; a
 * brace-less argument runs to the next blank, newline or `$`; a `{` never closed (a cut-off text) makes
 * a last, unclosed box that runs to the end of the text. A box inside a box counts once, as the outer one.
 *
 * Linear time on any input: each command's next occurrence is searched again (natively, indexOf) only
 * once the scan has passed it, and a box's braces are matched once, after which the scan resumes past it.
 */
import { isBlank } from "./blank.js";
import { matchBrace } from "./braces.js";

/** One box in a text. */
export interface Box {
  /** index of the command (`\boxed` / `\fbox`) */
  at: number;
  /** the argument is text.slice(from, to), without the braces */
  from: number;
  to: number;
  /** index just past the box (past its closing brace) */
  end: number;
  /** false: a `{` never closed; the argument runs to the end of the text and no box follows */
  closed: boolean;
}

const BOX_COMMANDS = ["\\boxed", "\\fbox"];

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** the box whose command name ends at `at`, or null when there is none (another command, nothing after) */
function boxAt(s: string, cmd: number, at: number): Box | null {
  const n = s.length;
  if (at < n && isAsciiLetter(s.charCodeAt(at))) return null; // `\boxedfoo`: another command
  let i = at;
  while (i < n && isBlank(s.charCodeAt(i))) i++;
  if (i >= n) return null;
  if (s.charCodeAt(i) === 123 /* { */) {
    const end = matchBrace(s, i);
    return end < 0 ? { at: cmd, from: i + 1, to: n, end: n, closed: false } : { at: cmd, from: i + 1, to: end - 1, end, closed: true };
  }
  // `\boxed 5`: up to a blank, a newline, `$` or the end
  let j = i;
  for (; j < n; j++) {
    const c = s.charCodeAt(j);
    if (isBlank(c) || c === 10 || c === 36 /* $ */) break;
  }
  return j > i ? { at: cmd, from: i, to: j, end: j, closed: true } : null;
}

/** Every box in `text`, in order. */
export function findBoxes(text: string): Box[] {
  const out: Box[] = [];
  const next = BOX_COMMANDS.map((cmd) => text.indexOf(cmd));
  let i = 0;
  for (;;) {
    let best = -1;
    let which = -1;
    for (let c = 0; c < BOX_COMMANDS.length; c++) {
      if (next[c]! >= 0 && next[c]! < i) next[c] = text.indexOf(BOX_COMMANDS[c]!, i);
      if (next[c]! >= 0 && (best < 0 || next[c]! < best)) {
        best = next[c]!;
        which = c;
      }
    }
    if (best < 0) break;
    const at = best + BOX_COMMANDS[which]!.length;
    const box = boxAt(text, best, at);
    if (!box) {
      i = at;
      continue;
    }
    out.push(box);
    if (!box.closed) break;
    i = box.end;
  }
  return out;
}
