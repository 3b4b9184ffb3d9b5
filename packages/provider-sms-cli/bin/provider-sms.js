#!/usr/bin/env node
// Committed wrapper so `pnpm install` can link the bin before `dist/` exists.
import('../dist/index.js').then((cli) => cli.main(process.argv));
