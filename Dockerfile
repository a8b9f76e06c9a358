# Quiver: `docker build -t quiver:0.1.0 .` — one image for serve replicas and workers
# (deploy/kubernetes/). Settings come from the environment (SPEC §11).
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
COPY scripts/ scripts/
COPY src/ src/
COPY bin/ bin/
COPY tsconfig.json tsconfig.types.json ./
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# Python runtimes (scikit-learn, XGBoost, PyTorch conversion) and the pickle sandbox; build with
# --build-arg PYTHON=0 for an image that serves ONNX and native models only.
ARG PYTHON=1
RUN if [ "$PYTHON" = "1" ]; then \
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        python3 python3-numpy python3-sklearn python3-xgboost python3-torch python3-pandas python3-onnx bubblewrap unzip \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
ENV NODE_ENV=production QUIVER_HOME=/var/lib/quiver
COPY --from=build /app /app
RUN mkdir -p /var/lib/quiver && chown node:node /var/lib/quiver
USER node
EXPOSE 8080
# `quiver serve` drains in-flight requests for up to 10 s on SIGTERM.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/quiver"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
