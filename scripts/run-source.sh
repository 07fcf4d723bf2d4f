#!/usr/bin/env bash
# Runs a workspace TypeScript file straight from source: scripts/run-source.sh packages/suite/src/cli/main.ts status
here="$(cd "$(dirname "$0")" && pwd)"
exec node --conditions=@voicehive/source --experimental-transform-types --no-warnings=ExperimentalWarning \
  --import "$here/register-source-hooks.mjs" "$@"
