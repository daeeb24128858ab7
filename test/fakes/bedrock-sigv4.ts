import { createHash, createHmac } from 'node:crypto';

/**
 * Reading (and optionally verifying) the AWS Signature V4 `authorization` header of a request the
 * `claude` binary sent to the fake Bedrock runtime.
 */

export type BedrockAuth =
  | {
      scheme: 'sigv4';
      accessKeyId: string;
      /** Credential scope parts: `<date>/<region>/<service>/aws4_request`. */
      date: string;
      region: string;
      service: string;
      signedHeaders: string[];
      /** `undefined` when no secret was given to check against. */
      signatureValid: boolean | undefined;
    }
  | { scheme: 'bearer' }
  | { scheme: 'none' }
  | { scheme: 'other'; value: string };

const SIGV4_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/;

export interface SignedRequest {
  method: string;
  /** The path and query exactly as received (`req.url`). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function header(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function readBedrockAuth(request: SignedRequest, secretAccessKey?: string): BedrockAuth {
  const authorization = header(request.headers, 'authorization');
  if (authorization === undefined) return { scheme: 'none' };
  if (/^Bearer\s/i.test(authorization)) return { scheme: 'bearer' };
  const m = SIGV4_RE.exec(authorization);
  if (!m) return { scheme: 'other', value: authorization.split(' ')[0] ?? '' };
  const [, accessKeyId = '', date = '', region = '', service = '', signed = '', signature = ''] = m;
  const signedHeaders = signed.split(';');
  const signatureValid =
    secretAccessKey === undefined
      ? undefined
      : expectedSignature(request, { secretAccessKey, date, region, service, signedHeaders }) === signature;
  return { scheme: 'sigv4', accessKeyId, date, region, service, signedHeaders, signatureValid };
}

/** RFC 3986 escaping as the AWS signer does it. */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Non-S3 services escape the (already escaped) path once more, segment by segment. */
function canonicalPath(pathname: string): string {
  return escapeUri(pathname).replace(/%2F/g, '/');
}

function canonicalQuery(search: string): string {
  const params = [...new URLSearchParams(search)];
  return params
    .map(([k, v]) => `${escapeUri(k)}=${escapeUri(v)}`)
    .sort()
    .join('&');
}

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

interface Scope {
  secretAccessKey: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
}

function expectedSignature(request: SignedRequest, scope: Scope): string {
  const url = new URL(request.url, 'http://localhost');
  const canonicalHeaders = scope.signedHeaders
    .map((name) => `${name}:${(header(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = header(request.headers, 'x-amz-content-sha256') ?? sha256(request.body);
  const canonicalRequest = [
    request.method,
    canonicalPath(url.pathname),
    canonicalQuery(url.search),
    canonicalHeaders,
    scope.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const amzDate = header(request.headers, 'x-amz-date') ?? '';
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${scope.secretAccessKey}`, scope.date), scope.region), scope.service),
    'aws4_request',
  );
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}
