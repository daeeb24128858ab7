import { PER_TURN } from './per-turn.js';
import { AWS_PRICES, MODEL_PRICES, type ModelClass } from './prices.js';

/** Usage the simulation counts while it runs; turned into dollars by `costOf`. */
export interface Usage {
  turns: number;
  updates: number;
  dynamoWcu: number;
  dynamoRcu: number;
  sqsRequests: number;
  lambdaGbS: number;
  lambdaInvocations: number;
  s3Puts: number;
  s3Gets: number;
}

export const emptyUsage = (): Usage => ({
  turns: 0,
  updates: 0,
  dynamoWcu: 0,
  dynamoRcu: 0,
  sqsRequests: 0,
  lambdaGbS: 0,
  lambdaInvocations: 0,
  s3Puts: 0,
  s3Gets: 0,
});

export interface Cost {
  dynamo: number;
  sqs: number;
  lambda: number;
  s3: number;
  ingress: number;
  aws: number;
  model: number;
}

/** Model cost of one turn with the assumed tokens (docs/scale.md §1). */
export function modelCostPerTurn(model: ModelClass): number {
  const p = MODEL_PRICES[model];
  const t = PER_TURN.model;
  return (
    (t.inputTokens * p.input +
      t.cacheWriteTokens * p.cacheWrite +
      t.cacheReadTokens * p.cacheRead +
      t.outputTokens * p.output) /
    1e6
  );
}

/** Dollars for the usage (request-priced services only; storage is in docs/scale.md §3). */
export function costOf(u: Usage, model: ModelClass): Cost {
  const P = AWS_PRICES;
  const dynamo = (u.dynamoWcu * P.dynamoWritePerM + u.dynamoRcu * P.dynamoReadPerM) / 1e6;
  const sqs = (u.sqsRequests * P.sqsFifoPerM) / 1e6;
  const lambda = u.lambdaGbS * P.lambdaArmGbS + (u.lambdaInvocations * P.lambdaPerM) / 1e6;
  const s3 = (u.s3Puts * P.s3PutPerK + u.s3Gets * P.s3GetPerK) / 1e3;
  const ingressGbS = u.updates * PER_TURN.lambda.ingressMemoryGb * PER_TURN.lambda.ingressBilledS;
  const ingress = (u.updates * (P.httpApiPerM + P.lambdaPerM)) / 1e6 + ingressGbS * P.lambdaArmGbS;
  const aws = dynamo + sqs + lambda + s3 + ingress;
  return { dynamo, sqs, lambda, s3, ingress, aws, model: u.turns * modelCostPerTurn(model) };
}

/** Scale a cost by a factor (per 1,000 turns, per day). */
export function scaleCost(c: Cost, f: number): Cost {
  return {
    dynamo: c.dynamo * f,
    sqs: c.sqs * f,
    lambda: c.lambda * f,
    s3: c.s3 * f,
    ingress: c.ingress * f,
    aws: c.aws * f,
    model: c.model * f,
  };
}
