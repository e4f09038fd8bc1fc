#!/usr/bin/env node
// The published entry point; it exists before a build so that installing the
// workspace links it without warnings. The command itself is dist/bin.js.
import '../dist/bin.js';
