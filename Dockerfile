# Cairn server image. Build: docker build -t cairn .   Run: docker run -p 9000:9000 -v cairn-data:/data \
#   -e CAIRN_ACCESS_KEY_ID=... -e CAIRN_SECRET_ACCESS_KEY=... cairn
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends liblmdb-dev libzstd-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product cairn --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends liblmdb0 libzstd1 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/.build/release/cairn /usr/local/bin/cairn
VOLUME /data
EXPOSE 9000
HEALTHCHECK CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q 200 <&3"]
ENTRYPOINT ["cairn", "serve", "--data", "/data", "--address", "0.0.0.0:9000"]
