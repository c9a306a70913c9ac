# Builds truc in release mode on Debian 12 with the Swift toolchain, and runs it on a slim Debian 12.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libxml2-dev libssl-dev libsqlite3-dev zlib1g-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Schemas ./Schemas
# Package.swift names the test targets too: their folders must exist for the manifest to load.
COPY Tests ./Tests
RUN swift build -c release --product truc --static-swift-stdlib && cp .build/release/truc /usr/local/bin/truc

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libxml2 libssl3 libsqlite3-0 zlib1g ca-certificates openssl python3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/truc /usr/local/bin/truc
# No private key in the image (.dockerignore drops every *.key): `truc serve` makes the installation's own PKI
# in its data directory; the compose demo mounts the repository's Certs/demo at run time (--demo-pki).
COPY Tests/Fixtures/vpcp /opt/truc/samples
COPY Tests/Fixtures/vpcp /opt/truc/Tests/Fixtures/vpcp
COPY Tests/Fixtures/signatures /opt/truc/Tests/Fixtures/signatures
COPY scripts/two-hub-demo.sh /opt/truc/scripts/two-hub-demo.sh
WORKDIR /opt/truc
ENTRYPOINT ["truc"]
CMD ["--help"]
