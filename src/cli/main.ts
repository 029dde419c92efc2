#!/usr/bin/env node
/**
 * `curate` command line. One file per command in this folder; each exports `register(program)`.
 * Only the module of the command being run is imported (start-up stays fast); `--help` loads all.
 * Exit codes: 0 ok, 1 run failed, 2 bad usage or config.
 */
import { Command, CommanderError } from "commander";
import { UsageError, formatError } from "../errors.js";
import { toolVersion } from "../version.js";

type Register = (program: Command) => void;
const MODULES: Record<string, () => Promise<{ register: Register }>> = {
  run: () => import("./run.js"),
  validate: () => import("./validate.js"),
  verify: () => import("./verify.js"),
  decontaminate: () => import("./decontaminate.js"),
  dedupe: () => import("./dedupe.js"),
  inspect: () => import("./inspect.js"),
  show: () => import("./inspect.js"),
  export: () => import("./inspect.js"),
  report: () => import("./report.js"),
  audit: () => import("./audit.js"),
  plan: () => import("./plan.js"),
};

/** Relative paths resolve against the working folder: one deleted under the shell is named plainly. */
function workingFolderExists(): void {
  try {
    process.cwd();
  } catch {
    throw new UsageError(`the working folder no longer exists (it was deleted or moved after this shell entered it): cd to an existing folder and run again`);
  }
}

// A reader that stops early (`curate export run --format jsonl | head`) ends the command quietly with
// status 0, as ripgrep does: what was read is complete as far as it goes. Without this, an EPIPE was
// an unhandled 'error' event (a stack trace) or "curate: write EPIPE" with status 1.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
  process.exit(0);
});
// Diagnostics are not the work: with stderr gone (`curate run mix.json 2>&1 | head -1`, a log reader
// that died) the command goes on and finishes its files; a run crashed at its next progress line.
process.stderr.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code !== "EPIPE") throw e;
});

const program = new Command();
program
  .name("curate")
  .description("Curate distilled long chain-of-thought math traces into training mixtures")
  .version(toolVersion())
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

try {
  workingFolderExists();
  const name = process.argv[2];
  const loaders = name && MODULES[name] ? [MODULES[name]!] : [...new Set(Object.values(MODULES))];
  const seen = new Set<Register>();
  for (const load of loaders) {
    const { register } = await load();
    if (seen.has(register)) continue;
    seen.add(register);
    register(program);
  }
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(formatError(err) + "\n");
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
