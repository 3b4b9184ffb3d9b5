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
  () => Promise<{ run(opts?: { quick?: boolean }): Promise<Figure[]> }>
>;
export declare const GROWTH_FIGURES: typeof FIGURES;
export declare function runFigures(
  ids?: string[],
  opts?: { quick?: boolean; log?: (line: string) => void; keepGoing?: boolean },
): Promise<Figure[]>;
export declare function markdownTable(rows: Figure[]): string;
