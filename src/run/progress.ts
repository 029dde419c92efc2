/**
 * Progress on stderr: a redrawn one-line bar when stderr is a TTY (rows, MB/s, ETA), plain periodic
 * log lines otherwise (batch jobs), nothing with --quiet.
 */
export interface Progress {
  phase(name: string): void;
  rows(n: number): void;
  bytes(n: number): void;
  log(line: string): void;
  done(): void;
}

export function createProgress(opts: { quiet: boolean; totalBytes: number; tty?: boolean; intervalMs?: number }): Progress {
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  const interval = opts.intervalMs ?? (tty ? 200 : 10_000);
  const t0 = Date.now();
  let phase = "";
  let rows = 0;
  let bytes = 0;
  let last = 0;
  const mb = (b: number) => (b / 1e6).toFixed(1);
  const render = (force = false) => {
    if (opts.quiet) return;
    const now = Date.now();
    if (!force && now - last < interval) return;
    last = now;
    const secs = Math.max((now - t0) / 1000, 1e-3);
    const rate = bytes / secs;
    const frac = opts.totalBytes > 0 ? Math.min(bytes / opts.totalBytes, 1) : 0;
    const eta = rate > 0 && opts.totalBytes > 0 ? Math.max(0, (opts.totalBytes - bytes) / rate) : NaN;
    const etaS = Number.isFinite(eta) ? `${Math.round(eta)}s` : "?";
    if (tty) {
      const width = 24;
      const filled = Math.round(frac * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      process.stderr.write(`\r\x1b[2K${phase} ${bar} ${(frac * 100).toFixed(0)}% ${rows.toLocaleString("en-US")} rows ${mb(rate)} MB/s ETA ${etaS}`);
    } else {
      // phases that go over groups or products count no rows: they say only where reading stands
      const rowsPart = rows > 0 ? `${rows.toLocaleString("en-US")} rows, ` : "";
      process.stderr.write(`[curate] ${phase}: ${rowsPart}${mb(bytes)}/${mb(opts.totalBytes)} MB read, ${mb(rate)} MB/s, ETA ${etaS}\n`);
    }
  };
  return {
    phase(name) {
      if (!opts.quiet && tty && phase) process.stderr.write("\n");
      // a log says what the phase that ends did, then that the next one starts (not "0 rows" for it)
      if (!tty && phase) render(true);
      phase = name;
      rows = 0; // rows count per phase (the write phase goes over the same rows again)
      if (tty) render(true);
      else if (!opts.quiet) process.stderr.write(`[curate] ${phase} …\n`);
    },
    rows(n) {
      rows += n;
      render();
    },
    bytes(n) {
      bytes += n;
    },
    log(line) {
      if (opts.quiet) return;
      if (tty) process.stderr.write(`\r\x1b[2K${line}\n`);
      else process.stderr.write(`[curate] ${line}\n`);
    },
    done() {
      if (opts.quiet) return;
      render(true);
      if (tty) process.stderr.write("\n");
    },
  };
}
