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
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubRequest {
  path: string;
  authorization: string | undefined;
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
  const timers = new Set<NodeJS.Timeout>();
  let endpoint = "";

  const addSent = (path: string, n: number) => sent.set(path, (sent.get(path) ?? 0) + n);

  function serveNormally(path: string, res: ServerResponse): void {
    const list = lists.get(path);
    if (list) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(list));
      return;
    }
    const blob = blobs.get(path);
    if (blob) {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(blob.data.length), ...blob.headers });
      res.end(Buffer.from(blob.data));
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
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    requests.push({ path, authorization: req.headers.authorization });
    const n = (seen.get(path) ?? 0) + 1;
    seen.set(path, n);
    const how = behaviours.get(path);
    if (how && misbehave(path, how, n, res)) return;
    serveNormally(path, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  endpoint = `http://127.0.0.1:${port}`;

  const hub: FakeHub = {
    endpoint,
    requests,
    sent,
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
