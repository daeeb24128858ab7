import type { ModelProvider, ModelSelection } from './provider.js';

/** Limits that make a turn fit a worker's time budget. */
export interface TurnLimits {
  /** Model API retries per request (the binary's default is 10 over ~3 minutes). */
  maxRetries: number;
  /** Per-request model API timeout. */
  apiTimeoutMs: number;
  /** MCP server connect timeout (the binary's default, ~30 s, would stall a turn on a hanging server). */
  mcpTimeoutMs?: number;
}

export interface ChildEnvInput {
  provider: ModelProvider;
  models: ModelSelection;
  limits: TurnLimits;
  /** Where the binary keeps its config and local transcript copy (per tenant). */
  configDir: string;
  /** `CLAUDE_CODE_PROJECT_DIR_NAME`: the tenant's project key, so any container resumes any session. */
  projectDirName: string;
  home: string;
  tmpDir: string;
  /** PATH for tools the agent runs (Bash, stdio MCP servers). */
  path: string;
  /** Extra variables (e.g. for MCP servers); cannot override the ones set here. */
  extra?: Record<string, string>;
}

/**
 * The child's complete environment. `Options.env` REPLACES process.env, so nothing leaks in
 * implicitly: the parent's secrets (bot token, API token, AWS keys of other services) never reach
 * the agent's tools unless listed here.
 */
export function buildChildEnv(input: ChildEnvInput): Record<string, string> {
  const env: Record<string, string> = { ...(input.extra ?? {}) };
  const set = (name: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') env[name] = value;
  };

  set('PATH', input.path);
  set('HOME', input.home);
  set('TMPDIR', input.tmpDir);
  set('LANG', 'C.UTF-8');
  set('CLAUDE_CONFIG_DIR', input.configDir);
  set('CLAUDE_CODE_PROJECT_DIR_NAME', input.projectDirName);
  // No DNS lookups, hello probes or telemetry files; no background subagents (one result per turn).
  set('CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC', '1');
  set('CLAUDE_CODE_DISABLE_BACKGROUND_TASKS', '1');
  set('CLAUDE_CODE_DISABLE_BUNDLED_SKILLS', '1');
  set('DISABLE_AUTOUPDATER', '1');
  set('CLAUDE_CODE_MAX_RETRIES', String(input.limits.maxRetries));
  set('API_TIMEOUT_MS', String(input.limits.apiTimeoutMs));
  set('MCP_TIMEOUT', String(input.limits.mcpTimeoutMs ?? 5_000));

  set('ANTHROPIC_MODEL', input.models.model);
  set('ANTHROPIC_DEFAULT_HAIKU_MODEL', input.models.haiku);
  set('ANTHROPIC_DEFAULT_SONNET_MODEL', input.models.sonnet);
  set('ANTHROPIC_DEFAULT_OPUS_MODEL', input.models.opus);

  const p = input.provider;
  switch (p.kind) {
    case 'offline':
      set('ANTHROPIC_BASE_URL', p.baseUrl);
      set('ANTHROPIC_API_KEY', 'offline-demo-model');
      break;
    case 'anthropic':
      set('ANTHROPIC_API_KEY', p.apiKey);
      set('ANTHROPIC_AUTH_TOKEN', p.authToken);
      set('ANTHROPIC_BASE_URL', p.baseUrl);
      break;
    case 'bedrock':
      set('CLAUDE_CODE_USE_BEDROCK', '1');
      set('AWS_REGION', p.region);
      set('ANTHROPIC_BEDROCK_BASE_URL', p.baseUrl);
      set('AWS_ACCESS_KEY_ID', p.credentials?.accessKeyId);
      set('AWS_SECRET_ACCESS_KEY', p.credentials?.secretAccessKey);
      set('AWS_SESSION_TOKEN', p.credentials?.sessionToken);
      set('AWS_PROFILE', p.profile?.name);
      set('AWS_SHARED_CREDENTIALS_FILE', p.profile?.sharedCredentialsFile);
      set('AWS_BEARER_TOKEN_BEDROCK', p.bearerToken);
      // A store-resumed turn runs in a fresh config dir, so the binary's model-access probe cache
      // is always empty: without this every resumed turn re-sends three probe invocations.
      set('CLAUDE_CODE_PROVIDER_MANAGED_BY_HOST', '1');
      break;
  }
  return env;
}
