#!/usr/bin/env node
/**
 * `curate` command line. One file per command in this folder; each exports
 * `register(program)`. Exit codes: 0 ok, 1 run failed, 2 bad usage or config.
 */
import { Command, CommanderError } from "commander";
import { register as registerRun } from "./run.js";
import { register as registerValidate } from "./validate.js";
import { register as registerVerify } from "./verify.js";
import { register as registerDecontaminate } from "./decontaminate.js";
import { register as registerDedupe } from "./dedupe.js";
import { register as registerInspect } from "./inspect.js";
import { register as registerReport } from "./report.js";
import { register as registerAudit } from "./audit.js";
import { register as registerPlan } from "./plan.js";
import { UsageError, formatError } from "./errors.js";
import { toolVersion } from "../version.js";

const program = new Command();
program
  .name("curate")
  .description("Curate distilled long chain-of-thought math traces into training mixtures")
  .version(toolVersion())
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

for (const register of [
  registerRun,
  registerValidate,
  registerVerify,
  registerDecontaminate,
  registerDedupe,
  registerInspect,
  registerReport,
  registerAudit,
  registerPlan,
]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.exitCode === 0) {
      process.exitCode = 0;
    } else {
      process.exitCode = 2;
    }
  } else {
    process.stderr.write(formatError(err) + "\n");
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
