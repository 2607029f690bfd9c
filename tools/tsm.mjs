#!/usr/bin/env node
// `tsm` for npm scripts (`npm start`): npm starts node directly, not through bin/run.js's shebang, so this runs the CLI
// in the environment the shebang sets (tools/launch-env.mjs). Arguments go to tsm; its exit code is this one's.
import { BIN, launchEnv, runNodeAndExit } from './launch-env.mjs';

runNodeAndExit([BIN, ...process.argv.slice(2)], launchEnv());
