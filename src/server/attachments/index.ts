/** Files sent with a `POST /v1/chat` message: read from the body, checked, stored before the turn. */
export { assertAccepted, type FileFacts } from '../../files/policy.js';
export { storeAttachments, type AttachmentDeps } from './store.js';
export { base64Size, uploadFromBase64, uploadFromFile, type Upload } from './upload.js';
