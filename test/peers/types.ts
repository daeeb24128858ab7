/** What a locally started AWS protocol peer offers a test: where it listens and how to stop it. */
export interface PeerEndpoint {
  /** `http://127.0.0.1:<port>` — pass as the client's `endpoint`. */
  readonly endpoint: string;
  readonly region: string;
  /** Dummy credentials the peer accepts (SigV4 signatures are computed with them). */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

export const PEER_REGION = 'us-east-1';
export const PEER_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKIDLOCALPEER',
  secretAccessKey: 'local-peer-secret',
});
