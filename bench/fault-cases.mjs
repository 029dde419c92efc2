/**
 * The hostile inputs of issue #18 for bench/faults.mjs. `make(dir)` writes the input and a mix in
 * `dir` and says how to run it and what must hold: `args` (the CLI's), `out` (the run folder, read for
 * counts), `code` (the exit code the issue asks for), `rows` (rows the input holds; quarantine counts
 * a damaged tail or a lying row group as one), `good` (rows that must be kept), `reason` (a pattern
 * the outcome must match) and `check` (anything else: values stored exactly, files intact, the token).
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import { bigCellFile, dictionaryTooSmall, footerClaims, goodRows, nest, PARQUET_FIELDS, rng, rollouts, textPieces } from "./fault-inputs.mjs";
import { cdnFor, HF_SOURCE, hugeFile, hugeListing, redirectTo, startServer } from "./fault-hub.mjs";

const FIELDS = { id: "id", problem: "p", response: "r" };
const RUN = ["--quiet", "--workers", "0"];

/** A mix of one source over `file` (relative to `dir`) with `onError`, and the args to run it into dir/out. */
function oneSource(dir, file, onError, fields = FIELDS, extra = {}) {
  const mix = join(dir, "mix.json");
  writeFileSync(mix, JSON.stringify({ name: "faults", sources: [{ name: "s", path: file, onError, fields }], ...extra }));
  const out = join(dir, "out");
  return { args: ["run", mix, "--out", out, ...RUN], out };
}

/** A case over one JSONL (or gzip) file written from `lines` (or `bytes`). */
function jsonl(name, mode, o) {
  return {
    name,
    mode,
    make: (dir) => {
      const file = o.file ?? `${name}.jsonl`;
      writeFileSync(join(dir, file), o.bytes ? o.bytes() : o.lines().join("\n") + "\n");
      return { ...oneSource(dir, file, mode, o.fields, o.mix), code: mode === "fail" ? 1 : 0, rows: o.rows, good: o.good, reason: o.reason, check: o.check };
    },
  };
}

/** A case over one Parquet file made by `make(tag)`. */
function parquet(name, mode, make, o) {
  return {
    name,
    mode,
    make: async (dir) => {
      writeFileSync(join(dir, `${name}.parquet`), await make(name));
      return { ...oneSource(dir, `${name}.parquet`, mode, PARQUET_FIELDS), code: mode === "fail" ? 1 : 0, ...o };
    },
  };
}

const good = goodRows(400);
const gz = gzipSync(Buffer.from(good.map((g) => g.line).join("\n") + "\n"));
const garbage = () => Buffer.from(Array.from({ length: 1000 }, rng(5)).map((x) => Math.floor(x * 256)));
const cut = Math.floor(gz.length * 0.6);
/** complete lines zlib gives for the first `cut` bytes (what `zcat` prints) */
const completeBeforeCut = gunzipSync(gz.subarray(0, cut), { finishFlush: constants.Z_SYNC_FLUSH }).toString().split("\n").length - 1;
const around = (bad) => [good[0].line, ...[bad].flat(), good[1].line];

const deep = [
  jsonl("deep-top-6000", "quarantine", { lines: () => around(nest(6000, "[", "]")), rows: 3, good: 2, reason: /input:too_deep row 2/ }),
  jsonl("deep-top-6000", "fail", { lines: () => around(nest(6000, "[", "]")), reason: /row 2: row is nested more than 512 levels deep/ }),
  jsonl("deep-meta-6000", "quarantine", {
    lines: () => around(`{"id":"deep","p":"P","r":"R","meta":${nest(6000, '{"a":', "}")}}`),
    fields: { ...FIELDS, meta: { m: "meta" } },
    rows: 3,
    good: 2,
    reason: /input:too_deep row 2/,
  }),
];

const gzipCases = [
  jsonl("gzip-trailing-garbage", "quarantine", { file: "trail.jsonl.gz", bytes: () => Buffer.concat([gz, garbage()]), rows: 401, good: 400, reason: /input:corrupt_gzip row 401/ }),
  jsonl("gzip-trailing-garbage", "fail", { file: "trail.jsonl.gz", bytes: () => Buffer.concat([gz, garbage()]), reason: /row 401: corrupt or truncated gzip stream after 400 rows/ }),
  jsonl("gzip-truncated", "quarantine", { file: "cut.jsonl.gz", bytes: () => gz.subarray(0, cut), rows: completeBeforeCut + 1, good: completeBeforeCut, reason: /input:corrupt_gzip/ }),
];

/** The stored id and reference of every kept row must be the source text of its JSON number. */
const exactNumbers = {
  lines: () => [
    '{"id":12345678901234567891,"p":"P0","r":"R0","ref":12345678901234567891}',
    '{"id":9007199254740993,"p":"P1","r":"R1","ref":1e400}',
    '{"id":9007199254740992,"p":"P2","r":"R2","ref":1.50}',
  ],
  fields: { ...FIELDS, reference: "ref" },
  rows: 3,
  good: 3,
  check: async ({ rec, shardRows }) => {
    if (!rec) return {};
    const rows = await shardRows(join(rec.out, "data"), ["id", "reference"]);
    const got = rows.map((r) => `${r.id}:${r.reference}`).sort().join(" ");
    const want = "12345678901234567891:12345678901234567891 9007199254740992:1.50 9007199254740993:1e400";
    return got === want ? { note: "ids and references stored as their source text" } : { broken: `stored ${got}` };
  },
};

const rowCases = [
  jsonl("json-numbers-beyond-double", "quarantine", exactNumbers),
  jsonl("duplicate-key", "quarantine", { lines: () => around('{"id":"d","p":"a","r":"b","p":"c"}'), rows: 3, good: 2, reason: /input:duplicate_key row 2/ }),
  jsonl("duplicate-ids", "quarantine", {
    lines: () => ["139", "139", "139", "140"].map((id, i) => JSON.stringify({ id, p: `P${i}`, r: `R${i}` })),
    rows: 4,
    good: 4,
    check: async ({ rec, shardRows }) => {
      if (!rec) return {};
      const ids = (await shardRows(join(rec.out, "data"), ["id"])).map((r) => r.id);
      const renamed = rec.manifest.groups.duplicateIds;
      return new Set(ids).size === 4 && renamed === 2 ? { note: `2 ids renamed, e.g. ${ids.find((i) => i.includes("@"))}` } : { broken: `ids ${ids.join(",")}, duplicateIds ${renamed}` };
    },
  }),
  jsonl("id-lone-surrogate-and-bom", "quarantine", {
    lines: () => [JSON.stringify({ id: "a\ud800b", p: "P0", r: "R0" }), JSON.stringify({ id: "\ufeffbom", p: "\ufeffP1", r: "R1" }), good[0].line],
    rows: 3,
    good: 3,
    check: async ({ rec, shardRows }) => {
      if (!rec) return {};
      const ids = (await shardRows(join(rec.out, "data"), ["id"])).map((r) => r.id).sort();
      return ids.join(" ") === ["a\ufffdb", "bom", "g-0"].join(" ") ? { note: "ids normalised once: U+FFFD, BOM dropped" } : { broken: `ids ${JSON.stringify(ids)}` };
    },
  }),
  jsonl("invalid-utf8", "quarantine", {
    bytes: () => Buffer.concat([Buffer.from(good[0].line + '\n{"id":"u","p":"P'), Buffer.from([0xff, 0xfe]), Buffer.from('","r":"R"}\n' + good[1].line + "\n")]),
    rows: 3,
    good: 2,
    reason: /input:invalid_utf8 row 2/,
  }),
  jsonl("jsonl-line-50MB", "quarantine", {
    bytes: () => Buffer.concat([Buffer.from(good[0].line + '\n{"id":"big","p":"P","r":"'), ...textPieces(50_000_000, "big"), Buffer.from('"}\n' + good[1].line + "\n")]),
    rows: 3,
    good: 2,
    reason: /input:row_too_large row 2/,
  }),
  jsonl("jsonl-line-50MB", "fail", {
    bytes: () => Buffer.concat([Buffer.from(good[0].line + '\n{"id":"big","p":"P","r":"'), ...textPieces(50_000_000, "big"), Buffer.from('"}\n' + good[1].line + "\n")]),
    reason: /row 2: line is 50,000,\d+ bytes, over the 16,777,216-byte limit/,
  }),
  jsonl("malformed-json", "quarantine", { lines: () => around(['{"id":"m","p":"P","r":', '{"id":"n" "p":1}']), rows: 4, good: 2, reason: /input:malformed_json row 2,3/ }),
  jsonl("wrong-schema", "quarantine", {
    lines: () => around(['{"id":"w1","p":"P"}', '{"id":"w2","p":7,"r":"R"}', "[1,2]"]),
    rows: 5,
    good: 2,
    reason: /input:missing_field row 2.*input:wrong_type row 3,4|input:wrong_type row 3,4.*input:missing_field row 2/,
  }),
];

/** Responses and references that once made the LaTeX scanners loop or recurse: verify must still decide, in time. */
const latex = jsonl("latex-pathological-200KB", "quarantine", {
  lines: () => [
    JSON.stringify({ id: "loop", p: "P", r: "\\boxed{. ".repeat(25_000), ref: "1" }),
    JSON.stringify({ id: "braces", p: "P", r: `\\boxed{${nest(100_000, "{", "}")}}`, ref: nest(100_000, "{", "}") }),
    JSON.stringify({ id: "frac", p: "P", r: `\\boxed{${"\\frac{1}{".repeat(20_000)}2${"}".repeat(20_000)}}`, ref: "\\sqrt{".repeat(30_000) }),
    good[0].line.replace('"r":', '"ref":"2","r":'),
  ],
  fields: { ...FIELDS, reference: "ref" },
  mix: { annotate: { verify: { timeoutMs: 1000 } } },
  rows: 4,
  good: 4,
  check: async ({ rec, shardRows }) => {
    if (!rec) return {};
    const verdicts = (await shardRows(join(rec.out, "data"), ["verdict"])).map((r) => r.verdict ?? "none");
    return { note: `verdicts ${[...new Set(verdicts)].sort().join("/")}` };
  },
});

/** Integer-valued answers a double cannot tell apart: each pair differs, so none may be judged correct (2^{10} = 1024 must be). */
const EXACT_PAIRS = [
  ["2^{64}-1", "18446744073709551616"],
  ["3^{40}", "12157665459056928802"],
  ["2^{100}", "2^{100}+1"],
  ["100!", "100!+1"],
  ["10^{-400}", "10^{-300}"],
  ["2^{10}", "1024"],
];
const exactIntegers = jsonl("verify-exact-integers", "quarantine", {
  lines: () => EXACT_PAIRS.map(([answer, ref], i) => JSON.stringify({ id: `x${i}`, p: `P${i}`, r: `So the answer is $\\boxed{${answer}}$.`, ref })),
  fields: { ...FIELDS, reference: "ref" },
  mix: { annotate: { verify: { timeoutMs: 1000 } } },
  rows: EXACT_PAIRS.length,
  good: EXACT_PAIRS.length,
  check: async ({ rec, shardRows }) => {
    if (!rec) return {};
    const rows = await shardRows(join(rec.out, "data"), ["id", "verdict"]);
    const verdict = Object.fromEntries(rows.map((r) => [r.id, r.verdict]));
    const got = EXACT_PAIRS.map((_, i) => verdict[`x${i}`]);
    const wrong = got.slice(0, -1).some((v) => v === "correct") || got.at(-1) !== "correct";
    return wrong ? { broken: `verdicts ${got.join(",")}` } : { note: `verdicts ${got.join(",")}` };
  },
});

const parquetCases = [
  parquet("parquet-footer-2^31-rows", "quarantine", (t) => footerClaims(t, 2n ** 31n), { rows: 4, good: 3, reason: /input:unreadable_file/ }),
  parquet("parquet-footer-2^31-rows", "fail", (t) => footerClaims(t, 2n ** 31n), { reason: /cannot decode row group 1 .*pages hold 3 rows, the footer says 2,147,483,648/ }),
  parquet("parquet-footer-2-of-3-rows", "quarantine", (t) => footerClaims(t, 2n), { rows: 4, good: 3, reason: /input:unreadable_file/ }),
  parquet("parquet-footer-5-of-3-rows", "quarantine", (t) => footerClaims(t, 5n), { rows: 4, good: 3, reason: /input:unreadable_file/ }),
  parquet("parquet-dictionary-index-out-of-range", "quarantine", dictionaryTooSmall, { rows: 4, good: 3, reason: /input:unreadable_file/ }),
  parquet("parquet-dictionary-index-out-of-range", "fail", dictionaryTooSmall, { reason: /dictionary index [12] at value [12] is out of range/ }),
  parquet("parquet-cell-400MB", "quarantine", (t) => bigCellFile(t, 400_000_000), { rows: 5, good: 4, reason: /input:row_too_large row 3/ }),
  parquet("parquet-cell-400MB", "fail", (t) => bigCellFile(t, 400_000_000), { reason: /row 3: row is 400,000,\d+ bytes, over the 16,777,216-byte limit/ }),
  parquet("parquet-truncated", "quarantine", (t) => rollouts(t).subarray(0, 300), { rows: 1, good: 0, reason: /input:unreadable_file ×1 "corrupt or truncated Parquet footer/ }),
];

/** Files the user keeps in and beside the output folder; every one must keep its bytes. */
function userFiles(dir) {
  const files = { "elsewhere/precious.parquet": "keep me\n", "elsewhere/train-u00000-p00000-00000.parquet": "named like a shard, still mine\n" };
  mkdirSync(join(dir, "elsewhere"));
  for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
  return (extra = {}) => {
    const all = { ...files, ...extra };
    const changed = Object.keys(all).filter((rel) => {
      try {
        return readFileSync(join(dir, rel), "utf8") !== all[rel];
      } catch {
        return true;
      }
    });
    return changed.length ? { broken: `user files changed: ${changed.join(", ")}` } : { note: `${Object.keys(all).length} user files intact` };
  };
}

const folderCases = [
  {
    name: "out-folder-not-a-run",
    mode: "quarantine",
    make: (dir) => {
      writeFileSync(join(dir, "in.jsonl"), good.slice(0, 3).map((g) => g.line).join("\n") + "\n");
      const run = oneSource(dir, "in.jsonl", "quarantine");
      const intact = userFiles(dir);
      mkdirSync(run.out);
      writeFileSync(join(run.out, "notes.txt"), "my notes\n");
      writeFileSync(join(run.out, "README.md"), "# my project\n");
      symlinkSync(join(dir, "elsewhere"), join(run.out, "data"));
      return { args: [...run.args, "--force"], code: 2, reason: /is not empty and is not a curate run/, check: () => intact({ "out/notes.txt": "my notes\n", "out/README.md": "# my project\n" }) };
    },
  },
  {
    name: "run-folder-data-symlink",
    mode: "quarantine",
    make: (dir) => {
      writeFileSync(join(dir, "in.jsonl"), good.slice(0, 3).map((g) => g.line).join("\n") + "\n");
      const run = oneSource(dir, "in.jsonl", "quarantine");
      const first = spawnSync(process.execPath, [join(import.meta.dirname, "..", "dist", "cli", "main.js"), ...run.args], { cwd: dir, timeout: 120_000, killSignal: "SIGKILL" });
      if (first.status !== 0) throw new Error(`the first run failed: ${first.stderr}`);
      const intact = userFiles(dir);
      rmSync(join(run.out, "data"), { recursive: true });
      symlinkSync(join(dir, "elsewhere"), join(run.out, "data"));
      return { args: [...run.args, "--force"], code: 2, reason: /is a symbolic link .*never writes or deletes through a link/, check: () => intact() };
    },
  },
];

const TOKEN = "hf_fault_bench_secret";
const hubEnv = (hub) => ({ HF_ENDPOINT: hub.endpoint, HF_TOKEN: TOKEN, CURATE_HUB_RETRY_BASE_MS: "10" });
const MB = (n) => `${(n / 1e6).toFixed(1)} MB`;

/** A Hub case: servers started by `servers()`, a mix over the hf:// source, `check(servers)` after the run. */
function hub(name, servers, o) {
  return {
    name,
    mode: "quarantine",
    make: async (dir) => {
      const s = await servers();
      const run = oneSource(dir, HF_SOURCE, "quarantine", PARQUET_FIELDS);
      return { ...run, env: hubEnv(s.hub), ...o, check: (x) => o.check(s, x), cleanup: () => Promise.all(Object.values(s).map((v) => v.close())) };
    },
  };
}

const hubCases = [
  hub("hub-listing-1.2GB", async () => ({ hub: await startServer(hugeListing(1_200_000_000)) }), {
    code: 2,
    reason: /the file listing/,
    check: ({ hub }) => (hub.bytesOut < 100e6 ? { note: `server wrote ${MB(hub.bytesOut)} before the client hung up` } : { broken: `server wrote ${MB(hub.bytesOut)}` }),
  }),
  hub("hub-file-2GB-ignores-range", async () => ({ hub: await startServer(hugeFile(2_000_000_000)) }), {
    code: 1,
    reason: /expected 206|range/i,
    check: ({ hub }) => (hub.bytesOut < 200e6 ? { note: `server wrote ${MB(hub.bytesOut)} of 2 GB` } : { broken: `server wrote ${MB(hub.bytesOut)}` }),
  }),
  hub(
    "hub-redirect-to-other-origin",
    async () => {
      const file = rollouts("cdn");
      const cdn = await startServer(cdnFor(file));
      return { cdn, hub: await startServer(redirectTo(cdn, file)) };
    },
    {
      code: 0,
      rows: 6,
      good: 6,
      check: ({ hub, cdn }) => {
        const leaked = cdn.requests.filter((r) => r.authorization !== undefined).length;
        const sent = hub.requests.filter((r) => r.authorization === `Bearer ${TOKEN}`).length;
        return leaked === 0 && sent > 0 && cdn.requests.length > 0
          ? { note: `token sent on ${sent} endpoint requests, 0 of ${cdn.requests.length} to the other origin` }
          : { broken: `token sent to the other origin ${leaked} times (endpoint ${sent}, other ${cdn.requests.length} requests)` };
      },
    },
  ),
];

export const CASES = [...deep, ...gzipCases, ...rowCases, latex, exactIntegers, ...parquetCases, ...folderCases, ...hubCases];
