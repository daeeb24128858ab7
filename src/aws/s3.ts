import { S3Client } from '@aws-sdk/client-s3';
import { baseClientConfig, type AwsClientOptions } from './config.js';

/** An S3 client with the shared policy; an endpoint override implies path-style URLs (fauxqs, MinIO, R2). */
export function createS3Client(options: AwsClientOptions): S3Client {
  return new S3Client({
    ...baseClientConfig(options),
    ...(options.endpoint ? { forcePathStyle: true } : {}),
  });
}
