// Script entry of the demo (`node dist/demo/index.js`): runs it on stdout and exits 0, or 1 on failure.
import { runDemo } from './demo.js';

runDemo({ out: process.stdout, databaseUrl: process.env.DATABASE_URL || undefined }).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
