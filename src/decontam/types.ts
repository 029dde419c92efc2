/** Owned by the decontamination module (issue 4). Placeholder shape; extend freely. */
export interface ContaminationMatch {
  benchmark: string;
  item: string;
  method: string;
  score: number;
}

/** `annotate.decontaminate` in the mix file */
export interface DecontaminateConfig {
  benchmarks?: string[];
}
