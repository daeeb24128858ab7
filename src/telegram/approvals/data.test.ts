import { describe, expect, it } from 'vitest';
import { newApprovalId } from '../../approvals/ids.js';
import { APPROVAL_DECISIONS } from '../../approvals/types.js';
import { approvalButtonData, isApprovalData, parseApprovalData } from './data.js';

describe('approval button data', () => {
  it('round-trips every decision within 64 bytes, naming only the request and the choice', () => {
    const id = newApprovalId();
    for (const decision of APPROVAL_DECISIONS) {
      const data = approvalButtonData(id, decision);
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(isApprovalData(data)).toBe(true);
      expect(parseApprovalData(data)).toEqual({ id, decision });
    }
  });

  it('refuses anything else', () => {
    const id = newApprovalId();
    for (const bad of [
      `ap:${id}`,
      `ap:${id}:x`,
      `ap:${id}:oo`,
      `ap:${id.slice(1)}:o`,
      `ap:${id}x:o`,
      `ap:${id.slice(1)}/:o`,
      ` ap:${id}:o`,
      `ap:${id}:o\n`,
      'stop:1',
      '',
    ]) {
      expect(parseApprovalData(bad)).toBeUndefined();
    }
  });
});
