#!/usr/bin/env node
// The server's entry point (`backup-server`, and `npm start` in this
// repository). CommonJS on purpose: Node reads a CommonJS entry without
// libuv's thread pool, so the pool can still be sized here. Every pipeline's
// compression runs on that pool, which has 4 threads unless
// UV_THREADPOOL_SIZE is set before its first use, and Node 22 reads an ES
// module entry through it. The rule is `recommendedThreadPoolSize` in
// @backup/core (a thread per core plus libuv's 4), unless the operator chose.
'use strict';
process.env.UV_THREADPOOL_SIZE ??= String(require('node:os').availableParallelism() + 4);
// dist/bin.js, or src/bin.ts with --conditions=@backup/source (package.json "exports").
import('@backup/server/bin');
