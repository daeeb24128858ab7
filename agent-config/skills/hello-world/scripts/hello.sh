#!/usr/bin/env bash
# hello-world skill: prints a greeting with the current date and the host it ran on.
# Usage: bash .claude/skills/hello-world/scripts/hello.sh [NAME]
set -euo pipefail

name="${1:-there}"
host="$(hostname 2>/dev/null || uname -n 2>/dev/null || echo unknown-host)"

printf 'Hello, %s!\n' "$name"
printf 'Date: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
printf 'Host: %s\n' "$host"
printf 'This greeting was produced by the hello-world skill of the OmniCloud Ops Agent.\n'
