/** Owned by the quality-signals module (issue 6). Placeholder shape; extend freely. */
export interface QualitySignals {
  truncated: boolean;
}

/** `annotate.quality` in the mix file */
export interface QualityConfig {
  enabled?: boolean;
}
