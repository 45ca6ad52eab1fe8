#!/usr/bin/env node
import { runCli } from './codegenCli.js';
process.exitCode = await runCli(process.argv.slice(2), process);
