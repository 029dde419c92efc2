/** Errors meant for people: they name the file, the row (or JSON path) and what was expected. */

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

export function formatError(err: unknown): string {
  if (err instanceof UsageError || err instanceof InputError) return `curate: ${err.message}`;
  if (err instanceof Error) {
    const msg = `curate: ${err.message}`;
    return process.env.CURATE_DEBUG ? `${msg}\n${err.stack ?? ""}` : msg;
  }
  return `curate: ${String(err)}`;
}
