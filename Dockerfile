# syntax=docker/dockerfile:1
# Astronomy education portal: web server (default CMD) and pipeline worker
# (`node dist/src/worker.js`) share this image. See docker-compose.yml.

# ---- build: full dependencies, compile TypeScript, then drop dev dependencies
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV CI=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# migrations/ is compiled into dist/migrations; mkdir keeps the COPY below valid if it is empty/absent.
RUN mkdir -p migrations public views test/fixtures \
 && npm run build \
 && npm prune --omit=dev

# ---- runtime: production dependencies and compiled output only
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production DATA_DIR=/data PORT=3000
WORKDIR /app
# Application files stay root-owned (read-only for the app); only /data is writable by `node`.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/views ./views
COPY --from=build /app/public ./public
COPY --from=build /app/migrations ./migrations
# The pipeline registry and the scripts its command pipelines run.
COPY --from=build /app/pipelines.config.json ./pipelines.config.json
COPY --from=build /app/pipelines ./pipelines
# The demo seed copies sample FITS frames from here.
COPY --from=build /app/test/fixtures ./test/fixtures
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
CMD ["node", "dist/src/main.js"]
