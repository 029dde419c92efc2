import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../version.js";

/**
 * URL of a compiled worker entry (e.g. "verify/symbolic-worker") under dist/. Workers always run
 * compiled JS, also when the caller is TypeScript under vitest, so `npm test` builds first.
 */
export function workerUrl(relativeNoExt: string): URL {
  const file = join(packageRoot, "dist", `${relativeNoExt}.js`);
  if (!existsSync(file)) {
    throw new Error(`worker ${relativeNoExt} is not built (${file} missing): run \`npm run build\``);
  }
  return pathToFileURL(file);
}
