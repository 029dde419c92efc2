/**
 * Minimal Hugging Face Hub client for benchmark Parquet files.
 *
 * - Endpoint: `HF_ENDPOINT` (default https://huggingface.co; no credentials or query in it); token:
 *   `HF_TOKEN`, sent as `Authorization: Bearer …` only to the endpoint's own origin over https (http
 *   only on loopback), never after a redirect away from it — see io/http.ts.
 * - File list: GET {endpoint}/api/datasets/{id}/parquet/{config}/{split} → JSON array of URLs (the
 *   Hub's auto-converted Parquet files; each answers with a same-origin redirect to the resolve
 *   endpoint, whose redirect to the CDN carries X-Linked-Size and X-Linked-Etag). Read as a stream,
 *   at most maxListBytes (8 MiB), at most maxFiles (100) URLs, each http(s).
 * - Download checks, in order: X-Linked-Size and Content-Length ≤ maxFileBytes (64 MiB) before
 *   reading; reading stops at maxFileBytes; byte count = Content-Length (when sent, not encoded) =
 *   X-Linked-Size (when the endpoint's origin sent it); sha256 of the bytes = X-Linked-Etag when that
 *   is 64 hex digits (for LFS files it is the content's sha256, which huggingface_hub also compares
 *   local files against; a plain ETag is not checked: it is a git object id or opaque); then
 *   the file is decoded in full by src/io/parquet-read.ts. Only then is it renamed into the cache; on
 *   any failure the temp file is deleted, so nothing unreadable is ever cached.
 * - Time: 30 s to each response's headers, 30 s idle between body chunks, 180 s per URL in all
 *   (retries included); retries on 429, 5xx and connection resets (4 tries). Limits: HubLimits.
 * - Cache: {XDG_CACHE_HOME or ~/.cache}/curate/benchmarks/{owner}__{name}/{config}/{split}/ holding
 *   0.parquet, 1.parquet, … and files.json (the manifest with each file's size, written last). A
 *   split whose manifest and files (of the recorded sizes) exist is served without any request.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { HubError, endpointUrl, hubGet, hubTarget, readText, redactUrl, type HubBody, type HubLimits, type HubTarget } from "../io/http.js";
import { mkdirs } from "../errors.js";

export { HubError, HUB_LIMITS, LIMIT_ENV, redactUrl, type HubLimits } from "../io/http.js";

export interface HubOptions {
  /** default: process.env.HF_ENDPOINT or https://huggingface.co */
  endpoint?: string;
  /** default: process.env.HF_TOKEN */
  token?: string;
  /** default: defaultCacheDir() */
  cacheDir?: string;
  /** timeouts, size caps and retries; unset ones come from CURATE_HUB_* or HUB_LIMITS */
  limits?: Partial<HubLimits>;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "curate", "benchmarks");
}

function targetOf(o: HubOptions): HubTarget {
  return hubTarget(o);
}

export function cacheFolder(dataset: string, config: string, split: string, o: HubOptions = {}): string {
  return join(o.cacheDir ?? defaultCacheDir(), dataset.replace(/\//g, "__"), config, split);
}

/** URLs of the Parquet files of one split. */
export async function listParquetFiles(dataset: string, config: string, split: string, o: HubOptions = {}): Promise<string[]> {
  const t = targetOf(o);
  const url = endpointUrl(t.endpoint, `/api/datasets/${dataset}/parquet/${encodeURIComponent(config)}/${encodeURIComponent(split)}`);
  return hubGet(url, t, async (body) => {
    const text = await readText(body, t.limits.maxListBytes, "the file list");
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      throw new HubError(`${body.label}: expected a JSON array of Parquet file URLs, got unparsable text`);
    }
    if (!Array.isArray(list) || list.length === 0 || !list.every((u) => typeof u === "string")) {
      throw new HubError(`${body.label}: expected a non-empty JSON array of Parquet file URLs`);
    }
    if (list.length > t.limits.maxFiles) throw new HubError(`${body.label}: lists ${list.length} files, more than the cap of ${t.limits.maxFiles}`);
    return list.map((u: string, i) => fileUrl(u, t.endpoint, `${body.label}, entry ${i}`));
  });
}

function fileUrl(entry: string, endpoint: URL, where: string): string {
  let u: URL;
  try {
    u = new URL(entry, endpointUrl(endpoint, "/"));
  } catch {
    throw new HubError(`${where}: not a URL: ${redactUrl(entry)}`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new HubError(`${where}: expected an http(s) URL, got ${redactUrl(u)}`);
  return u.toString();
}

let tempCounter = 0;

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
}

/** Stream the body into `tmp` (truncated first: each try starts over), checking size and hash. */
async function writeChecked(body: HubBody, tmp: string, cap: number): Promise<number> {
  const { label, linked, contentLength } = body;
  if (linked.size !== undefined && linked.size > cap) throw new HubError(`${label}: the Hub gives its size as ${linked.size} bytes, more than the ${cap}-byte cap`);
  if (contentLength !== null && contentLength > cap) throw new HubError(`${label}: announces ${contentLength} bytes, more than the ${cap}-byte cap`);
  if (contentLength !== null && linked.size !== undefined && contentLength !== linked.size) {
    throw new HubError(`${label}: Content-Length ${contentLength} differs from the size the Hub gives (X-Linked-Size ${linked.size})`);
  }
  const hash = createHash("sha256");
  const fd = openSync(tmp, "w");
  let bytes = 0;
  try {
    for await (const chunk of body.chunks()) {
      bytes += chunk.length;
      if (bytes > cap) throw new HubError(`${label}: larger than the ${cap}-byte cap; stopped reading after ${bytes} bytes`);
      writeAll(fd, chunk);
      hash.update(chunk);
    }
  } finally {
    closeSync(fd);
  }
  if (contentLength !== null && bytes !== contentLength) throw new HubError(`${label}: download truncated: ${bytes} of ${contentLength} bytes`);
  if (linked.size !== undefined && bytes !== linked.size) throw new HubError(`${label}: ${bytes} bytes, but the Hub gives its size as ${linked.size} (X-Linked-Size)`);
  const sha = hash.digest("hex");
  if (linked.sha256 !== undefined && sha !== linked.sha256) {
    throw new HubError(`${label}: sha256 ${sha} differs from the Hub's X-Linked-Etag ${linked.sha256}: corrupt or substituted download`);
  }
  return bytes;
}

/** Decode every row group: a file that passes is one the loader can read. */
async function checkParquet(path: string, label: string): Promise<void> {
  const { readParquetRows } = await import("../io/parquet-read.js"); // loaded on first use (see io/sources.ts)
  try {
    for await (const _ of readParquetRows(path)) {
      // decoding is the check
    }
  } catch (e) {
    throw new HubError(`${label}: downloaded file is not readable Parquet (${(e as Error).message}); not cached`);
  }
}

/** Download one URL to `dest` atomically (temp file + rename) after every check; returns its bytes. */
export async function downloadFile(url: string, dest: string, o: HubOptions = {}): Promise<number> {
  const t = targetOf(o);
  const tmp = `${dest}.tmp-${process.pid}-${++tempCounter}`;
  try {
    let label = redactUrl(url);
    const bytes = await hubGet(url, t, (body) => {
      label = body.label;
      return writeChecked(body, tmp, t.limits.maxFileBytes);
    });
    await checkParquet(tmp, label);
    renameSync(tmp, dest);
    return bytes;
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
}

interface Manifest {
  dataset: string;
  config: string;
  split: string;
  files: string[];
  /** bytes of each file (absent in manifests written before sizes were recorded) */
  sizes?: number[];
  urls: string[];
}

/** Cached paths when the manifest and every file it names (of the recorded size) are there. */
function cachedFiles(dir: string): string[] | null {
  const manifestPath = join(dir, "files.json");
  if (!existsSync(manifestPath)) return null;
  try {
    const m = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
    if (!Array.isArray(m.files) || m.files.length === 0 || !m.files.every((f) => typeof f === "string" && /^\d{1,6}\.parquet$/.test(f))) return null;
    const paths = m.files.map((f) => join(dir, f));
    const sizeOk = (p: string, i: number) => existsSync(p) && (m.sizes?.[i] === undefined || statSync(p).size === m.sizes[i]);
    return paths.every(sizeOk) ? paths : null;
  } catch {
    return null; // unreadable manifest: download again
  }
}

/**
 * Local paths of the split's Parquet files, downloading them into the cache when missing.
 */
export async function ensureParquetFiles(dataset: string, config: string, split: string, o: HubOptions = {}): Promise<string[]> {
  const dir = cacheFolder(dataset, config, split, o);
  const cached = cachedFiles(dir);
  if (cached) return cached;
  const urls = await listParquetFiles(dataset, config, split, o);
  mkdirs(dir);
  const files: string[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < urls.length; i++) {
    const name = `${i}.parquet`;
    sizes.push(await downloadFile(urls[i]!, join(dir, name), o));
    files.push(name);
  }
  const manifest: Manifest = { dataset, config, split, files, sizes, urls: urls.map((u) => redactUrl(u)) };
  const manifestPath = join(dir, "files.json");
  const tmp = `${manifestPath}.tmp-${process.pid}-${++tempCounter}`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + "\n");
  renameSync(tmp, manifestPath);
  return files.map((f) => join(dir, f));
}
