/**
 * Field paths of a source's mapping (`fields` in the mix file), parsed once per source:
 *
 * - `meta.answer`: keys separated by dots;
 * - `responses["0.0"].content`: a key in brackets, in JSON string syntax, for keys that hold dots,
 *   brackets or quotes (`["a\"b"]`); `items[2]` takes element 2 of an array;
 * - `generations[]`: one rollout per array element; `responses{}`: one rollout per value of an
 *   object, in key order (integer-like keys ascending, then the others as written, which is the order
 *   JavaScript gives an object's keys). At most one of them per path; steps after it (`[].text`,
 *   `{}.content`) are taken inside each element;
 * - `$key`: the member key of a row read from a JSON object file (`{"<problem>": {row}, …}`).
 *
 * A malformed path is a mix-file error (config/load.ts checks every path), never a row's.
 */

export interface FieldPath {
  /** the path as written */
  text: string;
  /** `$key`: the row's member key in a JSON object file */
  memberKey: boolean;
  /** keys (array indexes as digit strings) from the row to the value, or to the exploded container */
  head: string[];
  /** `[]` explodes an array, `{}` an object's values; null when the path is not exploded */
  explode: "array" | "object" | null;
  /** keys inside each exploded element */
  tail: string[];
}

export class FieldPathError extends Error {}

const NAME_END = new Set([".", "[", "]", "{", "}"]);

/** Parse a field path; throws FieldPathError saying where and what was expected. */
export function parseFieldPath(text: string): FieldPath {
  if (text === "$key") return { text, memberKey: true, head: [], explode: null, tail: [] };
  const fail = (at: number, what: string): never => {
    throw new FieldPathError(`path ${JSON.stringify(text)}, character ${at + 1}: ${what}`);
  };
  if (text.length === 0) fail(0, "expected a key, found an empty path");
  const head: string[] = [];
  const tail: string[] = [];
  let explode: FieldPath["explode"] = null;
  let i = 0;
  let afterStep = false; // a key or bracket was just read: `.`, `[`, `{` or the end may follow
  while (i < text.length) {
    const c = text[i]!;
    const steps = explode ? tail : head;
    if (c === "[" || c === "{") {
      if (c === "{") {
        if (text[i + 1] !== "}") fail(i + 1, `expected "}" after "{" ({} explodes an object's values), found ${found(text, i + 1)}`);
        if (!afterStep) fail(i, `"{}" must follow a key`);
        if (explode) fail(i, `only one [] or {} per path`);
        explode = "object";
        i += 2;
      } else if (text[i + 1] === "]") {
        if (!afterStep) fail(i, `"[]" must follow a key`);
        if (explode) fail(i, `only one [] or {} per path`);
        explode = "array";
        i += 2;
      } else {
        const r = bracketKey(text, i + 1, fail);
        steps.push(r.key);
        i = r.end;
      }
      afterStep = true;
      continue;
    }
    if (c === "." && afterStep) {
      i++;
      if (i === text.length || NAME_END.has(text[i]!)) fail(i, `expected a key after ".", found ${found(text, i)}`);
    } else if (afterStep || NAME_END.has(c)) {
      fail(i, `expected ".", "[" or the end of the path, found ${found(text, i)}`);
    }
    let j = i;
    while (j < text.length && !NAME_END.has(text[j]!)) j++;
    steps.push(text.slice(i, j));
    i = j;
    afterStep = true;
  }
  return { text, memberKey: false, head, explode, tail };
}

function found(text: string, i: number): string {
  return i >= text.length ? "the end" : JSON.stringify(text[i]);
}

/** `["key"]` (JSON string syntax) or `[12]` starting after the `[`: the key and the index after `]`. */
function bracketKey(text: string, i: number, fail: (at: number, what: string) => never): { key: string; end: number } {
  let key: string;
  let j: number;
  if (text[i] === '"') {
    j = i + 1;
    while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    if (j >= text.length) fail(i, `the key's string is not closed (a key in brackets is a JSON string: ["0.0"])`);
    try {
      key = JSON.parse(text.slice(i, j + 1)) as string;
    } catch {
      return fail(i, `${text.slice(i, j + 1)} is not a valid JSON string`);
    }
    j++;
  } else {
    j = i;
    while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
    if (j === i) fail(i, `expected "]", a quoted key (["0.0"]) or an index ([2]) after "[", found ${found(text, i)}`);
    key = text.slice(i, j).replace(/^0+(?=\d)/, "");
  }
  if (text[j] !== "]") fail(j, `expected "]" after the key ${JSON.stringify(key)}, found ${found(text, j)}`);
  return { key, end: j + 1 };
}
