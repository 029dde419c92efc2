/**
 * The bytes of one input file, wherever it lives: a local file (this module) or a file on the Hub or
 * any https server read by HTTP Range requests (remote-bytes.ts). Readers (JSONL, gzip, Parquet, and
 * any other format reader) take a ByteSource and never open paths themselves, so every format works
 * over HTTP the same way it works on disk.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { Readable } from "node:stream";

export interface ByteSource {
  /** the file as messages name it (a path, or a redacted URL) */
  readonly name: string;
  /** bytes in the file */
  readonly size: number;
  /** a good size for windows read ahead of a reader (small locally, larger over the network) */
  readonly readAhead: number;
  /** bytes [pos, pos + len); throws when the file ends before */
  read(pos: number, len: number): Promise<Uint8Array>;
  /** bytes [start, end) as a stream of pieces (end: the file's end); destroy it to stop early */
  stream(start?: number, end?: number): Readable;
  /**
   * A hint: these byte ranges are read next, the ones given before are done with. A remote file
   * fetches them at once when they are small enough to hold; a local file ignores it.
   */
  prefetch(ranges: readonly (readonly [number, number])[]): Promise<void>;
  close(): Promise<void>;
}

/** A local file read with positioned reads (its descriptor opened on the first one) or streams. */
export class LocalBytes implements ByteSource {
  readonly readAhead = 1 << 20;
  private fd = -1;
  private constructor(
    readonly name: string,
    readonly size: number,
  ) {}

  /** Throws (the file system's words) when the file is not there. */
  static open(path: string): LocalBytes {
    return new LocalBytes(path, statSync(path).size);
  }

  async read(pos: number, len: number): Promise<Uint8Array> {
    return this.readNow(pos, len);
  }

  /** the same read, synchronously (a local file never waits on a network) */
  readNow(pos: number, len: number): Uint8Array {
    if (this.fd < 0) this.fd = openSync(this.name, "r");
    const out = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, out, got, len - got, pos + got);
      if (n === 0) throw new Error(`file ends at byte ${(pos + got).toLocaleString("en-US")}, before byte ${(pos + len).toLocaleString("en-US")}`);
      got += n;
    }
    return out;
  }

  stream(start = 0, end = this.size): Readable {
    if (end <= start) return Readable.from([]);
    // its own descriptor: the stream closes it however it ends
    return createReadStream(this.name, { start, end: end - 1, highWaterMark: 1 << 20 });
  }

  async prefetch(): Promise<void> {}

  async close(): Promise<void> {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Destroy a stream and wait until it has closed (file streams: their descriptor). Readers call it
 * however reading ends — done, an error, or the caller stopping early — so a worker thread's task
 * never returns with a close (or a read) still in flight.
 */
export async function closeStream(s: Readable): Promise<void> {
  if (s.closed) return;
  const closed = new Promise<void>((resolve) => s.once("close", () => resolve()));
  s.destroy();
  await closed;
}
