/** Errors meant for people: they name the file, the row (or JSON path) and what was expected. */
import { fsErrorOf } from "../io/fs-error.js";

/** Bad usage or bad config: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A problem with one input row or file; carries where it happened. */
export class InputError extends Error {
  override name = "InputError";
  constructor(
    readonly file: string,
    readonly row: number | null,
    readonly cause_: string,
  ) {
    super(`${file}${row === null ? "" : `, row ${row + 1}`}: ${cause_}`);
  }
}

/** One line for people (the stack too with CURATE_DEBUG set); a file-system failure names the operation and the path. */
export function formatError(err: unknown): string {
  if (err instanceof UsageError || err instanceof InputError) return `curate: ${err.message}`;
  if (err instanceof Error) {
    const msg = `curate: ${fsErrorOf(err)?.message ?? err.message}`;
    return process.env.CURATE_DEBUG ? `${msg}\n${err.stack ?? ""}` : msg;
  }
  return `curate: ${String(err)}`;
}
