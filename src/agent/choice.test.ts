import { describe, expect, it } from 'vitest';
import { turnChoice } from './choice.js';

describe('turnChoice', () => {
  it('resolves a conversation alias through the tenant models', () => {
    const choice = turnChoice({
      request: {},
      settings: { model: 'fast' },
      policy: { models: { fast: 'haiku' }, model: 'sonnet' },
      agents: {},
    });
    expect(choice).toEqual({ model: 'haiku', agent: undefined, dropped: [] });
  });

  it('drops an alias the tenant no longer has, even one named like an Object property', () => {
    // `constructor` is a valid alias (MODEL_ALIAS_RE); once removed from the tenants file, the
    // stored setting used to resolve to Object.prototype.constructor and reach the SDK as the model.
    for (const alias of ['constructor', 'tostring', 'valueof']) {
      const choice = turnChoice({
        request: {},
        settings: { model: alias },
        policy: { models: { fast: 'haiku' }, model: 'sonnet' },
        agents: {},
      });
      expect(choice).toEqual({
        model: 'sonnet',
        agent: undefined,
        dropped: [{ setting: 'model', value: alias }],
      });
    }
  });
});
