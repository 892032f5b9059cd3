#!/usr/bin/env node
// strongroom-cli: the CloudHSM-CLI-compatible command line. All logic lives in src/cli/main.ts.

import { main } from '../cli/main.js';

const code = await main(process.argv.slice(2));
process.exit(code);
