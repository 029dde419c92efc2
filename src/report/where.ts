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
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;
  const peek = () => toks[p]!;
  const isKw = (t: Token, kw: string) => t.kind === "ident" && !t.quoted && t.value.toLowerCase() === kw;
  const isOp = (t: Token, op: string) => t.kind === "op" && t.value === op;
  const fail = (msg: string, t: Token = peek()): never => {
    throw new WhereError(msg, src, t.pos);
  };
  const describeTok = (t: Token) => (t.kind === "end" ? "end of expression" : t.kind === "str" ? JSON.stringify(t.value) : String(t.value));

  function enter() {
    if (++depth > MAX_DEPTH) fail(`expression nested too deeply (more than ${MAX_DEPTH} levels)`);
  }

  function parseOr(): WhereNode {
    enter();
    let left = parseAnd();
    while (isKw(peek(), "or")) {
      p++;
      left = { type: "or", left, right: parseAnd() };
    }
    depth--;
    return left;
  }
  function parseAnd(): WhereNode {
    let left = parseNot();
    while (isKw(peek(), "and")) {
      p++;
      left = { type: "and", left, right: parseNot() };
    }
    return left;
  }
  function parseNot(): WhereNode {
    if (isKw(peek(), "not")) {
      p++;
      enter();
      const operand = parseNot();
      depth--;
      return { type: "not", operand };
    }
    return parseCompare();
  }
  function parseCompare(): WhereNode {
    const left = parseValue();
    const t = peek();
    if (t.kind === "op" && ["=", "!=", "<", "<=", ">", ">="].includes(t.value)) {
      p++;
      return { type: "compare", op: t.value as "=", left, right: parseValue() };
    }
    if (isKw(t, "contains")) {
      p++;
      return { type: "contains", left, right: parseValue() };
    }
    let negated = false;
    if (isKw(t, "not") && isKw(toks[p + 1]!, "in")) {
      negated = true;
      p++;
    }
    if (isKw(peek(), "in")) {
      p++;
      if (!isOp(peek(), "(")) fail(`expected "(" after in, found ${describeTok(peek())}`);
      p++;
      const list: WhereNode[] = [];
      if (!isOp(peek(), ")")) {
        for (;;) {
          list.push(parseValue());
          if (isOp(peek(), ",")) {
            p++;
            continue;
          }
          break;
        }
      }
      if (!isOp(peek(), ")")) fail(`expected "," or ")" in the in (...) list, found ${describeTok(peek())}`);
      p++;
      return { type: "in", left, list, negated };
    }
    if (negated) fail(`expected "in" after "not"`);
    if (isKw(t, "is")) {
      p++;
      let neg = false;
      if (isKw(peek(), "not")) {
        neg = true;
        p++;
      }
      if (!isKw(peek(), "null")) fail(`expected "null" after "is${neg ? " not" : ""}", found ${describeTok(peek())}`);
      p++;
      return { type: "isnull", operand: left, negated: neg };
    }
    return left;
  }
  function parseValue(): WhereNode {
    const t = peek();
    if (t.kind === "str" || t.kind === "num") {
      p++;
      return { type: "literal", value: t.value };
    }
    if (t.kind === "ident") {
      if (!t.quoted) {
        const kw = t.value.toLowerCase();
        if (kw === "true" || kw === "false") {
          p++;
          return { type: "literal", value: kw === "true" };
        }
        if (kw === "null") {
          p++;
          return { type: "literal", value: null };
        }
        if (KEYWORDS.has(kw)) fail(`expected a value or column name, found the keyword "${t.value}"`);
        if (t.value.endsWith(".") || t.value.includes("..")) fail(`malformed column name "${t.value}"`);
      }
      p++;
      const name = t.quoted ? t.value : (COLUMN_ALIASES.get(t.value) ?? t.value);
      return { type: "column", path: t.quoted ? [name] : name.split("."), name, pos: t.pos };
    }
    if (isOp(t, "(")) {
      p++;
      const inner = parseOr();
      if (!isOp(peek(), ")")) fail(`expected ")", found ${describeTok(peek())}`);
      p++;
      return inner;
    }
    return fail(`expected a value, column name or "(", found ${describeTok(t)}`);
  }

  if (peek().kind === "end") fail("empty filter expression");
  const node = parseOr();
  if (peek().kind !== "end") fail(`unexpected ${describeTok(peek())}: expected and, or, or the end of the expression`);
  return node;
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

type Getter = (row: Record<string, unknown>) => unknown;

/** Only data reaches a comparison: functions (and anything but JSON-like values) read as null. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return null;
  return v;
}

/** Own properties only: `constructor`, `__proto__` and friends are not columns. */
function own(obj: object, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, k) ? (obj as Record<string, unknown>)[k] : undefined;
}

function columnGetter(path: string[]): Getter {
  if (path.length === 1) {
    const k = path[0]!;
    return (row) => plain(own(row, k));
  }
  return (row) => {
    let v: unknown = row;
    for (const k of path) {
      if (typeof v === "string" && (v.startsWith("{") || v.startsWith("["))) {
        try {
          v = JSON.parse(v);
        } catch {
          return null;
        }
      }
      if (v === null || typeof v !== "object") return null;
      v = own(v, k);
    }
    return plain(v);
  };
}

function equal(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return false;
  if (typeof a !== typeof b) return false;
  return a === b;
}

function order(a: unknown, b: unknown): number | null {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return null;
}

export type RowPredicate = (row: Record<string, unknown>) => boolean;

function compileValue(n: WhereNode): Getter {
  switch (n.type) {
    case "literal": {
      const v = n.value;
      return () => v;
    }
    case "column":
      return columnGetter(n.path);
    default: {
      const pred = compilePredicate(n);
      return (row) => pred(row);
    }
  }
}

function compilePredicate(n: WhereNode): RowPredicate {
  switch (n.type) {
    case "and": {
      const l = compilePredicate(n.left);
      const r = compilePredicate(n.right);
      return (row) => l(row) && r(row);
    }
    case "or": {
      const l = compilePredicate(n.left);
      const r = compilePredicate(n.right);
      return (row) => l(row) || r(row);
    }
    case "not": {
      const o = compilePredicate(n.operand);
      return (row) => !o(row);
    }
    case "compare": {
      const l = compileValue(n.left);
      const r = compileValue(n.right);
      const op = n.op;
      // `x = null` / `x != null` read as `is null` / `is not null`
      if (n.right.type === "literal" && n.right.value === null && (op === "=" || op === "!=")) {
        return op === "=" ? (row) => l(row) === null : (row) => l(row) !== null;
      }
      if (op === "=") return (row) => equal(l(row), r(row));
      if (op === "!=") {
        return (row) => {
          const a = l(row);
          const b = r(row);
          return a !== null && b !== null && !equal(a, b);
        };
      }
      return (row) => {
        const d = order(l(row), r(row));
        if (d === null) return false;
        return op === "<" ? d < 0 : op === "<=" ? d <= 0 : op === ">" ? d > 0 : d >= 0;
      };
    }
    case "contains": {
      const l = compileValue(n.left);
      const r = compileValue(n.right);
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (b === null) return false;
        if (typeof a === "string") return typeof b === "string" && a.includes(b);
        if (Array.isArray(a)) return a.some((x) => equal(plain(x), b));
        return false;
      };
    }
    case "in": {
      const l = compileValue(n.left);
      const items = n.list.map(compileValue);
      const neg = n.negated;
      return (row) => {
        const a = l(row);
        if (a === null) return false;
        const hit = items.some((g) => equal(a, g(row)));
        return neg ? !hit : hit;
      };
    }
    case "isnull": {
      const o = compileValue(n.operand);
      return n.negated ? (row) => o(row) !== null : (row) => o(row) === null;
    }
    case "literal":
      return () => n.value === true;
    case "column": {
      const g = columnGetter(n.path);
      return (row) => g(row) === true;
    }
  }
}

export interface CompiledWhere {
  source: string;
  ast: WhereNode;
  columns: string[];
  test: RowPredicate;
}

/**
 * Parse and compile a filter. With `knownColumns`, an unknown top-level column is an error that
 * lists the known ones (catches typos before scanning a terabyte).
 */
export function compileWhere(src: string, knownColumns?: Iterable<string>): CompiledWhere {
  const ast = parseWhere(src);
  const columns = whereColumns(ast);
  if (knownColumns) {
    const known = new Set(knownColumns);
    const findPos = (name: string): number => {
      let pos = 0;
      const walk = (n: WhereNode): void => {
        if (n.type === "column" && n.path[0] === name) pos = n.pos;
        else if ("left" in n) {
          walk(n.left);
          if ("right" in n) walk(n.right);
          if ("list" in n) n.list.forEach(walk);
        } else if ("operand" in n) walk(n.operand);
      };
      walk(ast);
      return pos;
    };
    for (const c of columns) {
      if (!known.has(c)) throw new WhereError(`unknown column "${c}"; columns are: ${[...known].join(", ")}`, src, findPos(c));
    }
  }
  return { source: src, ast, columns, test: compilePredicate(ast) };
}
