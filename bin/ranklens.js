#!/usr/bin/env node
// The `ranklens` command: runs the bundled CLI (npm run build produces out/cli.js).
require('../out/cli.js').runCli();
