import { randomBytes } from 'node:crypto';
import { conditionFailedItem } from './errors.js';

/**
 * Recognising one's own write after a lost response. DynamoDB applied the first attempt, its
 * response was lost, and the client re-sent the same request: an `ADD` would count twice and a
 * condition on the old state fails on our own change. A write that stores a random id (one per
 * call, so every SDK attempt carries the same one) can refuse to apply twice — the condition
 * `notOwnWrite` — and, asking for the item a failed condition found
 * (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`), tell its own earlier attempt from a real
 * conflict (`isOwnWrite`). `TransactWriteItems` needs none of this: the SDK fills its
 * `ClientRequestToken`, and DynamoDB answers a retry with the same token as a success.
 */
export function newWriteId(): string {
  return randomBytes(8).toString('hex');
}

/** `(attribute_not_exists(#a) OR #a <> :v)`: the write did not store `:v` in `#a` yet. */
export function notOwnWrite(name: string, value: string): string {
  return `(attribute_not_exists(${name}) OR ${name} <> ${value})`;
}

/** The condition failed on an item whose `attribute` is `id`: our own earlier attempt applied. */
export function isOwnWrite(err: unknown, attribute: string, id: string): boolean {
  return conditionFailedItem(err)?.[attribute]?.S === id;
}
