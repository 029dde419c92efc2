import type { Command } from "commander";

// Placeholder registration; the owning issue replaces this file.
export function register(_program: Command): void {}
