/**
 * Waiting for what other ranks owe: a marker, a spill, a share of the group outcome. Every wait of a
 * run goes through `poll`: it says once what it waits for and who owes it, registers the wait (the
 * long-wait report repeats it every 30 s, src/waits.ts), and gives up after `--wait-seconds`.
 */
import { waitingFor } from "../waits.js";

export class Waiter {
  /** when the first wait began: the limit counts from there (after this process's own annotating) */
  private start: number | null = null;

  constructor(
    /** give up after this many ms from the first wait (undefined: wait as long as it takes) */
    private readonly limitMs: number | undefined,
    private readonly log: (line: string) => void,
    private readonly pollMs = 2000,
  ) {}

  /** `read()` until it gives a value; `missing` says what is not there yet, `hint` who owes it */
  async poll<M>(read: () => M | null, missing: string, hint: string): Promise<M> {
    this.start ??= Date.now();
    let m = read();
    if (m) return m;
    this.log(`waiting: ${missing} (${hint})`);
    const done = waitingFor(`${missing} (${hint})`);
    try {
      while (!m) {
        if (this.limitMs !== undefined && Date.now() - this.start! > this.limitMs) throw new Error(`${missing} after ${this.limitMs} ms; ${hint}`);
        await new Promise((r) => setTimeout(r, this.pollMs));
        m = read();
      }
    } finally {
      done();
    }
    return m;
  }
}
