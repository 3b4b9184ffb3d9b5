// Types of report.mjs for bench.test.ts (the bench itself is plain ESM run by node).
import type { Figure, FigureTiming } from './run.mjs';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  load: number[];
}
export declare function machine(): Machine;
export declare function markdownTable(rows: Figure[]): string;
export declare function timingLine(timings: FigureTiming[]): string;
export declare function sectionBody(
  rows: Figure[],
  m: Machine,
  opts?: { seconds: number; timings?: FigureTiming[]; title?: string; extra?: string },
): string;
export declare function withoutLegacyBench(text: string): string;
export declare function writeSection(file: string, name: string, body: string): void;
