/**
 * A remote file (on the Hub, or any https server) read by HTTP Range requests through the bounded
 * client of http.ts (token origin rule, timeouts, retries with backoff on 429/5xx and resets).
 *
 * - Every response is checked against what the listing said: a range answers 206 with
 *   `Content-Range: bytes a-b/size` for exactly the bytes asked, the file's size is the listed one,
 *   and its identity is the listed one — the Hub's X-Linked-Etag (an LFS file's sha256) when the
 *   endpoint sent it, else the ETag. A difference is a RemoteChangedError naming the file: the file
 *   changed on the server, and rows read before would not match rows read after.
 * - `prefetch` (a Parquet row group's column chunks) fetches ranges ahead, in pieces of at most
 *   RANGE_BYTES with `concurrency` requests in flight, when together they fit in `prefetchBytes`;
 *   reads inside them cost no request. Larger groups are read in windows as asked (readAhead).
 * - `stream` reads consecutive ranges of RANGE_BYTES, one request ahead: a reset connection costs
 *   the retry of one piece, never the file from its start.
 */
import { Readable } from "node:stream";
import pLimit from "p-limit";
import { HubError, Retryable, hubGet, hubTarget, redactUrl, type HubBody, type HubSettings, type HubTarget } from "./http.js";
import { LocalBytes, type ByteSource } from "./byte-source.js";

/** What the listing said about a remote file; the reader holds the server to it. */
export interface RemoteFile {
  /** the URL read (Hub files: the resolve URL at the resolved commit) */
  url: string;
  size: number;
  /** the file's identity: the sha256 of an LFS file, a git blob id, or the server's ETag; null when it gave none */
  etag: string | null;
  /** Hub files: the commit the revision resolved to */
  revision?: string;
}

/** The file on the server is not the one listed or annotated (size or identity changed). */
export class RemoteChangedError extends Error {
  override name = "RemoteChangedError";
  constructor(
    file: string,
    /** what changed, without the file's name */
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/**
 * A failure of the transport or a changed file, not of the file's content: readers pass it on
 * unwrapped, so the run stops on it instead of quarantining the file as unreadable.
 */
export function isRemoteFailure(e: unknown): boolean {
  return e instanceof HubError || e instanceof RemoteChangedError;
}

/** One range request's bytes at most (a prefetch is cut into pieces of this size). */
export const RANGE_BYTES = 8 * 1024 * 1024;
/** Pieces a stream hands on (the readers' usual chunk). */
const PIECE = 1 << 20;
/** Ranges closer than this are fetched as one (fewer requests for a few wasted bytes). */
const MERGE_GAP = 64 * 1024;

/** An ETag without W/ and quotes (as huggingface_hub compares them). */
export function normalizeEtag(v: string | null): string | null {
  if (v === null) return null;
  const t = v.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
  return t === "" ? null : t;
}

/** The identity a response states: the Hub's X-Linked-Etag (sha256) when its endpoint sent one, else the ETag. */
export function servedEtag(body: HubBody): string | null {
  return body.linked.sha256 ?? normalizeEtag(body.headers.get("etag"));
}

/** `bytes a-b/total` → its numbers (total null for `*`), or null when unreadable. */
function contentRange(v: string | null): { first: number; last: number; total: number | null } | null {
  const m = v === null ? null : /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(v.trim());
  if (!m) return null;
  return { first: Number(m[1]), last: Number(m[2]), total: m[3] === "*" ? null : Number(m[3]) };
}

interface Segment {
  start: number;
  bytes: Uint8Array;
}

export interface RemoteOptions {
  /** count every range request and its bytes (tests, progress) */
  onRequest?: (pos: number, len: number) => void;
}

export class RemoteBytes implements ByteSource {
  readonly readAhead = RANGE_BYTES;
  readonly name: string;
  readonly size: number;
  private segments: Segment[] = [];
  private readonly limit: ReturnType<typeof pLimit>;
  private closed = false;

  constructor(
    readonly file: RemoteFile,
    private readonly target: HubTarget,
    name?: string,
    private readonly opts: RemoteOptions = {},
  ) {
    this.name = name ?? redactUrl(file.url);
    this.size = file.size;
    this.limit = pLimit(target.limits.concurrency);
  }

  /** Check a response against the listing: status, range, size, identity. */
  private check(body: HubBody, pos: number, len: number): void {
    const got = servedEtag(body);
    if (this.file.etag !== null && got !== this.file.etag) {
      throw new RemoteChangedError(this.name, `the file on the server changed: its etag was ${this.file.etag}, the server now says ${got ?? "none"}`);
    }
    if (body.status === 200) {
      if (pos === 0 && len === this.size && (body.contentLength === null || body.contentLength === len)) return;
      throw new HubError(`${body.label}: the server ignored the Range header (HTTP 200 for bytes ${pos}–${pos + len - 1}); remote files are read in ranges, so the server must support them`);
    }
    if (body.status !== 206) throw new HubError(`${body.label}: HTTP ${body.status} for a range request, expected 206`);
    const r = contentRange(body.headers.get("content-range"));
    if (r === null) throw new HubError(`${body.label}: a 206 answer without a readable Content-Range (${JSON.stringify(body.headers.get("content-range"))})`);
    if (r.total !== null && r.total !== this.size) {
      throw new RemoteChangedError(this.name, `the file on the server changed: it was ${this.size.toLocaleString("en-US")} bytes, the server now says ${r.total.toLocaleString("en-US")}`);
    }
    if (r.first !== pos || r.last !== pos + len - 1) throw new HubError(`${body.label}: asked for bytes ${pos}–${pos + len - 1}, the server sent ${r.first}–${r.last}`);
  }

  /** Fetch [pos, pos + out.length) into `out`, retried as a whole on a reset or a body cut short. */
  private fetchInto(out: Uint8Array, pos: number): Promise<void> {
    const len = out.length;
    this.opts.onRequest?.(pos, len);
    return hubGet(
      this.file.url,
      this.target,
      async (body) => {
        this.check(body, pos, len);
        let got = 0;
        for await (const chunk of body.chunks()) {
          if (got + chunk.length > len) throw new HubError(`${body.label}: sent more than the ${len} bytes asked for (bytes ${pos}–${pos + len - 1})`);
          out.set(chunk, got);
          got += chunk.length;
        }
        if (got < len) throw new Retryable(`${body.label}: range cut short after ${got} of ${len} bytes`);
      },
      { headers: { range: `bytes=${pos}-${pos + len - 1}` }, notFound: "no such file: deleted or renamed on the server?" },
    );
  }

  private async fetch(pos: number, len: number): Promise<Uint8Array> {
    if (this.closed) throw new Error(`${this.name}: read after close`);
    if (pos < 0 || len < 0 || pos + len > this.size) throw new Error(`${this.name}: bytes ${pos}–${pos + len} are past the file's end at byte ${this.size.toLocaleString("en-US")}`);
    const out = new Uint8Array(len);
    if (len === 0) return out;
    // a read bigger than one range request is fetched in pieces, some at a time
    const pieces: Promise<void>[] = [];
    for (let at = 0; at < len; at += RANGE_BYTES) {
      const piece = out.subarray(at, Math.min(len, at + RANGE_BYTES));
      pieces.push(this.limit(() => this.fetchInto(piece, pos + at)));
    }
    await Promise.all(pieces);
    return out;
  }

  private held(pos: number, len: number): Uint8Array | null {
    for (const s of this.segments) {
      if (pos >= s.start && pos + len <= s.start + s.bytes.length) return s.bytes.subarray(pos - s.start, pos - s.start + len);
    }
    return null;
  }

  read(pos: number, len: number): Promise<Uint8Array> {
    const h = this.held(pos, len);
    return h ? Promise.resolve(h) : this.fetch(pos, len);
  }

  async prefetch(ranges: readonly (readonly [number, number])[]): Promise<void> {
    this.segments = []; // the ranges given before are done with
    const sorted = ranges.filter(([a, b]) => b > a).map(([a, b]) => [a, b] as [number, number]).sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const [a, b] of sorted) {
      const last = merged.at(-1);
      if (last && a <= last[1] + MERGE_GAP) last[1] = Math.max(last[1], b);
      else merged.push([a, b]);
    }
    const total = merged.reduce((n, [a, b]) => n + (b - a), 0);
    if (total === 0 || total > this.target.limits.prefetchBytes) return; // too big to hold: read in windows
    this.segments = await Promise.all(merged.map(async ([a, b]) => ({ start: a, bytes: await this.fetch(a, b - a) })));
  }

  stream(start = 0, end = this.size): Readable {
    return Readable.from(this.pieces(start, end), { objectMode: false });
  }

  private async *pieces(start: number, end: number): AsyncGenerator<Buffer> {
    let pos = start;
    const next = (): Promise<Uint8Array> | null => {
      if (pos >= end) return null;
      const len = Math.min(RANGE_BYTES, end - pos);
      const p = this.read(pos, len);
      pos += len;
      p.catch(() => undefined); // awaited below; a stream given up early must not leave it unhandled
      return p;
    };
    let ahead = next();
    while (ahead) {
      const bytes = await ahead;
      ahead = next();
      for (let i = 0; i < bytes.length; i += PIECE) yield Buffer.from(bytes.buffer, bytes.byteOffset + i, Math.min(PIECE, bytes.length - i));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.segments = [];
  }
}

/** The bytes of an input file: a local file, or a remote one read by range and held to its listing. */
export function openBytes(f: { path: string; rel: string; remote?: RemoteFile }, settings: HubSettings = {}): ByteSource {
  return f.remote ? new RemoteBytes(f.remote, hubTarget(settings), f.rel) : LocalBytes.open(f.path);
}
