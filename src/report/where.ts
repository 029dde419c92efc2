/**
 * A small, safe filter language over rollout rows (no eval, no Function): the `--where` of
 * `curate inspect` / `curate export` and the `.where()` of `openShards`.
 *
 *   expr     := or
 *   or       := and ("or" and)*
 *   and      := not ("and" not)*
 *   not      := "not" not | compare
 *   compare  := value ( ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") value
 *                      | "contains" value
 *                      | ["not"] "in" "(" value ("," value)* ")"
 *                      | "is" ["not"] "null" )?
 *   value    := string | number | true | false | null | column | "(" expr ")"
 *   column   := name ("." name)*       e.g. verdict, tokens_response, annotations.verify.rule, meta.subject
 *             | `any text`             back-quoted, for names with other characters
 *
 * Strings are "double" or 'single' quoted with backslash escapes (\" \' \\ \n \t \uXXXX).
 * Semantics follow SQL where it matters: a comparison with a missing / null value is false (use
 * `is null`); `=` between a number and a string is false (no coercion); `contains` is a case-sensitive
 * substring test on strings and a membership test on arrays. Keywords are case-insensitive.
 * The alias `tokens` means `tokens_response`.
 */

export class WhereError extends Error {
  constructor(message: string, readonly expression: string, readonly position: number) {
    super(`${message}\n  ${expression}\n  ${" ".repeat(Math.max(0, Math.min(position, expression.length)))}^`);
    this.name = "WhereError";
  }
}

type Token =
  | { kind: "str"; value: string; pos: number }
  | { kind: "num"; value: number; pos: number }
  | { kind: "ident"; value: string; pos: number; quoted: boolean }
  | { kind: "op"; value: string; pos: number }
  | { kind: "end"; pos: number };

const MAX_EXPRESSION = 8192;
const MAX_DEPTH = 64;
const KEYWORDS = new Set(["and", "or", "not", "in", "is", "null", "true", "false", "contains"]);

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 46;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function tokenize(src: string): Token[] {
  if (src.length > MAX_EXPRESSION) throw new WhereError(`filter expression too long (${src.length} characters, at most ${MAX_EXPRESSION})`, src.slice(0, 80), 80);
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    const start = i;
    if (c === 34 || c === 39) {
      // quoted string
      const quote = c;
      i++;
      let s = "";
      let closed = false;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d === quote) {
          closed = true;
          i++;
          break;
        }
        if (d === 92) {
          const e = src[i + 1];
          if (e === undefined) break;
          if (e === "n") s += "\n";
          else if (e === "t") s += "\t";
          else if (e === "r") s += "\r";
          else if (e === "u") {
            const hex = src.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new WhereError("expected 4 hex digits after \\u", src, i);
            s += String.fromCharCode(parseInt(hex, 16));
            i += 4;
          } else s += e;
          i += 2;
          continue;
        }
        s += src[i];
        i++;
      }
      if (!closed) throw new WhereError("unterminated string: expected a closing quote", src, start);
      out.push({ kind: "str", value: s, pos: start });
      continue;
    }
    if (c === 96) {
      const end = src.indexOf("`", i + 1);
      if (end < 0) throw new WhereError("unterminated `column name`: expected a closing back-quote", src, start);
      out.push({ kind: "ident", value: src.slice(i + 1, end), pos: start, quoted: true });
      i = end + 1;
      continue;
    }
    if (isDigit(c) || (c === 45 && i + 1 < n && (isDigit(src.charCodeAt(i + 1)) || src[i + 1] === ".")) || (c === 46 && i + 1 < n && isDigit(src.charCodeAt(i + 1)))) {
      i++;
      while (i < n && (isDigit(src.charCodeAt(i)) || src[i] === "." || src[i] === "_")) i++;
      if (i < n && (src[i] === "e" || src[i] === "E")) {
        i++;
        if (src[i] === "+" || src[i] === "-") i++;
        while (i < n && isDigit(src.charCodeAt(i))) i++;
      }
      const text = src.slice(start, i).replace(/_/g, "");
      const value = Number(text);
      if (!Number.isFinite(value)) throw new WhereError(`not a number: ${text}`, src, start);
      out.push({ kind: "num", value, pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(src.charCodeAt(i))) i++;
      out.push({ kind: "ident", value: src.slice(start, i), pos: start, quoted: false });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === "<=" || two === ">=" || two === "!=" || two === "==" || two === "<>") {
      out.push({ kind: "op", value: two === "==" ? "=" : two === "<>" ? "!=" : two, pos: start });
      i += 2;
      continue;
    }
    const one = src[i]!;
    if ("=<>(),".includes(one)) {
      out.push({ kind: "op", value: one, pos: start });
      i++;
      continue;
    }
    throw new WhereError(`unexpected character ${JSON.stringify(one)}`, src, start);
  }
  out.push({ kind: "end", pos: n });
  return out;
}

export type WhereNode =
  | { type: "literal"; value: string | number | boolean | null }
  | { type: "column"; path: string[]; name: string; pos: number }
  | { type: "and" | "or"; left: WhereNode; right: WhereNode }
  | { type: "not"; operand: WhereNode }
  | { type: "compare"; op: "=" | "!=" | "<" | "<=" | ">" | ">="; left: WhereNode; right: WhereNode }
  | { type: "contains"; left: WhereNode; right: WhereNode }
  | { type: "in"; left: WhereNode; list: WhereNode[]; negated: boolean }
  | { type: "isnull"; operand: WhereNode; negated: boolean };

const COLUMN_ALIASES = new Map<string, string>([["tokens", "tokens_response"]]);

export function parseWhere(src: string): WhereNode {
  return new WhereParser(src).parse();
}

const describeTok = (t: Token) => (t.kind === "end" ? "end of expression" : t.kind === "str" ? JSON.stringify(t.value) : String(t.value));
const isKw = (t: Token, kw: string) => t.kind === "ident" && !t.quoted && t.value.toLowerCase() === kw;
const isOp = (t: Token, op: string) => t.kind === "op" && t.value === op;

/** Recursive descent over the tokens: or → and → not → comparison → value; nesting bounded by MAX_DEPTH. */
class WhereParser {
  private readonly toks: Token[];
  private p = 0;
  private depth = 0;

  constructor(private readonly src: string) {
    this.toks = tokenize(src);
  }

  parse(): WhereNode {
    if (this.peek().kind === "end") this.fail("empty filter expression");
    const node = this.parseOr();
    if (this.peek().kind !== "end") this.fail(`unexpected ${describeTok(this.peek())}: expected and, or, or the end of the expression`);
    return node;
  }

  private peek(): Token {
    return this.toks[this.p]!;
  }

  private fail(msg: string, t: Token = this.peek()): never {
    throw new WhereError(msg, this.src, t.pos);
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`expression nested too deeply (more than ${MAX_DEPTH} levels)`);
  }

  private parseOr(): WhereNode {
    this.enter();
    let left = this.parseAnd();
    while (isKw(this.peek(), "or")) {
      this.p++;
      left = { type: "or", left, right: this.parseAnd() };
    }
    this.depth--;
    return left;
  }

  private parseAnd(): WhereNode {
    let left = this.parseNot();
    while (isKw(this.peek(), "and")) {
      this.p++;
      left = { type: "and", left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): WhereNode {
    if (isKw(this.peek(), "not")) {
      this.p++;
      this.enter();
      const operand = this.parseNot();
      this.depth--;
      return { type: "not", operand };
    }
    return this.parseCompare();
  }

  private parseCompare(): WhereNode {
    const left = this.parseValue();
    const t = this.peek();
    if (t.kind === "op" && ["=", "!=", "<", "<=", ">", ">="].includes(t.value)) {
      this.p++;
      return { type: "compare", op: t.value as "=", left, right: this.parseValue() };
    }
    if (isKw(t, "contains")) {
      this.p++;
      return { type: "contains", left, right: this.parseValue() };
    }
    let negated = false;
    if (isKw(t, "not") && isKw(this.toks[this.p + 1]!, "in")) {
      negated = true;
      this.p++;
    }
    if (isKw(this.peek(), "in")) return this.parseIn(left, negated);
    if (negated) this.fail(`expected "in" after "not"`);
    if (isKw(t, "is")) {
      this.p++;
      let neg = false;
      if (isKw(this.peek(), "not")) {
        neg = true;
        this.p++;
      }
      if (!isKw(this.peek(), "null")) this.fail(`expected "null" after "is${neg ? " not" : ""}", found ${describeTok(this.peek())}`);
      this.p++;
      return { type: "isnull", operand: left, negated: neg };
    }
    return left;
  }

  /** `in (a, b, …)` after `left` (the keyword is the current token) */
  private parseIn(left: WhereNode, negated: boolean): WhereNode {
    this.p++;
    if (!isOp(this.peek(), "(")) this.fail(`expected "(" after in, found ${describeTok(this.peek())}`);
    this.p++;
    const list: WhereNode[] = [];
    if (!isOp(this.peek(), ")")) {
      for (;;) {
        list.push(this.parseValue());
        if (isOp(this.peek(), ",")) {
          this.p++;
          continue;
        }
        break;
      }
    }
    if (!isOp(this.peek(), ")")) this.fail(`expected "," or ")" in the in (...) list, found ${describeTok(this.peek())}`);
    this.p++;
    return { type: "in", left, list, negated };
  }

  private parseValue(): WhereNode {
    const t = this.peek();
    if (t.kind === "str" || t.kind === "num") {
      this.p++;
      return { type: "literal", value: t.value };
    }
    if (t.kind === "ident") return this.parseIdent(t);
    if (isOp(t, "(")) {
      this.p++;
      const inner = this.parseOr();
      if (!isOp(this.peek(), ")")) this.fail(`expected ")", found ${describeTok(this.peek())}`);
      this.p++;
      return inner;
    }
    return this.fail(`expected a value, column name or "(", found ${describeTok(t)}`);
  }

  /** a literal keyword (true, false, null) or a column name */
  private parseIdent(t: Token & { kind: "ident" }): WhereNode {
    if (!t.quoted) {
      const kw = t.value.toLowerCase();
      if (kw === "true" || kw === "false") {
        this.p++;
        return { type: "literal", value: kw === "true" };
      }
      if (kw === "null") {
        this.p++;
        return { type: "literal", value: null };
      }
      if (KEYWORDS.has(kw)) this.fail(`expected a value or column name, found the keyword "${t.value}"`);
      if (t.value.endsWith(".") || t.value.includes("..")) this.fail(`malformed column name "${t.value}"`);
    }
    this.p++;
    const name = t.quoted ? t.value : (COLUMN_ALIASES.get(t.value) ?? t.value);
    return { type: "column", path: t.quoted ? [name] : name.split("."), name, pos: t.pos };
  }
}

/** Column names (top-level) the expression reads. */
export function whereColumns(node: WhereNode): string[] {
  const out = new Set<string>();
  const walk = (n: WhereNode) => {
    switch (n.type) {
      case "column":
        out.add(n.path[0]!);
        break;
      case "and":
      case "or":
      case "compare":
      case "contains":
        walk(n.left);
        walk(n.right);
        break;
      case "not":
      case "isnull":
        walk(n.operand);
        break;
      case "in":
        walk(n.left);
        n.list.forEach(walk);
        break;
    }
  };
  walk(node);
  return [...out];
}
