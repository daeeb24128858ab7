import {
  AGENT_LISTING,
  SKILL_LISTING,
  STREAM_WORDS_MAX,
  STREAM_WORDS_MIN,
  firstBashBlock,
  listedDeferredTools,
  listedNames,
  parseDemoCommand,
  skillBaseDirectory,
  subagentReport,
  substituteSkillDir,
  type DemoCommand,
} from './demo-commands.js';
import {
  attachmentsOf,
  blocksOf,
  humanText,
  isDeferredTool,
  isSubagentRequest,
  isTextBlock,
  isToolResultBlock,
  isToolUseBlock,
  lastHumanIndex,
  systemMessagesText,
  systemBlocks,
  toolNames,
  toolResultText,
  type Attachments,
  type ToolUseBlock,
} from './transcript-view.js';
import type { Message, RecordedRequest, TextReply, ToolUseReply } from './types.js';

/**
 * The offline demo model: deterministic answers that make the agent's plumbing visible without a
 * real model. Stateless — each request's transcript says where a multi-step command stands. The
 * grammar is documented in `README.md` next to this file.
 */

export const DEMO_LABEL = '[offline demo model]';

type DemoReply = TextReply | ToolUseReply;

const say = (text: string): TextReply => ({ kind: 'text', text: `${DEMO_LABEL} ${text}` });

export function demoModel(request: RecordedRequest): DemoReply {
  const human = lastHumanIndex(request);
  const messages = request.body.messages;
  if (human === -1) return say('I was not shown any user text, so there is nothing to answer.');
  const message = messages[human] as Message;
  const instruction = humanText(message) ?? '';
  const attached = isSubagentRequest(request) ? undefined : attachmentsOf(message);

  const after = messages.slice(human + 1).filter((m) => m.role === 'user' || m.role === 'assistant');
  const last = after.at(-1);
  const reply =
    last === undefined || last.role !== 'user'
      ? startCommand(request, instruction, human)
      : continueAfterTool(request, instruction, after, human);
  return attached ? withAttachments(reply, attached) : reply;
}

/**
 * A final answer to a message with attachments ends with what the model was shown, e.g.
 * `Attachments: 2 images, 1 PDF document; files: /abs/a.png, /abs/b.log`.
 */
function withAttachments(reply: DemoReply, attached: Attachments): DemoReply {
  if (reply.kind !== 'text') return reply;
  const line = `\n${attachmentsLine(attached)}`;
  return {
    ...reply,
    text: reply.text + line,
    ...(reply.deltas ? { deltas: [...reply.deltas, line] } : {}),
  };
}

export function attachmentsLine(attached: Attachments): string {
  const count = (n: number, what: string): string[] => (n === 0 ? [] : [`${n} ${what}${n === 1 ? '' : 's'}`]);
  const shown = [
    ...count(attached.images, 'image'),
    ...count(attached.documents.pdf, 'PDF document'),
    ...count(attached.documents.other, 'document'),
  ];
  const files = attached.paths.length > 0 ? `; files: ${attached.paths.join(', ')}` : '';
  return `Attachments: ${shown.join(', ') || 'no images or documents'}${files}`;
}

function startCommand(request: RecordedRequest, instruction: string, human: number): DemoReply {
  const command = parseDemoCommand(instruction);
  switch (command.kind) {
    case 'skill':
      return useSkill(request, command.name);
    case 'subagent':
      return askSubagent(request, command);
    case 'tool':
      return callTool(request, command.name, command.input);
    case 'bad_tool_args':
      return say(`I cannot call ${command.name}: the arguments are ${command.problem}.`);
    case 'stream_words':
      return streamWords(command.count);
    case 'bad_word_count':
      return say(
        `I can stream ${STREAM_WORDS_MIN} to ${STREAM_WORDS_MAX} words (a whole number); "${command.requested}" is not in that range.`,
      );
    case 'chat':
      return isSubagentRequest(request)
        ? subagentChat(request, instruction)
        : chat(request, instruction, human);
  }
}

/** `human`: the index of the message being answered; the texts before it are what it remembers. */
function chat(request: RecordedRequest, instruction: string, human: number): TextReply {
  const earlier = request.body.messages.slice(0, human).flatMap((m) => humanText(m) ?? []);
  const previous = earlier.at(-1);
  const memory =
    previous === undefined
      ? 'I was shown no earlier user messages — this is the start of the conversation.'
      : `I was shown ${earlier.length} earlier user message${earlier.length === 1 ? '' : 's'}. ` +
        `The most recent one was: "${previous}"`;
  return say(`${memory}\n${instruction === '' ? 'You sent no text.' : `You said: "${instruction}"`}`);
}

/** `word1 … wordN`, one delta per word (the label rides with the first), paced by the server. */
function streamWords(count: number): TextReply {
  const deltas = Array.from({ length: count }, (_, i) => (i === 0 ? `${DEMO_LABEL} word1` : ` word${i + 1}`));
  return { kind: 'text', text: deltas.join(''), deltas };
}

function subagentChat(request: RecordedRequest, task: string): TextReply {
  // Blocks: billing header, the SDK's (or Claude Code's) preamble, then the subagent's own prompt last.
  const own = systemBlocks(request)
    .filter(
      (b) => !/^(x-anthropic-billing-header:|You are a Claude agent, built on|You are Claude Code)/.test(b),
    )
    .at(-1);
  const ownPrompt = own?.split('\n')[0] ?? '';
  return say(`Subagent report: I received the task "${task}". My instructions begin: "${ownPrompt}"`);
}

function offered(request: RecordedRequest, name: string): boolean {
  return toolNames(request).includes(name);
}

function useSkill(request: RecordedRequest, name: string): DemoReply {
  if (!offered(request, 'Skill')) return say(`I cannot use skill "${name}": the Skill tool is not offered.`);
  const skills = listedNames(systemMessagesText(request), SKILL_LISTING);
  if (skills !== undefined && !skills.includes(name)) {
    return say(`Skill "${name}" is not offered. Offered skills: ${skills.join(', ') || 'none'}.`);
  }
  return { kind: 'tool_use', name: 'Skill', input: { skill: name }, text: `Using skill "${name}".` };
}

function askSubagent(request: RecordedRequest, command: { agentType: string; prompt: string }): DemoReply {
  const { agentType, prompt } = command;
  if (!offered(request, 'Agent')) {
    return say(`I cannot ask subagent "${agentType}": the Agent tool is not offered.`);
  }
  const types = listedNames(systemMessagesText(request), AGENT_LISTING);
  if (types !== undefined && !types.includes(agentType)) {
    return say(`Subagent "${agentType}" is not offered. Offered subagents: ${types.join(', ') || 'none'}.`);
  }
  return {
    kind: 'tool_use',
    name: 'Agent',
    input: { description: `Ask ${agentType}`, prompt, subagent_type: agentType },
    text: `Asking subagent "${agentType}".`,
  };
}

/** A tool that was already loaded through ToolSearch in this conversation. */
function loadedByToolSearch(request: RecordedRequest, name: string): boolean {
  return request.body.messages.some((m) =>
    blocksOf(m)
      .filter(isToolResultBlock)
      .some((b) => toolResultText(b).includes(`[tool_reference ${name}]`)),
  );
}

function callTool(request: RecordedRequest, name: string, input: Record<string, unknown>): DemoReply {
  const direct =
    offered(request, name) && (!isDeferredTool(request, name) || loadedByToolSearch(request, name));
  if (direct) return { kind: 'tool_use', name, input };
  const deferred =
    isDeferredTool(request, name) || listedDeferredTools(systemMessagesText(request)).includes(name);
  if (deferred && offered(request, 'ToolSearch')) {
    return { kind: 'tool_use', name: 'ToolSearch', input: { query: `select:${name}` } };
  }
  const names = toolNames(request).filter((n) => !isDeferredTool(request, n));
  return say(`Tool "${name}" is not offered. Offered tools: ${names.join(', ') || 'none'}.`);
}

function continueAfterTool(
  request: RecordedRequest,
  instruction: string,
  after: Message[],
  human: number,
): DemoReply {
  const resultMessage = after.at(-1) as Message;
  const assistant = after.filter((m) => m.role === 'assistant').at(-1);
  const call = assistant ? blocksOf(assistant).filter(isToolUseBlock).at(-1) : undefined;
  const result = blocksOf(resultMessage)
    .filter(isToolResultBlock)
    .find((b) => b.tool_use_id === call?.id);
  if (call === undefined || result === undefined) return chat(request, instruction, human);

  const output = toolResultText(result);
  if (result.is_error === true) return say(`The ${call.name} tool failed: "${output}"`);
  switch (call.name) {
    case 'Skill':
      return afterSkill(request, call, resultMessage, output);
    case 'Bash':
      return say(`Ran \`${String(call.input['command'])}\`${fromSkill(after)}. Output:\n${output}`);
    case 'Agent':
      return say(`Subagent "${String(call.input['subagent_type'])}" answered: "${subagentReport(output)}"`);
    case 'ToolSearch':
      return afterToolSearch(request, instruction, output);
    default:
      return say(`Tool ${call.name} returned: "${output}"`);
  }
}

function afterSkill(
  request: RecordedRequest,
  call: ToolUseBlock,
  resultMessage: Message,
  output: string,
): DemoReply {
  const skill = String(call.input['skill']);
  // The binary answers "Launching skill: x" and sends the body as a text block beside the result.
  const body =
    blocksOf(resultMessage)
      .filter(isTextBlock)
      .map((b) => b.text)
      .filter((t) => !t.trimStart().startsWith('<system-reminder>'))
      .join('\n') || output;
  const bash = firstBashBlock(body);
  if (bash === undefined) return say(`Loaded skill "${skill}"; it has no bash block. It says:\n${body}`);
  if (!offered(request, 'Bash')) {
    return say(`Skill "${skill}" wants to run \`${bash}\`, but the Bash tool is not offered.`);
  }
  const command = substituteSkillDir(bash, skillBaseDirectory(body));
  return {
    kind: 'tool_use',
    name: 'Bash',
    input: { command, description: `Run the command of skill ${skill}` },
    text: `Running the command from skill "${skill}".`,
  };
}

function fromSkill(after: Message[]): string {
  const skillCall = after.flatMap((m) => blocksOf(m).filter(isToolUseBlock)).find((b) => b.name === 'Skill');
  return skillCall ? ` from skill "${String(skillCall.input['skill'])}"` : '';
}

function afterToolSearch(request: RecordedRequest, instruction: string, output: string): DemoReply {
  const command: DemoCommand = parseDemoCommand(instruction);
  if (command.kind !== 'tool') return say(`ToolSearch returned: "${output}"`);
  if (!output.includes(`[tool_reference ${command.name}]`)) {
    return say(`ToolSearch could not load "${command.name}": "${output}"`);
  }
  return { kind: 'tool_use', name: command.name, input: command.input };
}
