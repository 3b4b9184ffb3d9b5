// Types of run.mjs for bench.test.ts (the bench itself is plain ESM run by node).
export interface Figure {
  id: string;
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  pass: boolean | null;
  command: string;
  note: string;
  numbers: Record<string, number>;
}
export declare const FIGURES: Record<
  string,
  () => Promise<{ run(opts?: { quick?: boolean }): Promise<Figure[]>; budgetSeconds?: number }>
>;
export declare const GROWTH_FIGURES: typeof FIGURES;
export interface FigureTiming {
  id: string;
  seconds: number;
  budget: number;
}
export declare const DEFAULT_BUDGET_SECONDS: number;
export declare const TOTAL_BUDGET_SECONDS: number;
export declare function budgetOf(id: string): Promise<number>;
export declare function runFigures(
  ids?: string[],
  opts?: { quick?: boolean; log?: (line: string) => void; keepGoing?: boolean; timings?: FigureTiming[] },
): Promise<Figure[]>;
export declare function markdownTable(rows: Figure[]): string;
