/**
 * What a problem statement carries besides the problem: LaTeX layout, other spellings of the same
 * command, and the instructions and labels that sources wrap around it. Both problem tokenisers read
 * these rules from here:
 * - src/decontam/tokenize.ts (decontamination) hashes FNV-1a ids of canonical token text, keeps every
 *   token's character span (to report the matched text) and its canonical characters (character
 *   shingles of short problems), splits numbers into their own kind (masked for the digit-insensitive
 *   rule) and drops punctuation and brackets; the committed common n-gram list
 *   (src/decontam/common-ngrams.ts) and index files hold those ids.
 * - src/group/normalize.ts (near-duplicate grouping) hashes finalised (fmix32) tokens for MinHash,
 *   keeps brackets, `\{ \}` and escaped symbols as tokens, makes an `[asy]` diagram one token and
 *   strips whole stock phrases from either end.
 * So the token streams differ, and so do the parts of the rules below that only one of them applies
 * (each list says whose it is): applying them to both would change the matches and the groups that
 * the tests and the output digests pin. What both do is written once.
 */

/**
 * Layout commands both tokenisers drop (sizing, spacing, fonts, text wrappers): they change how a
 * problem looks, not what it asks. Lower case; the decontamination tokeniser compares command names
 * case-sensitively and adds the capitalised sizes (DECONTAM_LAYOUT_COMMANDS), the dedupe tokeniser
 * lower-cases names first.
 */
export const LAYOUT_COMMANDS: readonly string[] = [
  "left", "right", "big", "bigl", "bigr", "bigg", "biggl", "biggr",
  "displaystyle", "textstyle", "scriptstyle", "quad", "qquad",
  "text", "textbf", "textit", "textrm", "textnormal", "texttt",
  "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "boldsymbol", "bm", "mbox", "hbox",
  "limits", "nolimits", "noindent", "newline", "nonumber", "medskip", "smallskip", "bigskip",
];

/**
 * Layout commands that take one braced argument (`\hspace{1cm}`, `\label{eq:1}`). Both tokenisers drop
 * the command; the dedupe tokeniser drops the argument too, the decontamination one reads it as text.
 */
export const LAYOUT_COMMANDS_WITH_ARGUMENT: readonly string[] = ["hspace", "vspace", "label", "tag"];

/** Layout the decontamination tokeniser also drops: more fonts and sizes, ellipses, environments. */
export const DECONTAM_LAYOUT_COMMANDS: readonly string[] = [
  "Big", "Bigl", "Bigr", "Bigg", "Biggl", "Biggr",
  "mathcal", "mathbb", "mathscr", "mathfrak", "operatorname", "emph", "rm", "bf", "it", "hline",
  "ldots", "cdots", "dots", "dotsc", "dotsb", "dotsm", "vdots", "ddots", "begin", "end",
  "tiny", "small", "large", "Large", "LARGE", "normalsize", "phantom", "underline", "overline", "boxed",
];

/** Layout the dedupe tokeniser also drops: more spacing commands, and `\kern`-like ones with their argument. */
export const DEDUPE_LAYOUT_COMMANDS: readonly string[] = [
  "middle", "bigm", "biggm", "enspace", "thinspace", "medspace", "thickspace", "negthinspace",
  "negmedspace", "negthickspace", "space", "nobreakspace", "textsf", "mathnormal", "par", "centering",
];
export const DEDUPE_LAYOUT_COMMANDS_WITH_ARGUMENT: readonly string[] = ["hspace*", "vspace*", "kern", "mkern"];

/** Commands spelled differently with the same meaning, as both tokenisers rewrite them. */
export const COMMAND_SPELLINGS: Readonly<Record<string, string>> = {
  dfrac: "frac", tfrac: "frac", cfrac: "frac",
  le: "leq", leqslant: "leq", ge: "geq", geqslant: "geq", ne: "neq",
  lvert: "|", rvert: "|", vert: "|",
};

/**
 * Further spellings of the decontamination tokeniser ("" = no token): its tokens are words and
 * operators, so `\cdot` is the operator `*` reads as, and delimiters that are no operator vanish.
 */
export const DECONTAM_COMMAND_SPELLINGS: Readonly<Record<string, string>> = {
  dbinom: "binom", tbinom: "binom", cdot: "times", mid: "|",
  lbrace: "", rbrace: "", lbrack: "", rbrack: "", langle: "", rangle: "",
  to: "rightarrow", gets: "leftarrow", varepsilon: "epsilon", varphi: "phi",
};

/** Further spellings of the dedupe tokeniser, which keeps braces and ellipses as tokens. */
export const DEDUPE_COMMAND_SPELLINGS: Readonly<Record<string, string>> = {
  lbrace: "{", rbrace: "}", lt: "<", gt: ">", cdotp: "cdot",
  ldots: "dots", cdots: "dots", dotsc: "dots", dotsb: "dots",
};

/**
 * Instructions that sources append or prepend to a problem statement, whole. The dedupe tokeniser
 * strips them from either end of a statement, token by token (so spacing variants match).
 */
export const STOCK_PHRASES: readonly string[] = [
  "Please reason step by step, and put your final answer within \\boxed{}.",
  "Let's think step by step and output the final answer within \\boxed{}.",
  "Let's think step by step and output the final answer in \\boxed{}.",
  "Return your final response within \\boxed{}.",
  "Please put your final answer within \\boxed{}.",
  "Put your final answer within \\boxed{}.",
  "Output the final answer within \\boxed{}.",
  "Express your answer in \\boxed{}.",
  "Solve the following math problem step by step. The last line of your response should be of the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.",
  "Solve the following math problem efficiently and clearly.",
  "Remember to put your answer on its own line after \"Answer:\".",
  "Please reason step by step.",
  "Let's think step by step.",
  "Think step by step.",
];

/**
 * The words an appended instruction starts with, in the decontamination tokeniser's tokens (`let's`
 * is `let s`): the matcher cuts a row at the first of them in its last 60 tokens, whatever follows,
 * so an instruction it has not seen whole still goes.
 */
export const INSTRUCTION_OPENINGS: readonly string[] = [
  "please reason step by step",
  "let s think step by step",
  "lets think step by step",
  "think step by step",
  "please put your final answer",
  "put your final answer within",
  "output the final answer within",
  "return your final response",
  "provide your final answer",
  "mark your solution with",
];

/**
 * Labels a statement may start with, in the decontamination tokeniser's tokens; the matcher drops the
 * label and a number after it ("Problem 3:", "Question:"). The dedupe tokeniser drops a leading
 * statement number after one of STATEMENT_NUMBER_WORDS (src/group/normalize.ts leadingNumberEnd).
 */
export const STATEMENT_LABELS: readonly string[] = [
  "solve the following math problem",
  "solve the following problem",
  "problem statement",
  "problem",
  "question",
  "q",
];

/** Words before a statement number ("Problem 3.", "Exercise #2:"), lower case. */
export const STATEMENT_NUMBER_WORDS: readonly string[] = ["problem", "question", "exercise", "example", "task"];
