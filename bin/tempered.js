#!/usr/bin/env node
// The `tempered` CLI, compiled by `npm run build` (npm ci runs it via `prepare`).
require('../dist/cli/main.js').run(process.argv).then((code) => process.exit(code));
