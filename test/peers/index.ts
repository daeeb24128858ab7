export { startFauxqs, type FauxqsPeer } from './fauxqs.js';
export { startDynamoDbLocal, freePort, type DynamoDbLocalPeer } from './dynamodb.js';
export { PEER_CREDENTIALS, PEER_REGION, type PeerEndpoint } from './types.js';
export { startCloudPeers, type CloudPeers } from './cloud.js';
