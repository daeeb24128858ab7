/**
 * The per-conversation FIFO of typed work items (`QueuedMessage`, a union on `kind`; its wire
 * codec in `message.ts`): the in-process queue and the SQS FIFO producer, consumer and Lambda
 * batch handler. Safe to import anywhere: the SQS adapters load the AWS SDK only when used.
 */
export type {
  ConversationQueue,
  DeadLetterHandler,
  Delivery,
  QueueConsumer,
  QueueHandler,
  QueuedKind,
  QueuedMessage,
  AgentWork,
  ResetWork,
  DebugWork,
  CostWork,
  TelegramReplyTarget,
  TelegramSource,
  WorkSource,
} from './types.js';
export { DEFAULT_MAX_RECEIVES } from './types.js';
export { QueueError, QueueMessageFormatError } from './errors.js';
export {
  decodeQueuedMessage,
  encodeQueuedMessage,
  QUEUED_KINDS,
  sourceId,
  messageDeduplicationId,
  messageGroupId,
} from './message.js';
export { createMemoryQueue, type MemoryQueue, type MemoryQueueOptions } from './memory.js';
export { createSqsQueue, type SqsQueueOptions } from './sqs-producer.js';
export { createSqsConsumer, type SqsConsumerOptions } from './sqs-consumer.js';
export {
  createSqsBatchHandler,
  type SqsBatchHandlerOptions,
  type SqsBatchResponse,
  type SqsEvent,
  type SqsEventRecord,
} from './sqs-batch.js';
