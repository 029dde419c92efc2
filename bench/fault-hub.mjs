/**
 * Hostile Hub servers on 127.0.0.1 for bench/faults.mjs: a tree listing that never ends, a file that
 * claims 2 GB and ignores Range, and a resolve URL that redirects to another origin (another port).
 * Each records the Authorization header of every request and the bytes it wrote, so the bench can
 * say whether the token left the endpoint's origin and whether the client stopped reading.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";

export const SHA = "0123456789abcdef0123456789abcdef01234567";
export const REPO = "org/hostile";

/** An HTTP server on 127.0.0.1 answering with `handle(req, res, server)`; requests and bytes out are recorded. */
export async function startServer(handle) {
  const s = { requests: [], bytesOut: 0, endpoint: "" };
  const server = createServer((req, res) => {
    s.requests.push({ path: req.url, authorization: req.headers.authorization });
    handle(req, res, s);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  s.endpoint = `http://127.0.0.1:${server.address().port}`;
  s.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return s;
}

/** Write `total` bytes made of `unit`, honouring backpressure, until done or the client goes away. */
function flood(res, s, unit, total) {
  const chunk = Buffer.from(unit.repeat(Math.ceil(65536 / unit.length)));
  let left = total;
  const pump = () => {
    while (left > 0) {
      const piece = chunk.subarray(0, Math.min(left, chunk.length));
      left -= piece.length;
      s.bytesOut += piece.length;
      if (!res.write(piece)) return void res.once("drain", pump);
    }
    res.end();
  };
  res.on("close", () => (left = 0));
  pump();
}

/** Serve `file` as a blob with Range support and ETag = its sha256 (what the Hub does for LFS files). */
function serveBlob(req, res, s, file) {
  const etag = createHash("sha256").update(file).digest("hex");
  const m = /^bytes=(\d+)-(\d+)?$/.exec(req.headers.range ?? "");
  if (!m) {
    res.writeHead(200, { "content-length": file.length, etag: `"${etag}"`, "accept-ranges": "bytes" });
    s.bytesOut += file.length;
    return void res.end(file);
  }
  const a = Number(m[1]);
  const b = Math.min(m[2] === undefined ? file.length - 1 : Number(m[2]), file.length - 1);
  const part = file.subarray(a, b + 1);
  res.writeHead(206, { "content-length": part.length, "content-range": `bytes ${a}-${b}/${file.length}`, etag: `"${etag}"`, "accept-ranges": "bytes" });
  s.bytesOut += part.length;
  res.end(part);
}

const treePath = `/api/datasets/${REPO}/tree/${SHA}/data?recursive=true`;
const resolvePath = (name) => `/datasets/${REPO}/resolve/${SHA}/data/${name}`;
const entry = (name, size, oid) => ({ type: "file", path: `data/${name}`, oid: "1".repeat(40), size, lfs: { oid, size } });

/** The listing is `bytes` of one endless JSON array (the client must stop at its cap). */
export function hugeListing(bytes) {
  return (req, res, s) => {
    if (req.url !== treePath) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": "application/json" });
    res.write("[");
    flood(res, s, '{"type":"file","path":"data/x.parquet","oid":"0000000000000000000000000000000000000000","size":1},', bytes);
  };
}

/** The listing names one file of `bytes`; the server ignores Range and sends all of it with 200. */
export function hugeFile(bytes) {
  const oid = "a".repeat(64);
  return (req, res, s) => {
    if (req.url === treePath) return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([entry("big.parquet", bytes, oid)]));
    if (req.url !== resolvePath("big.parquet")) return void res.writeHead(404).end();
    res.writeHead(200, { "content-length": bytes, etag: `"${oid}"` });
    flood(res, s, "PAR1", bytes);
  };
}

/** The listing names `file`; its resolve URL redirects to `cdn` (another origin), which serves it. */
export function redirectTo(cdn, file) {
  const oid = createHash("sha256").update(file).digest("hex");
  return (req, res) => {
    if (req.url === treePath) return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify([entry("rows.parquet", file.length, oid)]));
    if (req.url !== resolvePath("rows.parquet")) return void res.writeHead(404).end();
    res.writeHead(302, { location: `${cdn.endpoint}/cdn/rows.parquet`, "x-linked-etag": `"${oid}"`, "x-linked-size": String(file.length) }).end();
  };
}

/** The "CDN" of redirectTo: serves `file` at /cdn/rows.parquet. */
export function cdnFor(file) {
  return (req, res, s) => (req.url === "/cdn/rows.parquet" ? serveBlob(req, res, s, file) : void res.writeHead(404).end());
}

export const HF_SOURCE = `hf://datasets/${REPO}@${SHA}/data/*.parquet`;
