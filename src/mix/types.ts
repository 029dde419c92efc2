/** Owned by the mixtures module (issue 7). Placeholder shape; extend freely. */
export interface OutputConfig {
  kind: "midtrain" | "sft" | "dpo" | "rl";
}

/** `outputs` in the mix file: named data products */
export type OutputsConfig = Record<string, OutputConfig>;
