/**
 * Evaluating a `--where` expression (src/report/where.ts parses it): the parsed tree compiled once to
 * plain closures over a row, with SQL-like semantics (a comparison with null or a missing value is
 * false; no coercion between numbers and strings).
 */
import { WhereError, parseWhere, whereColumns, type WhereNode } from "./where.js";

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
