#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: no build step to remember. This thread
// only supervises (core/lab/cli/supervise.ts): the verb runs in a model thread it can stop.
import { register } from 'tsx/esm/api';

register();
const { startCli } = await import('../core/lab/cli/supervise.ts');
startCli(process.argv.slice(2));
