#!/usr/bin/env node
import { packageName } from './index.js';

process.stdout.write(`${packageName}\n`);
