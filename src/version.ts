import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/** Root of the installed package (the folder holding package.json), from src/ or dist/. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

let cached: { version: string; dependencies: Record<string, string> } | undefined;
function pkg() {
  cached ??= JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8"));
  return cached!;
}

export function toolVersion(): string {
  return pkg().version;
}

/** Exact installed versions of the runtime dependencies (read from node_modules). */
export function dependencyVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(pkg().dependencies ?? {}).sort()) {
    try {
      out[name] = JSON.parse(readFileSync(join(packageRoot, "node_modules", name, "package.json"), "utf8")).version;
    } catch {
      out[name] = pkg().dependencies[name]!;
    }
  }
  return out;
}
