# replayfarm: API + worker. Multi-stage: compile TypeScript, then a runtime image with production
# dependencies only and Debian's Chromium (Playwright's own browser download is not used).
# Not built in the development sandbox (no Docker engine there); kept in step with package.json.

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY core ./core
COPY browser-pool ./browser-pool
COPY recorder ./recorder
COPY replayer ./replayer
COPY server ./server
COPY test ./test
COPY bench ./bench
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium xvfb xauth fonts-liberation ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system replayfarm && useradd --system --gid replayfarm --create-home replayfarm
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    BROWSER_EXECUTABLE=/usr/bin/chromium \
    LOG_FORMAT=json
COPY --from=build --chown=replayfarm:replayfarm /app/package.json ./package.json
COPY --from=build --chown=replayfarm:replayfarm /app/node_modules ./node_modules
COPY --from=build --chown=replayfarm:replayfarm /app/dist ./dist
USER replayfarm
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "node", "dist/server/cli.js"]
CMD ["serve"]
