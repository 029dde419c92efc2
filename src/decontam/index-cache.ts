/**
 * The benchmark index cache: building the index of the default benchmarks costs 0.42–0.55 CPU-s, the
 * larger part of `curate decontaminate`'s fixed cost; reading a built one costs 0.04 s. So a built
 * index is kept beside the benchmark cache ({XDG_CACHE_HOME or ~/.cache}/curate/decontam-index/, or
 * `decontam-index/` inside a given `cacheDir`), one file per key. The key is a SHA-256 of everything
 * the index is made of: the index file format, the resolved options, whether the common n-gram list
 * is used, the benchmark problems (names, ids, texts), and the size and modification time of the
 * code files that build it (src/decontam and src/text), so a rebuilt matcher never reads an index
 * built by another. Same inputs give the same bytes whether built or read (serialize ∘ deserialize).
 * A cache that cannot be read or written is no error: the index is built.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchmarkItem } from "./types.js";
import type { IndexOptions } from "./index-options.js";
import { MAGIC } from "./index-file.js";

/** the folder of cached index files */
export function indexCacheDir(cacheDir?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (cacheDir) return join(cacheDir, "decontam-index");
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.length > 0 ? env.XDG_CACHE_HOME : join(homedir(), ".cache");
  return join(base, "curate", "decontam-index");
}

let codeStamp: string | null = null;

/** size and mtime of every code file the index depends on (this folder and ../text), read once */
function codeFilesStamp(): string {
  if (codeStamp !== null) return codeStamp;
  const here = dirname(fileURLToPath(import.meta.url));
  const parts: string[] = [];
  for (const dir of [here, join(here, "..", "text")]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      try {
        const s = statSync(join(dir, n));
        if (s.isFile()) parts.push(`${n}:${s.size}:${s.mtimeMs}`);
      } catch {
        // a file removed meanwhile: not part of the key
      }
    }
  }
  codeStamp = parts.join("\n");
  return codeStamp;
}

/** The cache file of the index of `problems` with resolved `options`. */
export function indexCacheFile(dir: string, problems: BenchmarkItem[], options: IndexOptions, common: boolean): string {
  const h = createHash("sha256");
  h.update(JSON.stringify([MAGIC, options, common, codeFilesStamp()]));
  for (const p of problems) h.update(JSON.stringify([p.benchmark, p.item, p.problem]));
  return join(dir, `${h.digest("hex").slice(0, 32)}.bin`);
}

/** The cached bytes, or null when there are none or they cannot be read. */
export function readCachedIndex(file: string): Uint8Array | null {
  try {
    return existsSync(file) ? readFileSync(file) : null;
  } catch {
    return null;
  }
}
