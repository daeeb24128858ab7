/**
 * The agent-configuration folder (`agent-config/`): subagents, MCP servers, tool permissions,
 * skills and the system prompt, validated into the SDK's option shapes; skill installation into a
 * run's cwd; and the default tool policy derived from it.
 */
export { AGENT_MODEL_ALIASES, BUILTIN_TOOLS } from './agents.js';
export type { EnvRecord } from './interpolate.js';
export { installSkills, SkillInstallError, type SkillInstallResult } from './install.js';
export { defaultAgentConfigDir, loadAgentConfig, type LoadAgentConfigOptions } from './load.js';
export { EVENTS_FILE, loadEventRoutes, type EventRoute } from './events.js';
export { loadPermissions, PERMISSIONS_FILE, type LoadedPermissions } from './permissions.js';
export { loadSchedules, SCHEDULES_FILE } from './schedules.js';
export { defaultToolPolicy, type ToolPolicy, type ToolPolicyOptions } from './policy.js';
export { INSTALLED_SKILLS_DIR } from './skills.js';
export type { AgentConfig, McpServerSummary, SkillInfo, SkillScript } from './types.js';
