# replayfarm: API + worker. Multi-stage: compile what runs (tsconfig.build.json: core,
# browser-pool, recorder, replayer, server; no tests, benches or demo), then a runtime image with
# production dependencies only and Debian's Chromium (Playwright's own browser download is not used).
# No Docker engine in the development sandbox: test/ops/docker-build.test.ts copies what this build
# stage copies into a scratch folder and runs its RUN lines there, so a broken build shows in npm test.
# Node 24 (LTS; Node 20 reached end of life in April 2026).

FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-assets.mjs scripts/bundle-cli.mjs scripts/bundle-console.mjs ./scripts/
COPY core ./core
COPY browser-pool ./browser-pool
COPY recorder ./recorder
COPY replayer ./replayer
COPY server ./server
COPY console ./console
RUN npm run build
RUN npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium xvfb xauth fonts-liberation ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system replayfarm && useradd --system --gid replayfarm --create-home replayfarm
WORKDIR /app
# WORKER_HTTP_PORT: `replayfarm worker` serves /healthz, /readyz and /metrics there (the API's are on PORT)
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    WORKER_HTTP_PORT=3001 \
    BROWSER_EXECUTABLE=/usr/bin/chromium \
    LOG_FORMAT=json
COPY --from=build --chown=replayfarm:replayfarm /app/package.json ./package.json
COPY --from=build --chown=replayfarm:replayfarm /app/node_modules ./node_modules
COPY --from=build --chown=replayfarm:replayfarm /app/dist ./dist
USER replayfarm
EXPOSE 3000 3001
# healthy when the API (serve) or the worker's listener (worker) answers /healthz
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "Promise.any([process.env.PORT,process.env.WORKER_HTTP_PORT].filter(p=>p&&p!=='0').map(p=>fetch('http://127.0.0.1:'+p+'/healthz').then(r=>{if(!r.ok)throw r.status}))).then(()=>process.exit(0),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/server/cli.js"]
CMD ["serve"]
