/**
 * Minimal Hugging Face Hub client for benchmark Parquet files.
 *
 * - Endpoint: `HF_ENDPOINT` (default https://huggingface.co); token: `HF_TOKEN`, sent as
 *   `Authorization: Bearer …` (fetch drops it on cross-origin redirects, e.g. to a CDN).
 * - File list: GET {endpoint}/api/datasets/{id}/parquet/{config}/{split} → JSON array of URLs
 *   (the Hub's auto-converted Parquet files).
 * - Cache: {XDG_CACHE_HOME or ~/.cache}/curate/benchmarks/{owner}__{name}/{config}/{split}/ holding
 *   0.parquet, 1.parquet, … and files.json (the manifest, written last). A split whose manifest and
 *   files exist is served from the cache without any request. Every file is downloaded to a temp
 *   name, checked (Content-Length when sent, Parquet magic at both ends) and renamed into place, so
 *   an interrupted download never leaves a half-written cache file.
 */
import { mkdirSync, existsSync, readFileSync, renameSync, unlinkSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface HubOptions {
  /** default: process.env.HF_ENDPOINT or https://huggingface.co */
  endpoint?: string;
  /** default: process.env.HF_TOKEN */
  token?: string;
  /** default: defaultCacheDir() */
  cacheDir?: string;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "curate", "benchmarks");
}

export class HubError extends Error {
  override name = "HubError";
}

function endpointOf(o: HubOptions): string {
  return (o.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
}

function headers(o: HubOptions): Record<string, string> {
  const token = o.token ?? process.env.HF_TOKEN;
  const h: Record<string, string> = { "user-agent": "curate-decontaminate" };
  if (token) h.authorization = `Bearer ${token}`;
  return h;
}

export function cacheFolder(dataset: string, config: string, split: string, o: HubOptions = {}): string {
  return join(o.cacheDir ?? defaultCacheDir(), dataset.replace(/\//g, "__"), config, split);
}

function httpHint(status: number): string {
  if (status === 401 || status === 403) return " (gated or private dataset: set HF_TOKEN)";
  if (status === 404) return " (no such dataset, config or split)";
  return "";
}

/** URLs of the Parquet files of one split. */
export async function listParquetFiles(dataset: string, config: string, split: string, o: HubOptions = {}): Promise<string[]> {
  const url = `${endpointOf(o)}/api/datasets/${dataset}/parquet/${encodeURIComponent(config)}/${encodeURIComponent(split)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: headers(o) });
  } catch (e) {
    throw new HubError(`${url}: request failed: ${(e as Error).message}`);
  }
  if (!res.ok) throw new HubError(`${url}: HTTP ${res.status}${httpHint(res.status)}`);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new HubError(`${url}: expected a JSON array of Parquet file URLs, got unparsable text`);
  }
  if (!Array.isArray(body) || body.length === 0 || !body.every((u) => typeof u === "string")) {
    throw new HubError(`${url}: expected a non-empty JSON array of Parquet file URLs`);
  }
  return body.map((u: string) => new URL(u, endpointOf(o) + "/").toString());
}

let tempCounter = 0;

/** Download one URL to `dest` atomically (temp file + rename); returns bytes written. */
export async function downloadFile(url: string, dest: string, o: HubOptions = {}): Promise<number> {
  const tmp = `${dest}.tmp-${process.pid}-${++tempCounter}`;
  let fd: number | null = null;
  try {
    let res: Response;
    try {
      res = await fetch(url, { headers: headers(o) });
    } catch (e) {
      throw new HubError(`${url}: request failed: ${(e as Error).message}`);
    }
    if (!res.ok || !res.body) throw new HubError(`${url}: HTTP ${res.status}${httpHint(res.status)}`);
    const expected = Number(res.headers.get("content-length") ?? NaN);
    fd = openSync(tmp, "w");
    let bytes = 0;
    let head: Uint8Array | null = null;
    const tail = new Uint8Array(4);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (!head) head = chunk.slice(0, 4);
        // keep the last four bytes seen
        if (chunk.length >= 4) tail.set(chunk.subarray(chunk.length - 4));
        else {
          tail.copyWithin(0, chunk.length);
          tail.set(chunk, 4 - chunk.length);
        }
        writeSync(fd, chunk);
        bytes += chunk.length;
      }
    } catch (e) {
      throw new HubError(`${url}: download interrupted after ${bytes} bytes: ${(e as Error).message}`);
    }
    if (Number.isFinite(expected) && bytes !== expected) {
      throw new HubError(`${url}: download truncated: ${bytes} of ${expected} bytes`);
    }
    const magic = (b: Uint8Array | null) => b !== null && b.length >= 4 && b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31;
    if (!magic(head) || !magic(tail)) throw new HubError(`${url}: not a Parquet file (missing PAR1 magic at start or end; ${bytes} bytes)`);
    closeSync(fd);
    fd = null;
    renameSync(tmp, dest);
    return bytes;
  } finally {
    if (fd !== null) closeSync(fd);
    if (existsSync(tmp)) unlinkSync(tmp);
  }
}

interface Manifest {
  dataset: string;
  config: string;
  split: string;
  files: string[];
  urls: string[];
}

/**
 * Local paths of the split's Parquet files, downloading them into the cache when missing.
 */
export async function ensureParquetFiles(dataset: string, config: string, split: string, o: HubOptions = {}): Promise<string[]> {
  const dir = cacheFolder(dataset, config, split, o);
  const manifestPath = join(dir, "files.json");
  if (existsSync(manifestPath)) {
    try {
      const m = JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest;
      const paths = m.files.map((f) => join(dir, f));
      if (paths.length > 0 && paths.every((p) => existsSync(p))) return paths;
    } catch {
      // unreadable manifest: download again
    }
  }
  const urls = await listParquetFiles(dataset, config, split, o);
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < urls.length; i++) {
    const name = `${i}.parquet`;
    await downloadFile(urls[i]!, join(dir, name), o);
    files.push(name);
  }
  const manifest: Manifest = { dataset, config, split, files, urls };
  const tmp = `${manifestPath}.tmp-${process.pid}-${++tempCounter}`;
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + "\n");
  renameSync(tmp, manifestPath);
  return files.map((f) => join(dir, f));
}
