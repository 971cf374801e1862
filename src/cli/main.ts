// The `lowp` executable (built to dist/cli/main.js with a shebang; package.json "bin"). All the work is
// in run.ts; this file only connects it to the process: argv, streams, exit status. The same module is
// the entry of the worker threads of a parallel `lowp check` (started with workerData.lowpWorker).
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { checkWorkerMain, type CheckWorkerJob } from './parallel.js';
import { run } from './run.js';
import { openForWorker } from './training.js';
import { trainingWorkerMain, type TrainingWorkerJob } from './training-workers.js';

const data = workerData as { lowpWorker?: string; job?: CheckWorkerJob } | null;
if (!isMainThread && data?.lowpWorker === 'check' && parentPort !== null) {
  await checkWorkerMain(data.job as CheckWorkerJob, parentPort);
} else if (!isMainThread && data?.lowpWorker === 'training' && parentPort !== null) {
  await trainingWorkerMain(data.job as unknown as TrainingWorkerJob, openForWorker, parentPort);
} else {
  // `lowp check … | head`: the reader went away; stop quietly, as Unix tools do
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const code = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    workerEntry: new URL(import.meta.url),
  });
  // set the status and let the event loop end, so that a pipe receives everything written to stdout
  process.exitCode = code;
}
