# The image that `curate plan --k8s` jobs run (see docs/arrays.md):
#   docker build -t curate:0.1.0 .      (the tag the jobs use by default: curate:<package version>)
# Node.js 22 LTS (@cortex-js/compute-engine needs >= 22.3), curate built from this checkout at
# /app/dist and its runtime dependencies, all installed here: a run needs no network, it reads and
# writes the mounted volume only. The entrypoint is the curate command line, so
#   docker run --rm curate:0.1.0 run /app/pipelines/quickstart.json --out /tmp/quickstart
# checks an image with the bundled samples.

# build: every dependency (TypeScript is a dev dependency), then the compiled dist/
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's "prepare" script compiles, which needs src/ (copied below)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# the build also compiles the mix-file schemas into dist/config/mix-validate.cjs and writes the
# o200k vocabulary table dist/tokens/o200k_base.vocab
COPY schemas ./schemas
COPY scripts/compile-schema.mjs scripts/build-vocab.mjs ./scripts/
RUN npm run build

# runtime: the runtime dependencies, dist/, the schemas the mix loader reads, samples for a check
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schemas ./schemas
COPY pipelines ./pipelines
COPY data-samples ./data-samples
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
