#!/usr/bin/env node
// netlayers-tap: our stack on a TAP interface (see src/cli.ts).
import { run } from '../dist/cli.js';

run();
