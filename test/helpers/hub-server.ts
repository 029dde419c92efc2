/**
 * A real HTTP server on 127.0.0.1 standing in for the Hugging Face Hub in tests: it serves
 * `/api/datasets/{id}/parquet/{config}/{split}` (JSON list of file URLs) and the files themselves,
 * records every request (path and Authorization header), and can misbehave on purpose per path
 * (`on`): an HTTP status (for the first n requests or always, with headers such as Retry-After), a
 * truncated body, a reset connection, a redirect, silence, a stall, a drip of one byte at a time, or a flood
 * of bytes (with the count actually written, to show that the client stopped reading).
 *
 * `addSplit(…, { cdn })` lays a split out as the real Hub does: the list names
 * /api/datasets/{id}/parquet/{config}/{split}/{i}.parquet on this server, which redirects (same
 * origin) to /datasets/{id}/resolve/refs/convert/parquet/…, which redirects with X-Linked-Size and
 * X-Linked-Etag (the sha256) to the file on another server, the "CDN".
 *
 * `addRepo` lays out a dataset repository for remote sources: `/api/datasets/{id}/revision/{rev}`
 * (the commit a branch points to), `/api/datasets/{id}/tree/{sha}/{path}[?recursive=true]` (the file
 * listing, LFS entries with their sha256) and `/datasets/{id}/resolve/{sha}/{path}`, which serves the
 * file with HTTP Range (206, Content-Range, ETag = the sha256) — or, with `cdn`, redirects there as
 * the Hub does for LFS files. Every blob served honours `Range: bytes=a-b`; `ranges` and `bytesOut`
 * record what was asked and sent.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubRequest {
  path: string;
  authorization: string | undefined;
  /** the Range header, when sent */
  range: string | undefined;
}

/** A dataset repository's files at one commit, for `addRepo`. */
export interface RepoLayout {
  /** the commit sha (40 hex) `main` points to */
  sha: string;
  /** path in the repository → content */
  files: Record<string, Uint8Array>;
  /** serve the resolve URLs by redirecting to this server (the "CDN"), with X-Linked-Etag */
  cdn?: FakeHub;
}

export type Misbehaviour =
  /** answer with this status (and headers); `times`: only the first n requests, then serve normally */
  | { status: number; headers?: Record<string, string>; times?: number }
  /** promise the full Content-Length, send half, cut the connection */
  | { truncate: true; times?: number }
  /** destroy the connection before answering */
  | { reset: true; times?: number }
  /** redirect (302 unless `status`) to `to`, with extra headers */
  | { redirect: string; status?: number; headers?: Record<string, string> }
  /** send headers and `bytes` (default 1) bytes, then nothing, keeping the connection open */
  | { stall: true; bytes?: number }
  /** never answer (the connection stays open) */
  | { silent: true }
  /** send headers, then one byte every `everyMs` until the client goes away */
  | { drip: number }
  /** send `bytes` bytes of "a" (Content-Length only when `contentLength`), honouring backpressure */
  | { flood: number; contentLength?: boolean }
  /** serve this body with these headers */
  | { body: Uint8Array | string; headers?: Record<string, string> };

export interface FakeHub {
  endpoint: string;
  requests: HubRequest[];
  /** bytes written per path by stall, drip and flood answers */
  sent: Map<string, number>;
  /** add a split: its files are served at /files/{dataset}/{config}/{split}/{i}.parquet, or Hub-style through `cdn` */
  addSplit(dataset: string, config: string, split: string, files: Uint8Array[], opts?: { cdn?: FakeHub }): void;
  /** serve `blob` at `path` */
  serve(path: string, blob: Uint8Array, headers?: Record<string, string>): void;
  /** make a path fail: a status code, or "truncate"; null serves it normally again */
  fail(path: string, how: number | "truncate" | null): void;
  /** make a path misbehave; null serves it normally again */
  on(path: string, how: Misbehaviour | null): void;
  /** lay out a dataset repository (see RepoLayout); calling it again moves `main` to the new commit */
  addRepo(dataset: string, layout: RepoLayout): void;
  /** bytes of blob bodies sent per path */
  bytesOut: Map<string, number>;
  /** requests seen for one path */
  count(path: string): number;
  close(): Promise<void>;
}

interface Blob {
  data: Uint8Array;
  headers: Record<string, string>;
}

export async function startFakeHub(): Promise<FakeHub> {
  const blobs = new Map<string, Blob>();
  const lists = new Map<string, string[]>();
  const behaviours = new Map<string, Misbehaviour>();
  const seen = new Map<string, number>();
  const requests: HubRequest[] = [];
  const sent = new Map<string, number>();
  const bytesOut = new Map<string, number>();
  const repos = new Map<string, RepoLayout>();
  const timers = new Set<NodeJS.Timeout>();
  let endpoint = "";

  const addSent = (path: string, n: number) => sent.set(path, (sent.get(path) ?? 0) + n);

  function serveBlob(path: string, blob: Blob, range: string | undefined, res: ServerResponse): void {
    const size = blob.data.length;
    const m = range === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(range);
    if (range !== undefined && m) {
      const first = Number(m[1]);
      const last = Math.min(size - 1, m[2] === "" ? size - 1 : Number(m[2]));
      if (first >= size || last < first) {
        res.writeHead(416, { "content-range": `bytes */${size}` });
        res.end();
        return;
      }
      const part = blob.data.subarray(first, last + 1);
      bytesOut.set(path, (bytesOut.get(path) ?? 0) + part.length);
      res.writeHead(206, { "content-type": "application/octet-stream", "content-length": String(part.length), "content-range": `bytes ${first}-${last}/${size}`, ...blob.headers });
      res.end(Buffer.from(part));
      return;
    }
    bytesOut.set(path, (bytesOut.get(path) ?? 0) + size);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size), ...blob.headers });
    res.end(Buffer.from(blob.data));
  }

  /** the repository API answers (revision, tree), or false */
  function serveRepoApi(path: string, query: string, res: ServerResponse): boolean {
    const rev = /^\/api\/datasets\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (rev && repos.has(rev[1]!)) {
      const r = repos.get(rev[1]!)!;
      if (rev[2] !== "main" && rev[2] !== r.sha) return false;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: rev[1], sha: r.sha }));
      return true;
    }
    const tree = /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([0-9a-f]{40})(?:\/(.*))?$/.exec(path);
    if (!tree || !repos.has(tree[1]!)) return false;
    const r = repos.get(tree[1]!)!;
    if (tree[2] !== r.sha) return false;
    const dir = (tree[3] ?? "").replace(/\/+$/, "");
    const recursive = /(?:^|&)recursive=(?:true|1)(?:&|$)/.test(query);
    const under = Object.keys(r.files).filter((f) => dir === "" || f.startsWith(dir + "/"));
    if (dir !== "" && under.length === 0) return false;
    const entries = new Map<string, unknown>();
    for (const f of under) {
      const rest = dir === "" ? f : f.slice(dir.length + 1);
      const parts = rest.split("/");
      if (parts.length > 1 && !recursive) {
        const d = dir === "" ? parts[0]! : `${dir}/${parts[0]}`;
        entries.set(d, { type: "directory", path: d, oid: "d".repeat(40), size: 0 });
        continue;
      }
      if (recursive) for (let i = 1; i < parts.length; i++) {
        const d = [dir, ...parts.slice(0, i)].filter((x) => x !== "").join("/");
        entries.set(d, { type: "directory", path: d, oid: "d".repeat(40), size: 0 });
      }
      const data = r.files[f]!;
      const sha = createHash("sha256").update(data).digest("hex");
      entries.set(f, { type: "file", path: f, oid: createHash("sha1").update(data).digest("hex"), size: data.length, lfs: { oid: sha, size: data.length, pointerSize: 134 } });
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify([...entries.values()]));
    return true;
  }

  function serveNormally(path: string, res: ServerResponse, range?: string, query = ""): void {
    if (serveRepoApi(path, query, res)) return;
    const list = lists.get(path);
    if (list) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(list));
      return;
    }
    const blob = blobs.get(path);
    if (blob) {
      serveBlob(path, blob, range, res);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  }

  function flood(path: string, res: ServerResponse, total: number, contentLength: boolean): void {
    res.writeHead(200, { "content-type": "application/octet-stream", ...(contentLength ? { "content-length": String(total) } : {}) });
    const chunk = Buffer.alloc(64 * 1024, "a");
    let written = 0;
    let gone = false;
    res.on("close", () => (gone = true));
    const pump = (): void => {
      while (!gone && written < total) {
        const n = Math.min(chunk.length, total - written);
        written += n;
        addSent(path, n);
        if (!res.write(chunk.subarray(0, n))) {
          res.once("drain", pump);
          return;
        }
      }
      if (!gone) res.end();
    };
    pump();
  }

  function drip(path: string, res: ServerResponse, everyMs: number): void {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const timer = setInterval(() => {
      addSent(path, 1);
      res.write("a");
    }, everyMs);
    timers.add(timer);
    res.on("close", () => {
      clearInterval(timer);
      timers.delete(timer);
    });
  }

  /** true when the misbehaviour answered the request */
  function misbehave(path: string, how: Misbehaviour, n: number, res: ServerResponse): boolean {
    if ("times" in how && how.times !== undefined && n > how.times) return false;
    if ("status" in how && !("redirect" in how)) {
      res.writeHead(how.status, { "content-type": "text/plain", ...how.headers });
      res.end(`failure ${how.status}`);
    } else if ("truncate" in how) {
      const blob = blobs.get(path);
      if (!blob) return false;
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(blob.data.length) });
      res.write(Buffer.from(blob.data.subarray(0, Math.floor(blob.data.length / 2))), () => res.socket?.destroy());
    } else if ("reset" in how) {
      res.socket?.destroy();
    } else if ("redirect" in how) {
      res.writeHead(how.status ?? 302, { location: how.redirect, ...how.headers });
      res.end();
    } else if ("stall" in how) {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write("a".repeat(how.bytes ?? 1));
      addSent(path, how.bytes ?? 1);
    } else if ("silent" in how) {
      // say nothing
    } else if ("drip" in how) {
      drip(path, res, how.drip);
    } else if ("flood" in how) {
      flood(path, res, how.flood, how.contentLength === true);
    } else {
      const data = typeof how.body === "string" ? Buffer.from(how.body) : Buffer.from(how.body);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(data.length), ...how.headers });
      res.end(data);
    }
    return true;
  }

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const [rawPath, query = ""] = (req.url ?? "/").split("?") as [string, string?];
    const path = decodeURIComponent(rawPath);
    const range = req.headers.range;
    requests.push({ path, authorization: req.headers.authorization, range });
    const n = (seen.get(path) ?? 0) + 1;
    seen.set(path, n);
    const how = behaviours.get(path);
    if (how && misbehave(path, how, n, res)) return;
    serveNormally(path, res, range, query);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  endpoint = `http://127.0.0.1:${port}`;

  const hub: FakeHub = {
    endpoint,
    requests,
    sent,
    bytesOut,
    addRepo(dataset, layout) {
      repos.set(dataset, layout);
      for (const [f, data] of Object.entries(layout.files)) {
        const sha = createHash("sha256").update(data).digest("hex");
        const resolve = `/datasets/${dataset}/resolve/${layout.sha}/${f}`;
        if (!layout.cdn) {
          blobs.set(resolve, { data, headers: { etag: `"${sha}"`, "accept-ranges": "bytes" } });
          continue;
        }
        const cdnPath = `/repos/${sha.slice(0, 2)}/${sha}`;
        layout.cdn.serve(cdnPath, data, { etag: `"cdn-${sha.slice(0, 8)}"`, "accept-ranges": "bytes" });
        hub.on(resolve, { redirect: `${layout.cdn.endpoint}${cdnPath}?Expires=1&Signature=sig`, headers: { "x-linked-size": String(data.length), "x-linked-etag": `"${sha}"`, etag: `"blob-${sha.slice(0, 8)}"` } });
      }
    },
    addSplit(dataset, config, split, files, opts = {}) {
      const urls: string[] = [];
      files.forEach((b, i) => {
        const p = `/files/${dataset}/${config}/${split}/${i}.parquet`;
        if (!opts.cdn) {
          blobs.set(p, { data: b, headers: {} });
          urls.push(`${endpoint}${p}`);
          return;
        }
        const sha = createHash("sha256").update(b).digest("hex");
        const api = `/api/datasets/${dataset}/parquet/${config}/${split}/${i}.parquet`;
        const resolve = `/datasets/${dataset}/resolve/refs%2Fconvert%2Fparquet/${config}/${split}/${String(i).padStart(4, "0")}.parquet`;
        const cdnPath = `/repos/${sha.slice(0, 2)}/${sha}`;
        opts.cdn.serve(cdnPath, b);
        hub.on(api, { redirect: resolve });
        hub.on(decodeURIComponent(resolve), {
          redirect: `${opts.cdn.endpoint}${cdnPath}?Expires=1&Signature=cdn-signature-${i}`,
          headers: { "x-linked-size": String(b.length), "x-linked-etag": `"${sha}"`, etag: `"git-blob-${i}"` },
        });
        urls.push(`${endpoint}${api}`);
      });
      lists.set(`/api/datasets/${dataset}/parquet/${config}/${split}`, urls);
    },
    serve(path, blob, headers = {}) {
      blobs.set(path, { data: blob, headers });
    },
    fail(path, how) {
      hub.on(path, how === null ? null : how === "truncate" ? { truncate: true } : { status: how });
    },
    on(path, how) {
      seen.delete(path);
      if (how === null) behaviours.delete(path);
      else behaviours.set(path, how);
    },
    count(path) {
      return requests.filter((r) => r.path === path).length;
    },
    close() {
      for (const t of timers) clearInterval(t);
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  return hub;
}
