/**
 * A real HTTP server on 127.0.0.1 standing in for the Hugging Face Hub in tests: it serves
 * `/api/datasets/{id}/parquet/{config}/{split}` (JSON list of file URLs) and the files themselves,
 * records every request (path and Authorization header), and can fail on purpose per path:
 * an HTTP status, or a truncated body (Content-Length promised, connection cut half-way).
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubRequest {
  path: string;
  authorization: string | undefined;
}

export interface FakeHub {
  endpoint: string;
  requests: HubRequest[];
  /** add a split: its files are served at /files/{dataset}/{config}/{split}/{i}.parquet */
  addSplit(dataset: string, config: string, split: string, files: Uint8Array[]): void;
  /** make a path fail: a status code, or "truncate"; null serves it normally again */
  fail(path: string, how: number | "truncate" | null): void;
  close(): Promise<void>;
}

export async function startFakeHub(): Promise<FakeHub> {
  const blobs = new Map<string, Uint8Array>();
  const lists = new Map<string, string[]>();
  const failures = new Map<string, number | "truncate">();
  const requests: HubRequest[] = [];
  let endpoint = "";

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!);
    requests.push({ path, authorization: req.headers.authorization });
    const f = failures.get(path);
    if (typeof f === "number") {
      res.writeHead(f, { "content-type": "text/plain" });
      res.end(`failure ${f}`);
      return;
    }
    const list = lists.get(path);
    if (list) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(list));
      return;
    }
    const blob = blobs.get(path);
    if (blob) {
      if (f === "truncate") {
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(blob.length) });
        res.write(Buffer.from(blob.subarray(0, Math.floor(blob.length / 2))), () => {
          res.socket?.destroy();
        });
        return;
      }
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(blob.length) });
      res.end(Buffer.from(blob));
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    requests,
    addSplit(dataset, config, split, files) {
      const urls: string[] = [];
      files.forEach((b, i) => {
        const p = `/files/${dataset}/${config}/${split}/${i}.parquet`;
        blobs.set(p, b);
        urls.push(`${endpoint}${p}`);
      });
      lists.set(`/api/datasets/${dataset}/parquet/${config}/${split}`, urls);
    },
    fail(path, how) {
      if (how === null) failures.delete(path);
      else failures.set(path, how);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
