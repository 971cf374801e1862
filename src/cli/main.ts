// The `lowp` executable (built to dist/cli/main.js with a shebang; package.json "bin"). All the work is
// in run.ts; this file only connects it to the process: argv, streams, exit status.
import { run } from './run.js';

// `lowp check … | head`: the reader went away; stop quietly, as Unix tools do
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const code = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
// set the status and let the event loop end, so that a pipe receives everything written to stdout
process.exitCode = code;
