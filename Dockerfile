# Builds truc in release mode on Debian 12 with the Swift toolchain, and runs it on a slim Debian 12 as an
# unprivileged user. No private key is in the image (.dockerignore drops every *.key): `truc serve` makes the
# installation's own PKI in its data directory on first start (or is given real certificates).
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libxml2-dev libssl-dev libsqlite3-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# What the package manifest needs: its sources, the schemas it embeds, and the test targets' folders it names.
COPY Package.swift ./
COPY Sources ./Sources
COPY Schemas ./Schemas
COPY Tests ./Tests
RUN swift build -c release --product truc --static-swift-stdlib && cp .build/release/truc /usr/local/bin/truc

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libxml2 libssl3 libsqlite3-0 zlib1g ca-certificates openssl python3 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/truc --shell /usr/sbin/nologin truc \
    && mkdir -p /var/lib/truc && chown truc:truc /var/lib/truc
COPY --from=build /usr/local/bin/truc /usr/local/bin/truc
# The compose demo mounts the repository's Certs/demo at run time (--demo-pki); nothing of it is baked in.
COPY Tests/Fixtures/vpcp /opt/truc/samples
COPY Tests/Fixtures/vpcp /opt/truc/Tests/Fixtures/vpcp
COPY Tests/Fixtures/signatures /opt/truc/Tests/Fixtures/signatures
COPY scripts/two-hub-demo.sh /opt/truc/scripts/two-hub-demo.sh
WORKDIR /opt/truc
USER truc
ENV TRUC_DATA_DIR=/var/lib/truc
VOLUME /var/lib/truc
EXPOSE 8443
# Liveness: /healthz over the hub's own TLS (its CA is in the data directory once the hub made its PKI).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS --cacert /var/lib/truc/pki/trust/root-ca.pem https://127.0.0.1:8443/healthz || curl -fsSk https://127.0.0.1:8443/healthz || exit 1
ENTRYPOINT ["truc"]
CMD ["serve", "--host", "0.0.0.0", "--data", "/var/lib/truc"]
