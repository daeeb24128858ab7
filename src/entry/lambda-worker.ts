// SQS FIFO worker Lambda (container image). Cold-start cache: secrets, clients, runner.
import { loadLambdaEnv } from '../app/lambda/env.js';
import { buildWorkerHandler, type WorkerHandler } from '../app/lambda/worker.js';
import type { SqsEvent } from '../queue/sqs-batch.js';

let ready: Promise<WorkerHandler> | undefined;

export async function handler(event: SqsEvent) {
  ready ??= loadLambdaEnv(process.env)
    .then(buildWorkerHandler)
    .then((built) => built.handler);
  return (await ready)(event);
}
