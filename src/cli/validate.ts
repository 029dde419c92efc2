import type { Command } from "commander";
import { decontaminationStatus, loadMix, mixWarnings } from "../config/load.js";
import { resolveSourceFiles } from "../io/sources.js";
import { UsageError } from "../errors.js";

export function register(program: Command): void {
  program
    .command("validate")
    .description("check a mix file against the schema (unknown keys are errors) and that its source paths match files")
    .argument("<mix>", "mix file (JSON)")
    .option("--no-files", "skip checking that source paths match files")
    .action(async (mixPath: string, o: { files: boolean }) => {
      const loaded = loadMix(mixPath);
      let fileCount = 0;
      if (o.files) {
        for (const s of loaded.config.sources) {
          try {
            fileCount += (await resolveSourceFiles(s, loaded.baseDir, {}, (n) => process.stderr.write(`note: ${n}\n`))).length;
          } catch (e) {
            throw new UsageError(`${mixPath}: ${(e as Error).message}`);
          }
        }
      }
      for (const w of [...decontaminationStatus(loaded.config).warnings, ...mixWarnings(loaded.config)]) process.stderr.write(`warning: ${mixPath}: ${w}\n`);
      process.stdout.write(`${mixPath}: valid (${loaded.config.sources.length} source(s)${o.files ? `, ${fileCount} file(s)` : ""}, config hash ${loaded.hash.slice(0, 16)})\n`);
    });
}
