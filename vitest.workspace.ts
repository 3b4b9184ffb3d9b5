// The one place that lists the test projects (read by vitest.config.ts).
export default ['packages/*/vitest.config.ts', 'examples/*/vitest.config.ts', 'scripts/vitest.config.ts'];
