/**
 * Bounded HTTP GET under the Hub's rules, shared by the benchmark client (decontam/hub.ts) and remote
 * sources (remote-*.ts). Everything a hostile or broken server could use to leak the token, hang the
 * run or fill memory and disk is bounded here:
 *
 * - Token: `Authorization: Bearer …` goes only to the endpoint's origin, over https (plain http only
 *   when the endpoint is loopback: 127.0.0.1, ::1, localhost — what tests use), and never again once
 *   a redirect chain has left that origin. Redirects are followed by hand (`redirect: "manual"`), at
 *   most `maxRedirects` of them.
 * - Time: `connectTimeoutMs` until each response's headers, `idleTimeoutMs` between body chunks,
 *   `totalTimeoutMs` for one URL end to end (every attempt, redirect, retry wait and the body).
 * - Retries: on 429, 5xx and connection resets (also a body cut short), `attempts` tries in all,
 *   waiting `retryBaseMs`·2^(n-1) (at most 8 s) or the server's Retry-After when it asks for no more
 *   than `maxRetryAfterMs`; never on other 4xx, timeouts or bad content.
 * - Size: the callers read bodies as streams and stop at their cap (`readText`, `maxFileBytes`,
 *   the length of the range they asked for).
 * - Messages: every URL printed goes through redactUrl (userinfo and query values become ***).
 *
 * Defaults are HUB_LIMITS; options override them, and for the CLI and spawned tests the
 * CURATE_HUB_* environment variables listed in LIMIT_ENV do.
 */

export class HubError extends Error {
  override name = "HubError";
  /** the server could not be reached at all (refused, no such host, timed out): offline, likely */
  constructor(
    message: string,
    readonly unreachable = false,
  ) {
    super(message);
  }
}

export interface HubLimits {
  /** ms until one response's headers arrive (connect, TLS, the server's think time) */
  connectTimeoutMs: number;
  /** ms without a byte of the body */
  idleTimeoutMs: number;
  /** ms for one URL end to end: all attempts, redirects, retry waits and the whole body */
  totalTimeoutMs: number;
  /** bytes of one JSON answer (a split's file list, a page of a tree listing) */
  maxListBytes: number;
  /** bytes of one downloaded Parquet file */
  maxFileBytes: number;
  /** Parquet files in one split */
  maxFiles: number;
  /** redirects followed for one URL */
  maxRedirects: number;
  /** tries per URL, the first included */
  attempts: number;
  /** first backoff wait, doubled on each retry (at most 8 s) */
  retryBaseMs: number;
  /** longest Retry-After honoured; a server asking for more fails at once */
  maxRetryAfterMs: number;
  /** remote sources: bytes of one Parquet row group (its columns read) fetched ahead and held */
  prefetchBytes: number;
  /** remote sources: range requests in flight for one file */
  concurrency: number;
}

export const HUB_LIMITS: Readonly<HubLimits> = {
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  totalTimeoutMs: 180_000,
  maxListBytes: 8 * 1024 * 1024,
  maxFileBytes: 64 * 1024 * 1024,
  maxFiles: 100,
  maxRedirects: 5,
  attempts: 4,
  retryBaseMs: 500,
  maxRetryAfterMs: 30_000,
  prefetchBytes: 64 * 1024 * 1024,
  concurrency: 4,
};

export const LIMIT_ENV: Readonly<Partial<Record<keyof HubLimits, string>>> = {
  connectTimeoutMs: "CURATE_HUB_CONNECT_TIMEOUT_MS",
  idleTimeoutMs: "CURATE_HUB_IDLE_TIMEOUT_MS",
  totalTimeoutMs: "CURATE_HUB_TOTAL_TIMEOUT_MS",
  maxListBytes: "CURATE_HUB_MAX_LIST_BYTES",
  maxFileBytes: "CURATE_HUB_MAX_FILE_BYTES",
  retryBaseMs: "CURATE_HUB_RETRY_BASE_MS",
  prefetchBytes: "CURATE_HUB_PREFETCH_BYTES",
};

const MAX_BACKOFF_MS = 8_000;

/** Limits from options, else the environment, else HUB_LIMITS; a bad value is an error naming it. */
export function resolveLimits(given: Partial<HubLimits> = {}, env: NodeJS.ProcessEnv = process.env): HubLimits {
  const out = { ...HUB_LIMITS };
  for (const key of Object.keys(HUB_LIMITS) as (keyof HubLimits)[]) {
    const envName = LIMIT_ENV[key];
    const fromEnv = envName !== undefined ? env[envName] : undefined;
    const v = given[key] ?? (fromEnv !== undefined && fromEnv !== "" ? Number(fromEnv) : undefined);
    if (v === undefined) continue;
    const least = key === "attempts" ? 1 : key === "maxRedirects" || key === "retryBaseMs" ? 0 : 1;
    if (!Number.isSafeInteger(v) || v < least) {
      const where = given[key] !== undefined ? `hub option ${key}` : `${envName}=${JSON.stringify(fromEnv)}`;
      throw new HubError(`${where}: expected an integer ≥ ${least}`);
    }
    out[key] = v;
  }
  return out;
}

/** The URL with userinfo and query values replaced by *** and the fragment dropped. */
export function redactUrl(raw: string | URL): string {
  let u: URL;
  try {
    u = new URL(String(raw));
  } catch {
    // not parsable: cut everything that could be userinfo or a query
    const s = String(raw);
    const q = s.indexOf("?");
    const head = q >= 0 ? s.slice(0, q) + "?***" : s;
    const at = head.lastIndexOf("@");
    const scheme = head.indexOf("://");
    return at > scheme && scheme >= 0 ? head.slice(0, scheme + 3) + "***" + head.slice(at) : head;
  }
  if (u.username !== "" || u.password !== "") {
    u.username = "***";
    u.password = "";
  }
  if (u.search !== "") {
    const keys = [...new Set(u.searchParams.keys())];
    u.search = keys.map((k) => `${encodeURIComponent(k)}=***`).join("&");
  }
  u.hash = "";
  return u.toString().replace(/=%2A%2A%2A/g, "=***");
}

/** Text from elsewhere (a network error) with every URL in it redacted; linear in its length. */
export function redactText(s: string): string {
  return s
    .split(/(\s+)/)
    .map((w) => (w.includes("://") || w.includes("@") ? redactUrl(w) : w))
    .join("");
}

/** The endpoint as a URL; credentials, a query or a fragment in it are refused (redacted). */
export function parseEndpoint(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new HubError(`Hub endpoint ${redactUrl(raw)} (HF_ENDPOINT): not a URL`);
  }
  const shown = `Hub endpoint ${redactUrl(u)} (HF_ENDPOINT)`;
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new HubError(`${shown}: expected an http or https URL`);
  if (u.username !== "" || u.password !== "") {
    throw new HubError(`${shown}: credentials in the URL are not supported (they would reach logs and other hosts); set HF_TOKEN instead`);
  }
  if (u.search !== "" || u.hash !== "") throw new HubError(`${shown}: a query string or fragment is not supported; set HF_TOKEN for access`);
  return u;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === "127.0.0.1" || hostname === "[::1]" || hostname === "localhost";
}

/** The token may travel to `url` only on the endpoint's origin, over https (http only on loopback). */
export function mayCarryToken(url: URL, endpoint: URL): boolean {
  if (url.origin !== endpoint.origin) return false;
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname));
}

export interface HubTarget {
  endpoint: URL;
  token: string | undefined;
  limits: HubLimits;
}

/** What the endpoint's own responses said about the file (the resolve redirect carries these). */
export interface LinkedInfo {
  /** X-Linked-Size */
  size?: number;
  /** X-Linked-Etag when it is a sha256 (LFS files: the hash of the content) */
  sha256?: string;
}

/** A response with status 2xx whose body is still to be read. */
export interface HubBody {
  /** the URL asked for, redacted, plus where it was redirected (for messages) */
  label: string;
  /** 200, or 206 for a range */
  status: number;
  /** the final response's headers (ETag, Content-Range, …) */
  headers: Headers;
  /** true when the response came from the endpoint's origin (its headers speak for the Hub) */
  fromEndpoint: boolean;
  linked: LinkedInfo;
  /** Content-Length when sent and the body is not content-encoded, else null */
  contentLength: number | null;
  /** the body, chunk by chunk, under the idle timeout; a failure is a HubError */
  chunks(): AsyncGenerator<Uint8Array>;
}

const seconds = (ms: number) => `${ms / 1000} s`;

/** Aborts the attempt when a phase (headers, idle) or the whole URL runs out of time. */
class Watchdog {
  readonly controller = new AbortController();
  fired: string | null = null;
  private phase: NodeJS.Timeout | undefined;
  private readonly overall: NodeJS.Timeout;

  constructor(deadline: number, totalMs: number) {
    this.overall = setTimeout(() => this.fire(`total time limit of ${seconds(totalMs)} reached`), Math.max(0, deadline - Date.now()));
  }
  arm(ms: number, why: string): void {
    clearTimeout(this.phase);
    this.phase = setTimeout(() => this.fire(why), ms);
  }
  disarm(): void {
    clearTimeout(this.phase);
  }
  private fire(why: string): void {
    if (this.fired !== null) return;
    this.fired = why;
    this.controller.abort(new Error(`timed out: ${why}`));
  }
  /** stop the timers and close whatever is still open (a body left unread, a socket) */
  stop(): void {
    clearTimeout(this.phase);
    clearTimeout(this.overall);
    if (!this.controller.signal.aborted) this.controller.abort(new Error("done"));
  }
}

/** A failure worth another attempt (connection reset, body cut short, 429, 5xx). */
export class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

const RESET_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);

function isConnectionReset(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string" && RESET_CODES.has(code)) return true;
  }
  return false;
}

function describeNetError(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string; code?: string } };
  const cause = err?.cause;
  const text = cause?.message ? cause.message : String(err?.message ?? e);
  return redactText(text);
}

function statusHint(status: number, tokenWithheld: boolean, notFound: string): string {
  if (status === 401 || status === 403) {
    return tokenWithheld
      ? " (gated or private dataset; HF_TOKEN was not sent: it only goes to the https endpoint's own origin)"
      : " (gated or private dataset: set HF_TOKEN)";
  }
  if (status === 404) return ` (${notFound})`;
  if (status === 416) return " (the range asked for is not inside the file: it changed or is shorter than listed)";
  return "";
}

/** Retry-After in ms (seconds or an HTTP date), null when absent or unreadable. */
function retryAfterMs(value: string | null): number | null {
  if (value === null || value.trim() === "") return null;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function readLinked(res: Response, into: LinkedInfo): void {
  const size = res.headers.get("x-linked-size");
  if (size !== null && /^\d{1,15}$/.test(size.trim())) into.size = Number(size.trim());
  const etag = res.headers.get("x-linked-etag");
  const m = etag === null ? null : /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(etag.trim());
  if (m) into.sha256 = m[1]!.toLowerCase();
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

interface Landed {
  res: Response;
  url: URL;
  linked: LinkedInfo;
  tokenWithheld: boolean;
}

/** One attempt's request chain: follow redirects by hand, deciding for each hop whether the token goes. */
async function follow(start: URL, t: HubTarget, dog: Watchdog, label: string, extra: Record<string, string>): Promise<Landed> {
  const hasToken = t.token !== undefined && t.token !== "";
  let carry = hasToken;
  let url = start;
  const linked: LinkedInfo = {};
  for (let hop = 0; ; hop++) {
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new HubError(`${label}: refusing a ${url.protocol} URL (${redactUrl(url)})`);
    if (url.username !== "" || url.password !== "") throw new HubError(`${label}: refusing a URL with credentials in it (${redactUrl(url)})`);
    // once false it stays false: never send the token after the chain left the endpoint's origin
    carry = carry && mayCarryToken(url, t.endpoint);
    const headers: Record<string, string> = { "user-agent": "curate", "accept-encoding": "identity", ...extra };
    if (carry) headers.authorization = `Bearer ${t.token}`;
    dog.arm(t.limits.connectTimeoutMs, `no response headers from ${redactUrl(url)} within ${seconds(t.limits.connectTimeoutMs)} (connect timeout)`);
    let res: Response;
    try {
      res = await fetch(url, { headers, redirect: "manual", signal: dog.controller.signal });
    } catch (e) {
      if (dog.fired !== null) throw new HubError(`${label}: timed out: ${dog.fired}`, true);
      if (isConnectionReset(e)) throw new Retryable(`${label}: connection reset: ${describeNetError(e)}`);
      throw new HubError(`${label}: request failed: ${describeNetError(e)}`, true);
    }
    dog.disarm();
    if (url.origin === t.endpoint.origin) readLinked(res, linked);
    if (!REDIRECTS.has(res.status)) return { res, url, linked, tokenWithheld: hasToken && !carry };
    await res.body?.cancel().catch(() => undefined);
    if (hop >= t.limits.maxRedirects) throw new HubError(`${label}: more than ${t.limits.maxRedirects} redirects`);
    const location = res.headers.get("location");
    if (location === null) throw new HubError(`${label}: HTTP ${res.status} redirect without a Location header`);
    try {
      url = new URL(location, url);
    } catch {
      throw new HubError(`${label}: HTTP ${res.status} redirect to an unreadable Location ${redactUrl(location)}`);
    }
  }
}

function bodyOf(landed: Landed, dog: Watchdog, t: HubTarget, label: string): HubBody {
  const { res } = landed;
  const cl = res.headers.get("content-length");
  const encoded = (res.headers.get("content-encoding") ?? "identity").toLowerCase() !== "identity";
  const contentLength = !encoded && cl !== null && /^\d{1,15}$/.test(cl.trim()) ? Number(cl.trim()) : null;
  return {
    label,
    status: res.status,
    headers: res.headers,
    fromEndpoint: landed.url.origin === t.endpoint.origin,
    linked: landed.linked,
    contentLength,
    async *chunks() {
      if (!res.body) return;
      const reader = res.body.getReader();
      let bytes = 0;
      for (;;) {
        dog.arm(t.limits.idleTimeoutMs, `no data for ${seconds(t.limits.idleTimeoutMs)} (idle timeout)`);
        let r: { done: boolean; value?: Uint8Array };
        try {
          r = await reader.read();
        } catch (e) {
          if (dog.fired !== null) throw new HubError(`${label}: timed out after ${bytes} bytes: ${dog.fired}`);
          const msg = `${label}: download interrupted after ${bytes} bytes: ${describeNetError(e)}`;
          throw isConnectionReset(e) ? new Retryable(msg) : new HubError(msg);
        }
        dog.disarm();
        if (r.done || r.value === undefined) return;
        bytes += r.value.length;
        yield r.value;
      }
    },
  };
}

function labelOf(asked: URL, landed?: URL): string {
  const a = redactUrl(asked);
  return landed === undefined || landed.href === asked.href ? a : `${a} (redirected to ${redactUrl(landed)})`;
}

/** Wait before the next attempt, or fail when that would pass the deadline or the Retry-After cap. */
async function backoff(e: Retryable, attempt: number, deadline: number, t: HubTarget): Promise<void> {
  let wait = Math.min(MAX_BACKOFF_MS, t.limits.retryBaseMs * 2 ** (attempt - 1));
  if (e.retryAfterMs !== null) {
    if (e.retryAfterMs > t.limits.maxRetryAfterMs) {
      throw new HubError(`${e.message}; the server asks to retry after ${seconds(e.retryAfterMs)}, more than the ${seconds(t.limits.maxRetryAfterMs)} this client waits`);
    }
    wait = e.retryAfterMs;
  }
  if (Date.now() + wait > deadline) throw new HubError(`${e.message}; timed out: total time limit of ${seconds(t.limits.totalTimeoutMs)} reached before the next try`);
  await new Promise((r) => setTimeout(r, wait));
}

export interface GetOptions {
  /** extra request headers (Range), sent on every hop */
  headers?: Record<string, string>;
  /** what a 404 means here, for the message (default: no such dataset, config or split) */
  notFound?: string;
}

/**
 * GET `url` within the limits and hand the 2xx body to `read`, retrying the whole exchange (a fresh
 * `read` included) on 429, 5xx and connection resets. `read` throws HubError for bad content, or
 * a Retryable to have the exchange tried again (a body cut short).
 */
export async function hubGet<T>(url: string, t: HubTarget, read: (body: HubBody) => Promise<T>, o: GetOptions = {}): Promise<T> {
  let asked: URL;
  try {
    asked = new URL(url);
  } catch {
    throw new HubError(`${redactUrl(url)}: not a URL`);
  }
  const deadline = Date.now() + t.limits.totalTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    const dog = new Watchdog(deadline, t.limits.totalTimeoutMs);
    try {
      const landed = await follow(asked, t, dog, labelOf(asked), o.headers ?? {});
      const label = labelOf(asked, landed.url);
      const status = landed.res.status;
      if (status < 200 || status > 299) {
        await landed.res.body?.cancel().catch(() => undefined);
        const msg = `${label}: HTTP ${status}${statusHint(status, landed.tokenWithheld, o.notFound ?? "no such dataset, config or split")}`;
        if (status === 429 || status >= 500) throw new Retryable(msg, retryAfterMs(landed.res.headers.get("retry-after")));
        throw new HubError(msg);
      }
      return await read(bodyOf(landed, dog, t, label));
    } catch (e) {
      dog.stop();
      if (!(e instanceof Retryable)) throw e;
      if (attempt >= t.limits.attempts) throw new HubError(`${e.message} (gave up after ${attempt} tries)`);
      await backoff(e, attempt, deadline, t);
    } finally {
      dog.stop();
    }
  }
}

/** Where to reach the Hub; unset fields come from HF_ENDPOINT, HF_TOKEN and the CURATE_HUB_* limits. */
export interface HubSettings {
  endpoint?: string;
  token?: string;
  limits?: Partial<HubLimits>;
}

/** Endpoint (`HF_ENDPOINT`, default https://huggingface.co), token (`HF_TOKEN`) and limits, options first. */
export function hubTarget(o: HubSettings = {}): HubTarget {
  const endpoint = parseEndpoint(o.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co");
  return { endpoint, token: o.token ?? process.env.HF_TOKEN, limits: resolveLimits(o.limits) };
}

/** The endpoint with `path` appended to its own path (a mirror may live under a prefix). */
export function endpointUrl(endpoint: URL, path: string): string {
  return endpoint.href.replace(/\/+$/, "") + path;
}

/** The body as text, refusing more than `cap` bytes (announced or read); stops reading at the cap. */
export async function readText(body: HubBody, cap: number, what: string): Promise<string> {
  if (body.contentLength !== null && body.contentLength > cap) {
    throw new HubError(`${body.label}: ${what} announces ${body.contentLength} bytes, more than the ${cap}-byte cap`);
  }
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of body.chunks()) {
    bytes += chunk.length;
    if (bytes > cap) throw new HubError(`${body.label}: ${what} is larger than the ${cap}-byte cap; stopped reading after ${bytes} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString("utf8");
}
