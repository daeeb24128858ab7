import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Which IAM actions a piece of code needs, read from the AWS SDK commands it constructs
 * (`new XCommand(`). Unknown commands are reported, so a new call cannot slip past the IAM test.
 */
const COMMAND_ACTIONS: Record<string, string[]> = {
  GetCommand: ['dynamodb:GetItem'],
  GetItemCommand: ['dynamodb:GetItem'],
  PutCommand: ['dynamodb:PutItem'],
  PutItemCommand: ['dynamodb:PutItem'],
  UpdateCommand: ['dynamodb:UpdateItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'],
  DeleteCommand: ['dynamodb:DeleteItem'],
  DeleteItemCommand: ['dynamodb:DeleteItem'],
  QueryCommand: ['dynamodb:Query'],
  ScanCommand: ['dynamodb:Scan'],
  BatchGetCommand: ['dynamodb:BatchGetItem'],
  BatchWriteCommand: ['dynamodb:BatchWriteItem'],
  TransactGetCommand: ['dynamodb:GetItem'],
  // TransactWrite is authorised per item: see transactItemActions.
  TransactWriteCommand: [],
  TransactWriteItemsCommand: [],
  PutObjectCommand: ['s3:PutObject'],
  // Multipart uploads are authorised by s3:PutObject, except their abort.
  CreateMultipartUploadCommand: ['s3:PutObject'],
  UploadPartCommand: ['s3:PutObject'],
  CompleteMultipartUploadCommand: ['s3:PutObject'],
  AbortMultipartUploadCommand: ['s3:AbortMultipartUpload'],
  GetObjectCommand: ['s3:GetObject'],
  HeadObjectCommand: ['s3:GetObject'],
  ListObjectsV2Command: ['s3:ListBucket'],
  DeleteObjectCommand: ['s3:DeleteObject'],
  DeleteObjectsCommand: ['s3:DeleteObject'],
  SendMessageCommand: ['sqs:SendMessage'],
  SendMessageBatchCommand: ['sqs:SendMessage'],
  ReceiveMessageCommand: ['sqs:ReceiveMessage'],
  DeleteMessageCommand: ['sqs:DeleteMessage'],
  DeleteMessageBatchCommand: ['sqs:DeleteMessage'],
  ChangeMessageVisibilityCommand: ['sqs:ChangeMessageVisibility'],
  ChangeMessageVisibilityBatchCommand: ['sqs:ChangeMessageVisibility'],
  GetQueueAttributesCommand: ['sqs:GetQueueAttributes'],
  GetParametersCommand: ['ssm:GetParameters'],
  // A schedule's definition names the role Scheduler assumes: creating or replacing it passes that role.
  CreateScheduleCommand: ['scheduler:CreateSchedule', 'iam:PassRole'],
  UpdateScheduleCommand: ['scheduler:UpdateSchedule', 'iam:PassRole'],
  DeleteScheduleCommand: ['scheduler:DeleteSchedule'],
  GetScheduleCommand: ['scheduler:GetSchedule'],
  ListSchedulesCommand: ['scheduler:ListSchedules'],
};

/**
 * `@aws-sdk/lib-storage`'s `new Upload(`: PutObject, or Create/UploadPart/Complete (all authorised
 * by s3:PutObject) and, for a failed upload, AbortMultipartUpload (its own action).
 */
const UPLOAD_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload'];

function transactItemActions(source: string): string[] {
  const actions: string[] = [];
  if (/\bConditionCheck\s*:/.test(source)) actions.push('dynamodb:ConditionCheckItem');
  if (/\bPut\s*:/.test(source)) actions.push('dynamodb:PutItem');
  if (/\bUpdate\s*:/.test(source)) actions.push('dynamodb:UpdateItem');
  if (/\bDelete\s*:/.test(source)) actions.push('dynamodb:DeleteItem');
  return actions;
}

function listTs(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path).flatMap((name) => listTs(join(path, name)));
}

export interface CodeActions {
  files: string[];
  actions: Map<string, string[]>;
  unknownCommands: string[];
}

/** IAM actions used by the given source files/folders (paths relative to `root`; missing ones are skipped). */
export function codeActions(root: string, paths: string[]): CodeActions {
  const files = paths.flatMap((p) => listTs(join(root, p)));
  const actions = new Map<string, string[]>();
  const unknownCommands: string[] = [];
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    if (/new\s+Upload\s*\(/.test(source)) {
      for (const action of UPLOAD_ACTIONS)
        actions.set(action, [...(actions.get(action) ?? []), relative(root, file)]);
    }
    for (const m of source.matchAll(/new\s+(\w+Command)\s*\(/g)) {
      const command = m[1] as string;
      const mapped = COMMAND_ACTIONS[command];
      if (!mapped) {
        unknownCommands.push(`${command} in ${relative(root, file)}`);
        continue;
      }
      const list = command.startsWith('TransactWrite') ? transactItemActions(source) : mapped;
      for (const action of list) {
        const where = actions.get(action) ?? [];
        where.push(relative(root, file));
        actions.set(action, where);
      }
    }
  }
  return { files: files.map((f) => relative(root, f)), actions, unknownCommands };
}
