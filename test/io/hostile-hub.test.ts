/**
 * The Hub client against hostile or broken servers: real HTTP servers on 127.0.0.1 (a second one on
 * another port plays "another origin", e.g. the CDN). Proves that HF_TOKEN only reaches the
 * endpoint's origin, that stalls, drips and floods end in a clear error within the limits set for the
 * test (generous test timeouts, so machine load cannot fail them), that nothing unreadable is cached,
 * that credentials never appear in messages, and that 429/5xx/resets are retried but 4xx are not.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { startFakeHub, type FakeHub } from "../helpers/hub-server.js";
import { cacheFolder, ensureParquetFiles, type HubOptions } from "../../src/decontam/hub.js";
import { mayCarryToken, redactUrl, resolveLimits } from "../../src/io/http.js";

const TOKEN = "hf_secret_token_42";
const problems = ["What is $1+1$?", "Find the number of positive divisors of $2024$.", "Compute $\\dbinom{8}{4}$."];
const parquet = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: "problem", data: problems, type: "STRING" as const }] }));
const listPath = (ds: string) => `/api/datasets/${ds}/parquet/default/test`;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MiB = 1024 * 1024;

/** a JSON file list answer */
const listing = (urls: string[]) => ({ body: JSON.stringify(urls), headers: { "content-type": "application/json" } });

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure, the call succeeded");
}

describe("Hub client against hostile servers (127.0.0.1)", () => {
  let hub: FakeHub; // the endpoint
  let other: FakeHub; // another origin (another port)
  let cache: string;
  let opts: (extra?: HubOptions) => HubOptions;

  beforeAll(async () => {
    hub = await startFakeHub();
    other = await startFakeHub();
  });
  afterAll(async () => {
    await hub.close();
    await other.close();
  });
  beforeEach(() => {
    cache = mkdtempSync(join(tmpdir(), "curate-hostile-hub-"));
    hub.requests.length = 0;
    other.requests.length = 0;
    opts = (extra = {}) => ({ endpoint: hub.endpoint, token: TOKEN, cacheDir: cache, ...extra, limits: { retryBaseMs: 10, ...extra.limits } });
  });
  afterEach(() => {
    rmSync(cache, { recursive: true, force: true });
  });

  /** files left in a split's cache folder (none when it was never created) */
  const leftIn = (ds: string) => {
    const dir = cacheFolder(ds, "default", "test", { cacheDir: cache });
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  describe("the token goes to the endpoint's origin only", () => {
    it("sends HF_TOKEN to file URLs on the endpoint's origin, not to one on another origin", async () => {
      hub.serve("/files/t1/0.parquet", parquet);
      other.serve("/files/t1/1.parquet", parquet);
      hub.on(listPath("t/one"), listing([`${hub.endpoint}/files/t1/0.parquet`, `${other.endpoint}/files/t1/1.parquet`]));
      const paths = await ensureParquetFiles("t/one", "default", "test", opts());
      expect(paths.length).toBe(2);
      expect(hub.requests.map((r) => [r.path, r.authorization])).toEqual([
        [listPath("t/one"), `Bearer ${TOKEN}`],
        ["/files/t1/0.parquet", `Bearer ${TOKEN}`],
      ]);
      expect(other.requests.map((r) => [r.path, r.authorization])).toEqual([["/files/t1/1.parquet", undefined]]);
    });

    it("follows the Hub's redirects: token on the endpoint's hops, none at the CDN, none on the way back", async () => {
      hub.addSplit("t/hubstyle", "default", "test", [parquet], { cdn: other });
      const paths = await ensureParquetFiles("t/hubstyle", "default", "test", opts());
      expect(paths.length).toBe(1);
      expect(hub.requests.map((r) => r.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, `Bearer ${TOKEN}`]); // list, api, resolve
      expect(other.requests.length).toBe(1);
      expect(other.requests[0]!.authorization).toBeUndefined();

      // a chain endpoint → another origin → back to the endpoint: the token is not sent again
      hub.on("/api/t2/0.parquet", { redirect: `${other.endpoint}/hop/0.parquet` });
      other.on("/hop/0.parquet", { redirect: `${hub.endpoint}/back/0.parquet` });
      hub.serve("/back/0.parquet", parquet);
      hub.on(listPath("t/back"), listing([`${hub.endpoint}/api/t2/0.parquet`]));
      hub.requests.length = 0;
      await ensureParquetFiles("t/back", "default", "test", opts());
      expect(hub.requests.map((r) => [r.path, r.authorization])).toEqual([
        [listPath("t/back"), `Bearer ${TOKEN}`],
        ["/api/t2/0.parquet", `Bearer ${TOKEN}`],
        ["/back/0.parquet", undefined],
      ]);
    });

    it("does not send the token to where a file list is redirected on another origin", async () => {
      hub.on(listPath("t/moved"), { redirect: `${other.endpoint}/lists/moved` });
      other.on("/lists/moved", listing([`${other.endpoint}/files/moved/0.parquet`]));
      other.serve("/files/moved/0.parquet", parquet);
      await ensureParquetFiles("t/moved", "default", "test", opts());
      expect(hub.requests.map((r) => r.authorization)).toEqual([`Bearer ${TOKEN}`]);
      expect(other.requests.map((r) => [r.path, r.authorization])).toEqual([
        ["/lists/moved", undefined],
        ["/files/moved/0.parquet", undefined],
      ]);
    });

    it("sends it over https, or plain http only to a loopback endpoint, and only on the same origin", () => {
      const ok = (url: string, endpoint: string) => mayCarryToken(new URL(url), new URL(endpoint));
      expect(ok("https://huggingface.co/api/x", "https://huggingface.co")).toBe(true);
      expect(ok("http://huggingface.co/api/x", "https://huggingface.co")).toBe(false);
      expect(ok("https://cdn-lfs.hf.co/x", "https://huggingface.co")).toBe(false);
      expect(ok("https://huggingface.co.evil.example/x", "https://huggingface.co")).toBe(false);
      expect(ok("https://huggingface.co:8443/x", "https://huggingface.co")).toBe(false);
      expect(ok("http://mirror.example/x", "http://mirror.example")).toBe(false);
      expect(ok("http://10.0.0.7:8080/x", "http://10.0.0.7:8080")).toBe(false);
      expect(ok("http://127.0.0.1:8080/x", "http://127.0.0.1:8080")).toBe(true);
      expect(ok("http://localhost:8080/x", "http://localhost:8080")).toBe(true);
      expect(ok("http://[::1]:8080/x", "http://[::1]:8080")).toBe(true);
      expect(ok("http://localhost:8080/x", "http://127.0.0.1:8080")).toBe(false);
    });

    it("says the token was withheld when another origin answers 401", async () => {
      other.on("/files/gated/0.parquet", { status: 401 });
      hub.on(listPath("t/gated"), listing([`${other.endpoint}/files/gated/0.parquet`]));
      const e = await failure(ensureParquetFiles("t/gated", "default", "test", opts()));
      expect(e.message).toMatch(/files\/gated\/0\.parquet: HTTP 401 .*HF_TOKEN was not sent/);
      expect(other.requests[0]!.authorization).toBeUndefined();
    });
  });

  describe("time limits", () => {
    it("a body that stalls fails at the idle timeout, naming the URL", async () => {
      hub.on("/files/stall/0.parquet", { stall: true, bytes: 10 });
      hub.on(listPath("t/stall"), listing([`${hub.endpoint}/files/stall/0.parquet`]));
      const t0 = Date.now();
      const e = await failure(ensureParquetFiles("t/stall", "default", "test", opts({ limits: { idleTimeoutMs: 300 } })));
      expect(e.message).toMatch(/\/files\/stall\/0\.parquet: timed out after 10 bytes: no data for 0\.3 s \(idle timeout\)/);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(leftIn("t/stall")).toEqual([]);
    }, 60_000);

    it("a slow-loris body (a byte every 50 ms) fails at the total time limit", async () => {
      hub.on("/files/drip/0.parquet", { drip: 50 });
      hub.on(listPath("t/drip"), listing([`${hub.endpoint}/files/drip/0.parquet`]));
      const t0 = Date.now();
      const e = await failure(ensureParquetFiles("t/drip", "default", "test", opts({ limits: { idleTimeoutMs: 5_000, totalTimeoutMs: 1_000 } })));
      expect(e.message).toMatch(/\/files\/drip\/0\.parquet: timed out after \d+ bytes: total time limit of 1 s reached/);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(leftIn("t/drip")).toEqual([]);
    }, 60_000);

    it("a server that never answers fails at the connect timeout; a dripping file list at the total limit", async () => {
      hub.on(listPath("t/silent"), { silent: true });
      const e = await failure(ensureParquetFiles("t/silent", "default", "test", opts({ limits: { connectTimeoutMs: 300 } })));
      expect(e.message).toMatch(/\/api\/datasets\/t\/silent\/parquet\/default\/test: timed out: no response headers .* within 0\.3 s \(connect timeout\)/);
      hub.on(listPath("t/driplist"), { drip: 50 });
      const e2 = await failure(ensureParquetFiles("t/driplist", "default", "test", opts({ limits: { totalTimeoutMs: 1_000 } })));
      expect(e2.message).toMatch(/\/api\/datasets\/t\/driplist\/parquet\/default\/test: timed out after \d+ bytes: total time limit of 1 s/);
    }, 60_000);
  });

  describe("size caps", () => {
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it("stops reading a file list at the cap (streamed or announced); the server could not send it all", async () => {
      hub.on(listPath("t/hugelist"), { flood: 1024 * MiB });
      const e = await failure(ensureParquetFiles("t/hugelist", "default", "test", opts({ limits: { maxListBytes: MiB } })));
      expect(e.message).toMatch(/parquet\/default\/test: the file list is larger than the 1048576-byte cap; stopped reading after \d+ bytes/);
      await wait(200);
      expect(hub.sent.get(listPath("t/hugelist"))!).toBeLessThan(64 * MiB);
      hub.on(listPath("t/hugelist2"), { flood: 1024 * MiB, contentLength: true });
      const e2 = await failure(ensureParquetFiles("t/hugelist2", "default", "test", opts({ limits: { maxListBytes: MiB } })));
      expect(e2.message).toMatch(/the file list announces 1073741824 bytes, more than the 1048576-byte cap/);
      await wait(200);
      expect(hub.sent.get(listPath("t/hugelist2"))!).toBeLessThan(64 * MiB);
      expect(leftIn("t/hugelist")).toEqual([]);
    }, 60_000);

    it("stops reading a file at the cap, or refuses it when announced over the cap; nothing is cached", async () => {
      hub.on("/files/huge/0.parquet", { flood: 1024 * MiB });
      hub.on(listPath("t/huge"), listing([`${hub.endpoint}/files/huge/0.parquet`]));
      const e = await failure(ensureParquetFiles("t/huge", "default", "test", opts({ limits: { maxFileBytes: MiB } })));
      expect(e.message).toMatch(/\/files\/huge\/0\.parquet: larger than the 1048576-byte cap; stopped reading after \d+ bytes/);
      await wait(200);
      expect(hub.sent.get("/files/huge/0.parquet")!).toBeLessThan(64 * MiB);
      expect(leftIn("t/huge")).toEqual([]);

      hub.on("/files/huge/0.parquet", { flood: 1024 * MiB, contentLength: true });
      const e2 = await failure(ensureParquetFiles("t/huge", "default", "test", opts({ limits: { maxFileBytes: MiB } })));
      expect(e2.message).toMatch(/\/files\/huge\/0\.parquet: announces 1073741824 bytes, more than the 1048576-byte cap/);
      expect(leftIn("t/huge")).toEqual([]);
    }, 60_000);
  });

  describe("content checks", () => {
    it("never caches a file with PAR1 at both ends that is not Parquet; the next call downloads again", async () => {
      const fake = Buffer.concat([Buffer.from("PAR1"), Buffer.alloc(200, 7), Buffer.from([20, 0, 0, 0]), Buffer.from("PAR1")]);
      hub.serve("/files/fake/0.parquet", fake);
      hub.on(listPath("t/fake"), listing([`${hub.endpoint}/files/fake/0.parquet`]));
      for (let call = 1; call <= 2; call++) {
        const e = await failure(ensureParquetFiles("t/fake", "default", "test", opts()));
        expect(e.message).toMatch(/\/files\/fake\/0\.parquet: downloaded file is not readable Parquet \(.+\); not cached/);
        expect(leftIn("t/fake")).toEqual([]);
        expect(hub.count("/files/fake/0.parquet")).toBe(call);
      }
    });

    it("never caches a file whose footer reads but whose first page is corrupt", async () => {
      const bad = parquet.slice();
      bad.fill(0xff, 4, 24); // the first page header
      hub.serve("/files/badpage/0.parquet", bad);
      hub.on(listPath("t/badpage"), listing([`${hub.endpoint}/files/badpage/0.parquet`]));
      const e = await failure(ensureParquetFiles("t/badpage", "default", "test", opts()));
      expect(e.message).toMatch(/\/files\/badpage\/0\.parquet: downloaded file is not readable Parquet \(cannot decode row group 0/);
      expect(leftIn("t/badpage")).toEqual([]);
    });

    it("refuses a download whose sha256 or size differs from the Hub's X-Linked-Etag / X-Linked-Size", async () => {
      hub.addSplit("t/linked", "default", "test", [parquet], { cdn: other });
      const resolve = "/datasets/t/linked/resolve/refs/convert/parquet/default/test/0000.parquet";
      const cdn = `${other.endpoint}/repos/${sha256(parquet).slice(0, 2)}/${sha256(parquet)}`;
      const wrongSha = sha256(new Uint8Array([1, 2, 3]));
      hub.on(resolve, { redirect: cdn, headers: { "x-linked-size": String(parquet.length), "x-linked-etag": `"${wrongSha}"` } });
      const e = await failure(ensureParquetFiles("t/linked", "default", "test", opts()));
      expect(e.message).toMatch(new RegExp(`sha256 ${sha256(parquet)} differs from the Hub's X-Linked-Etag ${wrongSha}`));
      expect(e.message).toContain("(redirected to http://127.0.0.1:");
      expect(leftIn("t/linked")).toEqual([]);

      hub.on(resolve, { redirect: cdn, headers: { "x-linked-size": String(parquet.length + 1) } });
      const e2 = await failure(ensureParquetFiles("t/linked", "default", "test", opts()));
      expect(e2.message).toMatch(new RegExp(`Content-Length ${parquet.length} differs from the size the Hub gives \\(X-Linked-Size ${parquet.length + 1}\\)`));
      expect(leftIn("t/linked")).toEqual([]);

      hub.on(resolve, { redirect: cdn, headers: { "x-linked-size": String(parquet.length), "x-linked-etag": `"${sha256(parquet)}"` } });
      expect((await ensureParquetFiles("t/linked", "default", "test", opts())).length).toBe(1);
    });
  });

  describe("credentials never appear in messages", () => {
    it("refuses an endpoint with userinfo or a query, printing it redacted", async () => {
      const port = new URL(hub.endpoint).port;
      const e = await failure(ensureParquetFiles("t/x", "default", "test", opts({ endpoint: `http://alice:s3cret@127.0.0.1:${port}` })));
      expect(e.message).toContain(`http://***@127.0.0.1:${port}/`);
      expect(e.message).toMatch(/credentials in the URL are not supported/);
      expect(e.message).not.toMatch(/s3cret|alice/);
      const e2 = await failure(ensureParquetFiles("t/x", "default", "test", opts({ endpoint: `http://127.0.0.1:${port}/?token=s3cret` })));
      expect(e2.message).toContain("token=***");
      expect(e2.message).not.toContain("s3cret");
      expect(hub.requests).toEqual([]);
    });

    it("redacts query values and userinfo of file URLs in HTTP and network errors", async () => {
      hub.addSplit("t/signed", "default", "test", [parquet], { cdn: other });
      other.on(`/repos/${sha256(parquet).slice(0, 2)}/${sha256(parquet)}`, { status: 403 });
      const e = await failure(ensureParquetFiles("t/signed", "default", "test", opts()));
      expect(e.message).toMatch(/HTTP 403/);
      expect(e.message).toContain("Expires=***&Signature=***");
      expect(e.message).not.toContain("cdn-signature");

      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      const deadPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      hub.on(listPath("t/dead"), listing([`http://127.0.0.1:${deadPort}/x.parquet?sig=s3cret`]));
      const e2 = await failure(ensureParquetFiles("t/dead", "default", "test", opts()));
      expect(e2.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${deadPort}/x\\.parquet\\?sig=\\*\\*\\*: request failed`));
      expect(e2.message).not.toContain("s3cret");
      hub.on(listPath("t/creds"), listing([`http://bob:s3cret@127.0.0.1:${deadPort}/x.parquet`]));
      const e3 = await failure(ensureParquetFiles("t/creds", "default", "test", opts()));
      expect(e3.message).toMatch(/refusing a URL with credentials/);
      expect(e3.message).not.toMatch(/s3cret|bob/);
    });

    it("redactUrl hides userinfo and query values, keeps the rest", () => {
      expect(redactUrl("https://u:p@host.example/a/b?token=t&x=1#frag")).toBe("https://***@host.example/a/b?token=***&x=***");
      expect(redactUrl("https://host.example/a")).toBe("https://host.example/a");
      expect(redactUrl("not a url://u:p@h?k=v")).not.toMatch(/u:p|k=v/);
    });
  });

  describe("retries", () => {
    const one = (ds: string, file: string) => hub.on(listPath(ds), listing([`${hub.endpoint}${file}`]));

    it("succeeds after a 503, a connection reset, and a 429 with Retry-After", async () => {
      hub.serve("/files/r/0.parquet", parquet);
      one("t/r503", "/files/r/0.parquet");
      hub.on("/files/r/0.parquet", { status: 503, times: 1 });
      await ensureParquetFiles("t/r503", "default", "test", opts());
      expect(hub.count("/files/r/0.parquet")).toBe(2);

      hub.requests.length = 0;
      one("t/reset", "/files/r/0.parquet");
      hub.on("/files/r/0.parquet", { reset: true, times: 1 });
      await ensureParquetFiles("t/reset", "default", "test", opts());
      expect(hub.count("/files/r/0.parquet")).toBe(2);

      hub.requests.length = 0;
      one("t/r429", "/files/r/0.parquet");
      hub.on("/files/r/0.parquet", { status: 429, times: 1, headers: { "retry-after": "1" } });
      const t0 = Date.now();
      await ensureParquetFiles("t/r429", "default", "test", opts());
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(hub.count("/files/r/0.parquet")).toBe(2);
    }, 60_000);

    it("gives up after the set number of tries, and never retries a 4xx or a Retry-After over the cap", async () => {
      hub.serve("/files/q/0.parquet", parquet);
      one("t/q", "/files/q/0.parquet");
      hub.on("/files/q/0.parquet", { status: 503 });
      const e = await failure(ensureParquetFiles("t/q", "default", "test", opts({ limits: { attempts: 3 } })));
      expect(e.message).toMatch(/\/files\/q\/0\.parquet: HTTP 503 \(gave up after 3 tries\)/);
      expect(hub.count("/files/q/0.parquet")).toBe(3);

      for (const status of [403, 404]) {
        hub.requests.length = 0;
        hub.on("/files/q/0.parquet", { status });
        await failure(ensureParquetFiles("t/q", "default", "test", opts()));
        expect(hub.count("/files/q/0.parquet")).toBe(1);
      }

      hub.requests.length = 0;
      hub.on("/files/q/0.parquet", { status: 429, headers: { "retry-after": "3600" } });
      const e2 = await failure(ensureParquetFiles("t/q", "default", "test", opts()));
      expect(e2.message).toMatch(/HTTP 429.*retry after 3600 s, more than the 30 s this client waits/);
      expect(hub.count("/files/q/0.parquet")).toBe(1);
      expect(leftIn("t/q")).toEqual([]);
    }, 60_000);

    it("stops a redirect loop after maxRedirects", async () => {
      hub.on("/loop", { redirect: "/loop" });
      one("t/loop", "/loop");
      const e = await failure(ensureParquetFiles("t/loop", "default", "test", opts({ limits: { maxRedirects: 3 } })));
      expect(e.message).toMatch(/\/loop: more than 3 redirects/);
      expect(hub.count("/loop")).toBe(4);
    });
  });

  it("takes limits from options, else CURATE_HUB_* variables, else the defaults; bad values are named", () => {
    expect(resolveLimits({}, {}).idleTimeoutMs).toBe(30_000);
    expect(resolveLimits({}, { CURATE_HUB_IDLE_TIMEOUT_MS: "250" }).idleTimeoutMs).toBe(250);
    expect(resolveLimits({ idleTimeoutMs: 7 }, { CURATE_HUB_IDLE_TIMEOUT_MS: "250" }).idleTimeoutMs).toBe(7);
    expect(() => resolveLimits({}, { CURATE_HUB_MAX_FILE_BYTES: "lots" })).toThrow(/CURATE_HUB_MAX_FILE_BYTES="lots": expected an integer/);
    expect(() => resolveLimits({ attempts: 0 }, {})).toThrow(/hub option attempts: expected an integer ≥ 1/);
  });
});
