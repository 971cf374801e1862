// The `lowp` executable (built to dist/cli/main.js with a shebang; package.json "bin"). All the work is
// in run.ts; this file only connects it to the process: argv, streams, exit status.
import { run } from './run.js';

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
// let stdout drain (a pipe may still hold the report) before the process ends with this status
process.exitCode = code;
