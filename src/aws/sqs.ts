import { SQSClient } from '@aws-sdk/client-sqs';
import { baseClientConfig, type AwsClientOptions } from './config.js';

/** An SQS client with the shared policy (the FIFO producer and the long-polling consumer take it). */
export function createSqsClient(options: AwsClientOptions): SQSClient {
  return new SQSClient(baseClientConfig(options));
}
