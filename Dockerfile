# Worker and agent-API image for AWS Lambda (Node.js 22 base image). `sam build` builds it once
# per image function (template.yaml: WorkerFunction, ApiFunction) for the functions' architecture,
# passing TARGET_ARCH (arm64 | x86_64). The CMD below is the worker; the API function overrides it
# with ImageConfig.Command. Docker is not available where this repo is developed; test/deploy checks
# what can be checked statically (sources exist, handler paths, platform binary, /tmp layout).
ARG NODE_IMAGE=public.ecr.aws/lambda/nodejs:22

# ---- build: compile TypeScript (dev dependencies, no install scripts) ----------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: the root `prepare` script would build before the sources exist, and no native
# module needs compiling to type-check and emit.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# ---- deps: production dependencies + the claude binary for the target architecture ---------------
FROM ${NODE_IMAGE} AS deps
ARG TARGET_ARCH=arm64
WORKDIR /deps
COPY package.json package-lock.json ./
# npm installs the SDK's optional platform package matching this build's CPU (sam build runs the
# build under --platform linux/<arch>); we check it is the one TARGET_ARCH asks for and drop every
# other platform package (musl, darwin, win32: ~200 MB each).
# better-sqlite3 is the local (SQLite) backend; Lambda uses S3 + DynamoDB, and its native addon is
# only loaded when a SQLite database is opened, so it is installed without its build (no compiler in
# the base image) and its C sources are removed.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && NPM_ARCH="$([ "$TARGET_ARCH" = "x86_64" ] && echo x64 || echo arm64)" \
 && test -x "node_modules/@anthropic-ai/claude-agent-sdk-linux-${NPM_ARCH}/claude" \
 && find node_modules/@anthropic-ai -mindepth 1 -maxdepth 1 -name 'claude-agent-sdk-*' \
      ! -name "claude-agent-sdk-linux-${NPM_ARCH}" -exec rm -rf {} + \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
# Lambda's filesystem is read-only except /tmp: the binary's home, config dir, temp files and our
# data dir all live there. The agent configuration is baked into the image (read-only is fine).
ENV NODE_ENV=production \
    HOME=/tmp \
    TMPDIR=/tmp \
    CLAUDE_CONFIG_DIR=/tmp/claude \
    NPM_CONFIG_CACHE=/tmp/.npm \
    OMNICLOUD_DATA_DIR=/tmp/omnicloud \
    OMNICLOUD_CONFIG_DIR=/var/task/agent-config
WORKDIR /var/task
COPY package.json ./
COPY --from=deps /deps/node_modules ./node_modules
COPY --from=build /build/dist ./dist
COPY agent-config ./agent-config
CMD ["dist/entry/lambda-worker.handler"]
