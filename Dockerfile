# syntax=docker/dockerfile:1
# One image for every part; the part is the script given to `node`:
#   services/auth/dist/main.js | services/event/dist/main.js | services/issuer/dist/main.js
#   bff/dist/main.js (also serves the web app from web/dist) | packages/db/dist/cli.js up   (migrations)
#   tools/ops/dist/cli.js <command>   (operator commands, docs/operations.md)
# Build: docker build -t registry.example.com/fcfs:<tag> .   (see deploy/k8s/README.md)

# ---- build: all dependencies (buf and ts-proto generate the gRPC code, graphql-codegen the BFF resolver types), compile, then drop dev deps
FROM node:24-slim AS build
WORKDIR /app
# Every workspace's package.json first, so `npm ci` is cached until a dependency changes.
COPY package.json package-lock.json ./
COPY packages/kit/package.json packages/kit/
COPY packages/db/package.json packages/db/
COPY packages/stock/package.json packages/stock/
COPY proto/package.json proto/
COPY services/auth/package.json services/auth/
COPY services/event/package.json services/event/
COPY services/issuer/package.json services/issuer/
COPY bff/package.json bff/
COPY loadtest/package.json loadtest/
COPY web/package.json web/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json buf.yaml buf.gen.yaml ./
COPY proto proto
COPY packages packages
COPY services services
COPY bff bff
COPY web web
COPY tools tools
RUN npm run generate \
 && npx tsc -b packages/db services/auth services/event services/issuer bff tools/ops \
 && npm run build -w web \
 && npm prune --omit=dev --no-audit --no-fund
# The runtime tree: each part's package.json, compiled JavaScript and whatever it reads at run
# time next to it (Lua scripts, e-mail templates), without TypeScript sources, maps or tests.
RUN mkdir /out \
 && for part in packages/* proto services/* bff tools/ops; do \
      tar -C /app --exclude=node_modules --exclude='*.ts' --exclude='*.test.js' --exclude='*.map' --exclude='*.tsbuildinfo' \
          --exclude='__fixtures__' -cf - "$part" | tar -C /out -xf - ; \
    done \
 && mkdir -p /out/web && cp -r web/dist /out/web/dist

# ---- runtime: production dependencies and compiled parts only, as the unprivileged `node` user
FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /out ./
# uid 1000, as the Deployments' runAsUser; the root filesystem is mounted read-only in the cluster.
USER node
# No default part: every Deployment and Job names its script in `args`.
ENTRYPOINT ["node"]
