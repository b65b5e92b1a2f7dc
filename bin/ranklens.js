#!/usr/bin/env node
// Runs the bundled CLI (npm run build produces out/cli.js).
require('../out/cli.js');
