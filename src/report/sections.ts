/**
 * The report's sections, in page order, and the data they make together. To add a section: write
 * sections/<name>.ts (its data type, a collector and a renderer; see section.ts), list it in SECTIONS
 * and add its data type to ReportData's `extends` — collect.ts and html.ts need no change.
 */
import type { ReportSection, ReportSettings } from "./section.js";
import { funnelSection, type FunnelData } from "./sections/funnel.js";
import { lengthsSection, type LengthsData } from "./sections/lengths.js";
import { verifierSection, type VerifierData } from "./sections/verifier.js";
import { domainsSection, type DomainsData } from "./sections/domains.js";
import { contaminationSection, type ContaminationData } from "./sections/contamination.js";
import { clustersSection, type ClustersData } from "./sections/clusters.js";
import { dropsSection, type DropsData } from "./sections/drops.js";
import { outputsSection, type OutputsData } from "./sections/outputs.js";
import { signalsSection, type SignalsData } from "./sections/signals.js";
import { qualitySection, type QualityData } from "./sections/quality.js";

/** The run, as the page header names it. */
export interface RunHeader {
  dir: string;
  name: string;
  configHash: string;
  seed: number;
  tokenizer: string | null;
  tool: string;
  /** false: the page opens with a "not decontaminated" banner; null: the manifest does not say */
  decontaminated: boolean | null;
  /** the config's warnings (manifest.warnings) */
  warnings: string[];
}

export interface ReportData extends FunnelData, SignalsData, LengthsData, QualityData, VerifierData, DomainsData, ContaminationData, ClustersData, DropsData, OutputsData {
  run: RunHeader;
  options: ReportSettings;
}

/** Page order. Each collector sees every row of the one scan; each renderer sees what its collector returned. */
export const SECTIONS: readonly ReportSection<Partial<ReportData>>[] = [
  funnelSection,
  signalsSection,
  lengthsSection,
  qualitySection,
  verifierSection,
  domainsSection,
  contaminationSection,
  clustersSection,
  dropsSection,
  outputsSection,
];
