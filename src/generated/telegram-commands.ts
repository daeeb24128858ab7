// Generated from agent-config/commands.yaml by scripts/generate-commands.ts — do not edit.

export const TELEGRAM_COMMANDS: unknown = {
  "commands": {
    "hello-world": {
      "type": "agent",
      "description": "Run the hello-world skill (a bundled script)",
      "prompt": "use skill hello-world {args}"
    },
    "aws": {
      "type": "agent",
      "description": "Ask the AWS support subagent",
      "prompt": "ask subagent aws-support: {args}"
    },
    "about": {
      "type": "static",
      "description": "What this bot is",
      "text": "OmniCloud Ops Agent — a Claude agent for ops and platform work. Conversations are kept for 25 days after the last message; /new starts over."
    }
  }
};
