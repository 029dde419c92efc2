import type { ReadStream } from "node:fs";

/**
 * Destroy a file read stream and wait until its descriptor is closed (fs streams always emit "close").
 * Readers call it however reading ends — done, an error, or the caller stopping early — so a worker
 * thread's task never returns with a close (or a read) still in flight.
 */
export async function closeFile(file: ReadStream): Promise<void> {
  if (file.closed) return;
  const closed = new Promise<void>((resolve) => file.once("close", () => resolve()));
  file.destroy();
  await closed;
}
