/**
 * Units: the pieces of the input a rank annotates and writes on its own, named u<NNNNN> in every
 * file the run writes (annotated/, data/, rejected/, markers, the group outcome). Today one unit is one
 * input file, in the order the sources list them.
 */
import type { SourceFile } from "./sources.js";

export const unitName = (i: number) => `u${String(i).padStart(5, "0")}`;

export function unitsOf(files: SourceFile[]): { unit: number; file: SourceFile }[] {
  return files.map((file, unit) => ({ unit, file }));
}
