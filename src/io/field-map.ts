/**
 * The field mapping: one source row → its rollouts, through the source's `fields` (paths: see
 * field-paths.ts).
 *
 * - `response: "generations[]"` gives one rollout per array element, `response: "responses{}.content"`
 *   one per value of an object (key order); side fields exploded the same way (`finish_reasons[]`,
 *   `responses{}.correctness`, in `meta` too) take the element at the same position, and must have
 *   as many elements (and, for two objects, the same keys in the same order).
 * - Chat layouts: `messages` (role/content) and `conversations` (from/value): the first user turn is
 *   the problem, the last assistant turn the response. A content given as OpenAI content parts
 *   (`[{"type": "text", "text": …}]`) is read as its joined text.
 * - Reasoning kept apart from the answer (DeepSeek's `reasoning_content` on an assistant turn, or a
 *   `reasoning` field mapping for flat rows): the response becomes `<think>\n{reasoning}\n</think>\n\n{answer}`,
 *   the layout DeepSeek-R1 itself writes, so that the trace split (record/trace.ts) gives back exactly
 *   that reasoning and answer and every later step (token counts, verification, products) treats the
 *   rollout like any other <think> trace. A reasoning that would not split back (it holds
 *   `</think>`, or either text holds `<|begin_of_thought|>`) is the row's error, never a silently
 *   different split.
 */
import type { SourceConfig, SourceFields } from "../config/types.js";
import type { MetaValue } from "../record/rollout.js";
import { normalizeTrace } from "../record/trace.js";
import { LosslessNumber, stringifyRow } from "./json-row.js";
import { parseFieldPath, type FieldPath } from "./field-paths.js";

export class MappingError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

export interface MappedRollout {
  id: string | null;
  problem: string;
  response: string;
  reference: string | null;
  finishReason: string | null;
  meta: Record<string, MetaValue>;
}

export const MISSING = Symbol("missing");

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof LosslessNumber || typeof v === "bigint") return "a number";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof LosslessNumber);

/**
 * The one normalisation of text taken from a row, applied here at mapping time so that every later
 * step sees the same value — annotate, the write step that re-reads the input and matches ids
 * against annotated/, and anyone reading data/:
 * - a lone surrogate (JSON `"\ud800"`) becomes U+FFFD: Parquet stores UTF-8, which cannot hold
 *   one, so the value read back from annotated/ would differ from the value read from the input;
 * - leading U+FEFF are removed: hyparquet (like every TextDecoder with default options) drops a
 *   leading BOM from each string it reads, so such a value would not survive annotated/ either.
 *   A U+FEFF anywhere else is kept.
 * Applied to id, problem, response, reference, finish_reason and string meta values; strings
 * inside a meta object or array (stored as JSON text) are only made well-formed.
 */
export function cleanText(s: string): string {
  if (s.charCodeAt(0) === 0xfeff) {
    let i = 1;
    while (s.charCodeAt(i) === 0xfeff) i++;
    s = s.slice(i);
  }
  const t = s as unknown as { isWellFormed(): boolean; toWellFormed(): string };
  return t.isWellFormed() ? s : t.toWellFormed();
}

/** A text field; with `allowNumber` a number gives its exact source text (ids, references). */
function asText(v: unknown, field: string, path: string, allowNumber: boolean): string {
  if (typeof v === "string") return cleanText(v);
  if (allowNumber) {
    // a plain number from a JSON row prints as its source text (json-row.ts); else LosslessNumber
    if (typeof v === "number" || typeof v === "bigint") return String(v);
    if (v instanceof LosslessNumber) return v.text;
  }
  throw new MappingError("input:wrong_type", `field "${field}" (path ${path}) must be a string, found ${describeType(v)}`);
}

/** A chat turn's content: a string, or OpenAI content parts `[{type: "text", text}]` joined. */
function contentText(v: unknown, field: string, path: string): string {
  if (!Array.isArray(v)) return asText(v, field, path, false);
  let text = "";
  for (let i = 0; i < v.length; i++) {
    const part = v[i];
    const type = isObject(part) && Object.hasOwn(part, "type") ? part.type : undefined;
    const partText = type === "text" && Object.hasOwn(part as object, "text") ? (part as Record<string, unknown>).text : undefined;
    if (typeof partText !== "string") {
      const what = type === undefined ? describeType(part) : type === "text" ? `a text part whose "text" is ${describeType(partText ?? null)}` : `a part of type ${JSON.stringify(type)}`;
      throw new MappingError("input:wrong_type", `field "${field}" (path ${path}[${i}]) must be a text part {"type": "text", "text": …}, found ${what}`);
    }
    text += partText;
  }
  return cleanText(text);
}

interface Turns {
  user: string;
  assistant: string;
  /** the last assistant turn's `reasoning_content` (messages only), null when it has none */
  reasoning: string | null;
}

function chatTurns(v: unknown, field: string, path: string, roleKey: string, textKey: string): Turns {
  if (!Array.isArray(v)) throw new MappingError("input:wrong_type", `field "${field}" (path ${path}) must be a list of turns, found ${describeType(v)}`);
  let user: string | null = null;
  let assistant: string | null = null;
  let reasoning: string | null = null;
  for (let i = 0; i < v.length; i++) {
    const t = v[i];
    if (!isObject(t)) throw new MappingError("input:wrong_type", `${path}[${i}] must be an object with "${roleKey}" and "${textKey}"`);
    const r = Object.hasOwn(t, roleKey) ? t[roleKey] : null;
    const role = typeof r === "string" ? r.toLowerCase() : "";
    const text = Object.hasOwn(t, textKey) ? t[textKey] : undefined;
    if (role === "user" || role === "human") {
      if (user === null) user = contentText(text, field, `${path}[${i}].${textKey}`);
    } else if (role === "assistant" || role === "gpt" || role === "model") {
      assistant = contentText(text, field, `${path}[${i}].${textKey}`);
      const rc = roleKey === "role" && Object.hasOwn(t, "reasoning_content") ? t.reasoning_content : null;
      reasoning = rc === null || rc === undefined ? null : asText(rc, field, `${path}[${i}].reasoning_content`, false);
    }
  }
  if (user === null) throw new MappingError("input:missing_field", `${path} has no user turn`);
  if (assistant === null) throw new MappingError("input:missing_field", `${path} has no assistant turn`);
  return { user, assistant, reasoning };
}

/**
 * Reasoning and answer kept apart by the source → one response in DeepSeek-R1's layout, checked to
 * split back into the same reasoning (see the file comment).
 */
export function joinReasoning(reasoning: string, answer: string, where: string): string {
  const response = `<think>\n${reasoning}\n</think>\n\n${answer}`;
  const t = normalizeTrace(response);
  if (t.format === "thought" || t.unterminated || t.reasoning !== reasoning.trim()) {
    const culprit = reasoning.includes("</think>") ? `the reasoning holds "</think>"` : `the text holds "<|begin_of_thought|>"`;
    throw new MappingError("input:ambiguous_reasoning", `${where}: ${culprit}, so the response <think>{reasoning}</think>{answer} would not split back into the same reasoning and answer`);
  }
  return response;
}

/**
 * A meta value. A number stays a number when the double holds its exact decimal value (`3`, `0.5`,
 * `1.50` → 1.5, `1e2` → 100); otherwise it is kept as its source text, a string
 * (`12345678901234567891`, `1e400`, `0.10000000000000000001`). Objects and arrays are stored as
 * their compact JSON text, numbers in it exactly as in the source.
 */
function scalar(v: unknown): MetaValue {
  if (v === undefined || v === MISSING || v === null) return null;
  if (typeof v === "string") return cleanText(v);
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof LosslessNumber) return sameDecimal(v.text, String(Number(v.text))) ? Number(v.text) : v.text;
  return stringifyRow(v);
}

/** Do two JSON/JS number texts denote the same decimal value? (`1.50` and `1.5`; not `1e400` and `Infinity`) */
function sameDecimal(a: string, b: string): boolean {
  const canon = (t: string): string | null => {
    const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(t);
    if (!m) return null;
    const digits = m[2]! + (m[3] ?? "");
    let exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
    // loops, not /0+$/: that regex is quadratic on a long run of zeros followed by another digit
    let s = 0;
    while (s < digits.length && digits.charCodeAt(s) === 0x30) s++;
    if (s === digits.length) return "0";
    let e = digits.length;
    while (digits.charCodeAt(e - 1) === 0x30) e--;
    exp += digits.length - e;
    return `${m[1]}${digits.slice(s, e)}e${exp}`;
  };
  const x = canon(a);
  return x !== null && x === canon(b);
}

// ---------------------------------------------------------------------------------------------
// paths over a row

const TEXT_FIELDS = ["id", "problem", "response", "reasoning", "reference", "finish_reason", "messages", "conversations"] as const;
type TextField = (typeof TEXT_FIELDS)[number];
/** the fields whose exploded array/object decides how many rollouts a row gives, in this order */
const DRIVERS = ["response", "messages", "conversations"] as const;

interface CompiledFields {
  paths: Partial<Record<TextField, FieldPath>>;
  meta: [string, FieldPath][];
}

const compiledFields = new WeakMap<SourceFields, CompiledFields>();

/** The source's paths, parsed once (config/load.ts has already refused malformed ones). */
function compile(f: SourceFields): CompiledFields {
  let c = compiledFields.get(f);
  if (!c) {
    const paths: CompiledFields["paths"] = {};
    for (const key of TEXT_FIELDS) if (f[key]) paths[key] = parseFieldPath(f[key]!);
    c = { paths, meta: Object.entries(f.meta ?? {}).map(([name, p]) => [name, parseFieldPath(p)]) };
    compiledFields.set(f, c);
  }
  return c;
}

/** The value at `path` (keys; array indexes as digit strings) in `v`, own keys only; MISSING when absent. */
export function dig(v: unknown, path: string[]): unknown {
  let cur: unknown = v;
  for (const k of path) {
    // own keys only: a path like "constructor" must not find Object.prototype's
    if (cur === null || typeof cur !== "object" || cur instanceof LosslessNumber || !Object.hasOwn(cur, k)) return MISSING;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** an exploded container's elements; `keys` for an object (in key order) */
interface Elements {
  values: unknown[];
  keys: string[] | null;
}

/** Reads one row's values through the compiled paths, element by element when exploded. */
class RowReader {
  /** rollouts the row gives */
  count = 1;
  /** the exploded driver field and its object keys (null for an array) */
  private driver: { field: string; keys: string[] | null } | null = null;
  private readonly containers = new Map<string, Elements | typeof MISSING>();

  constructor(private readonly row: Record<string, unknown>, private readonly memberKey: string | undefined) {}

  /** Take the rollout count from the first exploded driver field. */
  explode(paths: CompiledFields["paths"]): void {
    for (const field of DRIVERS) {
      const p = paths[field];
      if (!p?.explode) continue;
      const els = this.elements(field, p);
      if (els === MISSING) throw new MappingError("input:missing_field", `missing field "${field}" (path ${p.text})`);
      if (els.values.length === 0) throw new MappingError("input:missing_field", `field "${field}" (path ${p.text}) is an empty ${p.explode}: no rollouts`);
      this.count = els.values.length;
      this.driver = { field, keys: els.keys };
      return;
    }
  }

  /** The value of `p` for rollout `k` (MISSING when the row has no such field). */
  value(field: string, p: FieldPath, k: number): unknown {
    if (p.memberKey) {
      if (this.memberKey === undefined) throw new MappingError("input:missing_field", `field "${field}" is "$key", but this row is not a member of a JSON object file`);
      return this.memberKey;
    }
    if (!p.explode) return dig(this.row, p.head);
    const els = this.elements(field, p);
    if (els === MISSING) return MISSING;
    if (els.values.length !== this.count) {
      throw new MappingError("input:shape_mismatch", `field "${field}" (path ${p.text}) has ${els.values.length} elements but ${this.driver?.field ?? "the row"} has ${this.count} rollouts`);
    }
    const keys = this.driver?.keys;
    if (els.keys && keys && els.keys[k] !== keys[k]) {
      throw new MappingError(
        "input:shape_mismatch",
        `field "${field}" (path ${p.text}) has key ${JSON.stringify(els.keys[k])} at position ${k} where ${this.driver!.field} has ${JSON.stringify(keys[k])}: exploded objects are paired key by key, in order`,
      );
    }
    return p.tail.length ? dig(els.values[k], p.tail) : els.values[k];
  }

  private elements(field: string, p: FieldPath): Elements | typeof MISSING {
    const cached = this.containers.get(p.text);
    if (cached) return cached;
    const v = dig(this.row, p.head);
    let els: Elements | typeof MISSING = MISSING;
    if (v !== MISSING) {
      if (p.explode === "array" && Array.isArray(v)) els = { values: v, keys: null };
      else if (p.explode === "object" && isObject(v)) els = { values: Object.values(v), keys: Object.keys(v) };
      else {
        const hint = p.explode === "array" ? (isObject(v) ? "; {} explodes an object's values" : "") : Array.isArray(v) ? "; [] explodes an array" : "";
        throw new MappingError("input:wrong_type", `field "${field}" (path ${p.text}) must be ${p.explode === "array" ? "an array" : "an object"} to explode, found ${describeType(v)}${hint}`);
      }
    }
    this.containers.set(p.text, els);
    return els;
  }
}

// ---------------------------------------------------------------------------------------------
// the mapping

/**
 * Map one source row to its rollouts; `memberKey` is the row's key when it was read from a JSON
 * object file (the `$key` path). Throws MappingError (reason + message) on bad rows.
 */
export function mapRow(row: unknown, source: SourceConfig, memberKey?: string): MappedRollout[] {
  if (!isObject(row)) {
    throw new MappingError("input:wrong_type", `row must be a JSON object, found ${describeType(row)}`);
  }
  const { paths, meta } = compile(source.fields);
  const reader = new RowReader(row, memberKey);
  reader.explode(paths);
  const out: MappedRollout[] = [];
  for (let k = 0; k < reader.count; k++) {
    const { problem, response } = texts(reader, paths, k, source.name);
    const optional = (field: "reference" | "finish_reason" | "id", allowNumber: boolean): string | null => {
      const p = paths[field];
      const v = p ? reader.value(field, p, k) : MISSING;
      return v === MISSING || v === null ? null : asText(v, field, p!.text, allowNumber);
    };
    let id = optional("id", true);
    if (id !== null && reader.count > 1 && !paths.id!.explode) id = `${id}#${k}`;
    const metaOut: Record<string, MetaValue> = {};
    for (const [name, p] of meta) metaOut[name] = scalar(reader.value(`meta.${name}`, p, k));
    out.push({ id, problem, response, reference: optional("reference", true), finishReason: optional("finish_reason", false), meta: metaOut });
  }
  return out;
}

/** Problem and response of rollout `k`: chat turns, then the flat fields, then the reasoning. */
function texts(reader: RowReader, paths: CompiledFields["paths"], k: number, sourceName: string): { problem: string; response: string } {
  let problem: string | null = null;
  let response: string | null = null;
  let reasoning: string | null = null;
  let reasoningAt = "";
  for (const [field, roleKey, textKey] of [["messages", "role", "content"], ["conversations", "from", "value"]] as const) {
    const p = paths[field];
    if (!p) continue;
    const v = reader.value(field, p, k);
    if (v === MISSING) throw new MappingError("input:missing_field", `missing field "${field}" (path ${p.text})`);
    const t = chatTurns(v, field, p.text, roleKey, textKey);
    problem = t.user;
    response = t.assistant;
    reasoning = t.reasoning;
    reasoningAt = `${p.text}: the last assistant turn's reasoning_content`;
  }
  for (const field of ["problem", "response"] as const) {
    const p = paths[field];
    if (!p) continue;
    const v = reader.value(field, p, k);
    if (v === MISSING || v === null) throw new MappingError("input:missing_field", `missing field "${field}" (path ${p.text})`);
    if (field === "problem") problem = asText(v, field, p.text, false);
    else response = asText(v, field, p.text, false);
  }
  if (paths.reasoning) {
    const v = reader.value("reasoning", paths.reasoning, k);
    if (v !== MISSING && v !== null) {
      reasoning = asText(v, "reasoning", paths.reasoning.text, false);
      reasoningAt = `field "reasoning" (path ${paths.reasoning.text})`;
    }
  }
  if (problem === null || response === null) {
    throw new MappingError("input:missing_field", `source "${sourceName}" maps no problem/response`);
  }
  return { problem, response: reasoning === null ? response : joinReasoning(reasoning, response, reasoningAt) };
}
