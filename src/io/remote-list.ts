/**
 * Remote source paths → the files they name, each pinned (size, identity, Hub commit):
 *
 * - `hf://datasets/<org>/<name>[@<revision>]/<path or glob>`: the revision (default `main`; also
 *   `@refs/convert/parquet`, `@refs/pr/3`, or URL-encoded `@refs%2Fconvert%2Fparquet`) is resolved to
 *   its commit sha (`/api/datasets/<id>/revision/<rev>`), then files are listed at that commit through
 *   the tree API (`/api/datasets/<id>/tree/<sha>/<folder>?recursive=true`, every page of it). A glob
 *   is matched against the listing; a folder gives its data files; a file is found in its folder.
 *   Each file is read at `<endpoint>/datasets/<id>/resolve/<sha>/<path>`, and its identity is its LFS
 *   sha256 (or git blob id for a file kept in git) as the tree gives it.
 * - `https://…` (or `http://` on loopback): one file, probed with a one-byte range request for its
 *   size and ETag (the server must support ranges). No globs: there is nothing to list.
 *
 * Requests go through http.ts: HF_ENDPOINT / HF_TOKEN, the token only to the endpoint's origin.
 */
import { HubError, endpointUrl, hubGet, hubTarget, isLoopbackHost, readText, redactUrl, type HubSettings, type HubTarget } from "./http.js";
import { servedEtag, type RemoteFile } from "./remote-bytes.js";

/** Does this source path name a remote file (hf://, https://, http://)? */
export function isRemotePath(p: string): boolean {
  return /^(hf|https?):\/\//i.test(p);
}

const GLOB_CHARS = /[*?[\]{}]/;
/** Tree pages followed for one listing (the Hub sends about a thousand entries a page). */
const MAX_TREE_PAGES = 1000;

export interface HfPattern {
  /** `org/name` */
  repo: string;
  /** the revision asked for (null: main) */
  revision: string | null;
  /** `@…` as written in the path, kept in file names */
  revisionText: string;
  /** path inside the repository (may hold a glob); "" for the whole repository */
  path: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Split an hf:// path into repository, revision and path; throws saying what form is expected. */
export function parseHfPath(p: string): HfPattern {
  const form = "expected hf://datasets/<org>/<name>[@<revision>]/<path or glob>";
  const m = /^hf:\/\/datasets\/(.*)$/i.exec(p);
  if (!m) throw new Error(`${JSON.stringify(p)}: ${form} (only datasets are read)`);
  const segs = m[1]!.split("/");
  const org = segs[0] ?? "";
  const at = (segs[1] ?? "").indexOf("@");
  const name = at < 0 ? (segs[1] ?? "") : segs[1]!.slice(0, at);
  if (!NAME.test(org) || !NAME.test(name)) throw new Error(`${JSON.stringify(p)}: ${form}`);
  let revision: string | null = null;
  let revisionText = "";
  let rest = segs.slice(2);
  if (at >= 0) {
    const raw = segs[1]!.slice(at + 1);
    // the Hub's special refs may be written with their slashes, as huggingface_hub accepts them
    if (raw === "refs" && (rest[0] === "convert" || rest[0] === "pr") && rest[1]) {
      revision = `refs/${rest[0]}/${rest[1]}`;
      revisionText = `@${revision}`;
      rest = rest.slice(2);
    } else {
      try {
        revision = decodeURIComponent(raw);
      } catch {
        throw new Error(`${JSON.stringify(p)}: the revision ${JSON.stringify(raw)} is not valid URL encoding`);
      }
      revisionText = `@${raw}`;
    }
    if (revision === "") throw new Error(`${JSON.stringify(p)}: empty revision after "@"`);
  }
  const path = rest.join("/").replace(/\/+$/, "");
  if (path.split("/").some((s, i, all) => s === ".." || s === "." || (s === "" && all.length > 1))) {
    throw new Error(`${JSON.stringify(p)}: the path inside the repository must not hold empty, "." or ".." parts`);
  }
  return { repo: `${org}/${name}`, revision, revisionText, path };
}

/** `{a,b}` alternatives expanded (at most 256 patterns). */
function expandBraces(glob: string, out: string[] = []): string[] {
  const open = glob.indexOf("{");
  if (open < 0) {
    out.push(glob);
    return out;
  }
  const close = glob.indexOf("}", open);
  if (close < 0) throw new Error(`glob ${JSON.stringify(glob)}: "{" without "}"`);
  for (const alt of glob.slice(open + 1, close).split(",")) {
    expandBraces(glob.slice(0, open) + alt + glob.slice(close + 1), out);
    if (out.length > 256) throw new Error(`glob ${JSON.stringify(glob)}: more than 256 alternatives`);
  }
  return out;
}

/** A glob over `/`-separated paths as a regex: `*` and `?` stay inside a part, `**` spans parts. */
export function globRegex(glob: string): RegExp {
  const one = (g: string): string => {
    let re = "";
    for (let i = 0; i < g.length; i++) {
      const c = g[i]!;
      if (c === "*" && g[i + 1] === "*") {
        const slash = g[i + 2] === "/";
        re += slash ? "(?:[^/]*/)*" : ".*";
        i += slash ? 2 : 1;
      } else if (c === "*") re += "[^/]*";
      else if (c === "?") re += "[^/]";
      else if (c === "[") {
        const end = g.indexOf("]", i + 2);
        if (end < 0) throw new Error(`glob ${JSON.stringify(glob)}: "[" without "]"`);
        const body = g.slice(i + 1, end).replace(/^!/, "^").replace(/[\\\]]/g, "\\$&");
        re += `(?!/)[${body}]`;
        i = end;
      } else re += c.replace(/[.+^$()|\\/]/g, "\\$&");
    }
    return re;
  };
  return new RegExp(`^(?:${expandBraces(glob).map(one).join("|")})$`);
}

interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid: string;
  lfs?: { oid: string; size: number };
}

const encodePath = (p: string) => p.split("/").map(encodeURIComponent).join("/");

function treeEntry(v: unknown, where: string): TreeEntry {
  const e = v as Record<string, unknown> | null;
  const ok = e !== null && typeof e === "object" && typeof e.type === "string" && typeof e.path === "string" && typeof e.oid === "string";
  if (!ok) throw new HubError(`${where}: expected entries with "type", "path" and "oid"`);
  const size = typeof e.size === "number" && Number.isSafeInteger(e.size) && e.size >= 0 ? e.size : 0;
  const l = e.lfs as Record<string, unknown> | undefined;
  const lfs = l && typeof l.oid === "string" && typeof l.size === "number" ? { oid: l.oid, size: l.size } : undefined;
  if ((e.path as string).split("/").some((s) => s === ".." || s === "")) throw new HubError(`${where}: refusing the entry path ${JSON.stringify(e.path)}`);
  return { type: e.type as string, path: e.path as string, size: lfs?.size ?? size, oid: e.oid as string, lfs };
}

/** `<url>; rel="next"` from a Link header, or null. */
function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(",")) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /\brel="?next"?/.test(m[2]!)) return m[1]!;
  }
  return null;
}

/** Every entry under `dir` at commit `sha` (recursive or not), following the listing's pages. */
async function listTree(t: HubTarget, repo: string, sha: string, dir: string, recursive: boolean): Promise<TreeEntry[]> {
  let url: string | null = endpointUrl(t.endpoint, `/api/datasets/${repo}/tree/${sha}${dir ? `/${encodePath(dir)}` : ""}${recursive ? "?recursive=true" : ""}`);
  const out: TreeEntry[] = [];
  for (let page = 0; url !== null; page++) {
    if (page >= MAX_TREE_PAGES) throw new HubError(`listing hf://datasets/${repo}/${dir}: more than ${MAX_TREE_PAGES} pages; name a smaller folder`);
    const asked: string = url;
    url = await hubGet(
      asked,
      t,
      async (body) => {
        const text = await readText(body, t.limits.maxListBytes, "the file listing");
        let list: unknown;
        try {
          list = JSON.parse(text);
        } catch {
          throw new HubError(`${body.label}: expected a JSON array of files, got unparsable text`);
        }
        if (!Array.isArray(list)) throw new HubError(`${body.label}: expected a JSON array of files`);
        for (const v of list) out.push(treeEntry(v, body.label));
        const next = nextLink(body.headers.get("link"));
        if (next === null) return null;
        const u = new URL(next, asked);
        if (u.origin !== t.endpoint.origin) throw new HubError(`${body.label}: the next page of the listing is on another origin (${redactUrl(u)})`);
        return u.href;
      },
      { notFound: "no such dataset, revision or folder" },
    );
  }
  return out;
}

/** The commit a revision names now (a full sha is one already). */
async function resolveRevision(t: HubTarget, repo: string, revision: string | null): Promise<string> {
  const rev = revision ?? "main";
  if (/^[0-9a-f]{40}$/.test(rev)) return rev;
  const url = endpointUrl(t.endpoint, `/api/datasets/${repo}/revision/${encodeURIComponent(rev)}`);
  return hubGet(
    url,
    t,
    async (body) => {
      const text = await readText(body, t.limits.maxListBytes, "the revision info");
      let sha: unknown;
      try {
        sha = (JSON.parse(text) as { sha?: unknown }).sha;
      } catch {
        throw new HubError(`${body.label}: expected the dataset's info as JSON, got unparsable text`);
      }
      if (typeof sha !== "string" || !/^[0-9a-f]{40}$/.test(sha)) throw new HubError(`${body.label}: the dataset's info holds no commit sha`);
      return sha;
    },
    { notFound: `no such dataset or revision (${rev})` },
  );
}

/** A listed remote file: its name in records and messages, and what the reader holds the server to. */
export interface ListedFile {
  name: string;
  remote: RemoteFile;
}

/** The files an hf:// path names at the commit its revision resolves to, sorted by path. */
async function listHf(pattern: string, t: HubTarget, isData: (path: string) => boolean): Promise<ListedFile[]> {
  const p = parseHfPath(pattern);
  const sha = await resolveRevision(t, p.repo, p.revision);
  const segs = p.path === "" ? [] : p.path.split("/");
  const g = segs.findIndex((s) => GLOB_CHARS.test(s));
  let files: TreeEntry[];
  if (g >= 0) {
    const re = globRegex(p.path);
    files = (await listTree(t, p.repo, sha, segs.slice(0, g).join("/"), true)).filter((e) => e.type === "file" && re.test(e.path));
  } else {
    const parent = segs.slice(0, -1).join("/");
    const self = p.path === "" ? { type: "directory", path: "" } : (await listTree(t, p.repo, sha, parent, false)).find((e) => e.path === p.path);
    if (!self) throw new Error(`${pattern}: no such file or folder in hf://datasets/${p.repo} at commit ${sha}`);
    files = self.type === "directory" ? (await listTree(t, p.repo, sha, p.path, true)).filter((e) => e.type === "file" && isData(e.path)) : [self as TreeEntry];
  }
  const prefix = `hf://datasets/${p.repo}${p.revisionText}/`;
  return files
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((e) => ({
      name: prefix + e.path,
      remote: { url: endpointUrl(t.endpoint, `/datasets/${p.repo}/resolve/${sha}/${encodePath(e.path)}`), size: e.size, etag: e.lfs?.oid ?? e.oid, revision: sha },
    }));
}

/** One https file: its size and identity from a one-byte range request. */
async function probeHttps(url: string, t: HubTarget): Promise<ListedFile> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`${redactUrl(url)}: not a URL`);
  }
  if (u.protocol === "http:" && !isLoopbackHost(u.hostname)) throw new Error(`${redactUrl(u)}: plain http is only read from this machine (127.0.0.1, localhost); use https`);
  const q = url.indexOf("?");
  if (/[*[\]{}]/.test(q < 0 ? url : url.slice(0, q))) {
    throw new Error(`${redactUrl(u)}: an https path cannot be a glob (a web server has no listing); name each file, or use hf://datasets/… for the Hub`);
  }
  const name = redactUrl(u);
  return hubGet(
    u.href,
    t,
    async (body) => {
      for await (const _ of body.chunks()); // one byte
      const range = /^bytes 0-0\/(\d{1,15})$/.exec((body.headers.get("content-range") ?? "").trim());
      if (body.status !== 206 || !range) throw new HubError(`${body.label}: the server does not answer range requests (HTTP ${body.status} to "Range: bytes=0-0"); remote files are read in ranges`);
      return { name, remote: { url: u.href, size: Number(range[1]), etag: servedEtag(body) } };
    },
    { headers: { range: "bytes=0-0" }, notFound: "no such file" },
  );
}

/** The remote files a source path names, in order; throws when it names none. */
export async function listRemote(pattern: string, t: HubTarget, isData: (path: string) => boolean): Promise<ListedFile[]> {
  if (/^hf:/i.test(pattern)) return listHf(pattern, t, isData);
  return [await probeHttps(pattern, t)];
}

/**
 * A remote source path's files, each with its format (`declared`, else `formatOf` its name; a folder
 * gives the files whose format is known), for the source named `source`; every error names the
 * source. Throws when the path names no file.
 */
export async function listRemoteSource<F extends string>(
  source: string,
  pattern: string,
  settings: HubSettings,
  formatOf: (name: string) => F | null,
  declared?: F,
): Promise<(ListedFile & { format: F })[]> {
  let listed: ListedFile[];
  try {
    listed = await listRemote(pattern, hubTarget(settings), (p) => formatOf(p) !== null);
  } catch (e) {
    throw new Error(`source "${source}": ${(e as Error).message}`);
  }
  if (listed.length === 0) throw new Error(`source "${source}": path ${JSON.stringify(pattern)} matched no files`);
  return listed.map((f) => {
    const format = declared ?? formatOf(f.name);
    if (!format) throw new Error(`source "${source}": cannot tell the format of ${f.name} from its extension; set "format" to jsonl, jsonl.gz or parquet`);
    return { ...f, format };
  });
}
