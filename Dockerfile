# The Raytio MCP server for a team: Streamable HTTP with OAuth 2.1 (README "Hosting for a team").
#
#   docker build -t raytio-mcp-server .
#   docker run --read-only --cap-drop ALL --security-opt no-new-privileges -p 8808:8808 \
#     --env-file mcp.env raytio-mcp-server
#
# BASE_IMAGE is any Debian-like image with Node 22 and npm on PATH and a `node` user, as the
# official image has. `npm run container:check -- --base local` builds such a base without a
# registry (debootstrap plus Node from npm) and builds this same file on it.
ARG BASE_IMAGE=docker.io/library/node:22-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /build
# No dependency has an install script (package-lock.json has no hasInstallScript), so none is run:
# what the build executes is exactly what the lock file pins. Behind a TLS-inspecting proxy, pass
# its CA as a build secret (`--secret id=extra_ca,src=ca.pem`): it is trusted for this step only and
# stays out of every layer.
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=extra_ca,required=false \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi; \
    npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs scripts/tool-catalogue.ts scripts/
COPY scripts/shims scripts/shims/
COPY src src/
RUN npm run build

FROM ${BASE_IMAGE}
# The MCP registry matches an OCI image to its server.json entry by this label; the value is
# `mcpName` in package.json (scripts/container.test.ts keeps them equal).
LABEL io.modelcontextprotocol.server.name="io.rayt/mcp-server" \
      org.opencontainers.image.title="Raytio MCP server" \
      org.opencontainers.image.description="MCP server for the Raytio platform, served over Streamable HTTP with OAuth 2.1" \
      org.opencontainers.image.url="https://rayt.io" \
      org.opencontainers.image.licenses="MIT"
WORKDIR /app
# esbuild bundles every dependency into dist/ (scripts/bundle.mjs), so nothing else is installed.
# package.json is read at run time for the name and version. Both stay owned by root: the server
# cannot rewrite its own code even where the root file system is writable.
COPY --from=build /build/package.json ./
COPY --from=build /build/dist dist/
# The server writes no file (Node's compile cache falls back to none when it cannot create its
# folder), so the container runs with a read-only root file system and no tmpfs.
# The audit log (README "Audit log") is the one file the server writes: a volume of its own, so the
# root file system stays read-only and the records outlive the container. Mount a named or host
# volume at /audit to keep them; RAYTIO_AUDIT_LOG=stderr sends them to the container's log instead.
RUN mkdir /audit && chown 1000:1000 /audit && chmod 700 /audit
VOLUME ["/audit"]
ENV NODE_ENV=production \
    MCP_TRANSPORT=http \
    MCP_HOST=0.0.0.0 \
    MCP_PORT=8808 \
    RAYTIO_AUDIT_LOG=/audit/audit.jsonl
# The official image's `node` user, by number so that a runtime can prove the user is not root
# (Kubernetes runAsNonRoot) without reading /etc/passwd.
USER 1000:1000
EXPOSE 8808
# Liveness: /healthz answers while the process serves. An unhealthy container gets replaced
# (Swarm, or whatever watches this status), which helps a stuck process but not a Redis or Raytio
# outage; load balancers should route by /readyz, which reports those. The image has no curl, and
# the probe reads MCP_PORT so it follows a changed port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.MCP_PORT}/healthz`,{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM starts the server's shutdown (src/shutdown.ts); give it the drain time, e.g.
# `docker stop -t 40` or compose's stop_grace_period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/index.js"]
