import type { SecretParameterClient } from '../config/secrets.js';
import { baseClientConfig, type AwsClientOptions } from './config.js';

/**
 * The secrets' SSM client (`GetParameters` with decryption). It imports `@aws-sdk/client-ssm`
 * lazily, so a process with no secret parameter configured never loads it.
 */
export async function createSsmParameterClient(
  options: AwsClientOptions = {},
): Promise<SecretParameterClient> {
  const { SSMClient, GetParametersCommand } = await import('@aws-sdk/client-ssm');
  const ssm = new SSMClient(baseClientConfig(options));
  return {
    async getParameters(names) {
      const out = await ssm.send(new GetParametersCommand({ Names: [...names], WithDecryption: true }));
      const values = new Map<string, string>();
      for (const p of out.Parameters ?? []) {
        // A name asked with a version/label selector (`name:3`) comes back as Name + Selector.
        if (p.Name !== undefined && p.Value !== undefined)
          values.set(`${p.Name}${p.Selector ?? ''}`, p.Value);
      }
      return { values, invalid: out.InvalidParameters ?? [] };
    },
  };
}
