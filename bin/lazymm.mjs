#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step to remember.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/lab/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
