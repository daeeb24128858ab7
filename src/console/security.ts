import { secureHeaders } from 'hono/secure-headers';

/**
 * Headers of every console response: a strict Content-Security-Policy (only this origin's own
 * script and stylesheet; no inline script or style, no plugins, no framing, no foreign images, so a
 * markdown image beacon in a transcript cannot load), no referrer, no sniffing.
 */
export const consoleSecurityHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'blob:'],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
  referrerPolicy: 'no-referrer',
  xFrameOptions: 'DENY',
  crossOriginResourcePolicy: 'same-origin',
  crossOriginOpenerPolicy: 'same-origin',
});
