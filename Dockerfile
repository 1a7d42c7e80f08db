# weft: one image for every role (migrate, orchestrator, worker, api); the command picks it.
#   docker build -t weft:local .
#   docker run --rm -e DATABASE_URL=postgres://… weft:local migrate

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production \
    WEFT_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY sql ./sql
COPY migrations ./migrations
COPY config ./config
COPY schemas ./schemas
USER node
ENTRYPOINT ["node", "bin/weft.js"]
CMD ["--help"]
