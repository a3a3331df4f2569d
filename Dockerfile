# syntax=docker/dockerfile:1

# Builds the relay as a static binary and ships it alone in a distroless,
# non-root image. Build: docker build --build-arg VERSION=1.2.3 -t relay .
# The gatewaysim target builds the gateway simulator for local trials:
# docker build --target gatewaysim -t relay-gatewaysim .

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS source
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .

FROM source AS build
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/relay ./cmd/relay

FROM source AS build-gatewaysim
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w" -o /out/gatewaysim ./cmd/gatewaysim

# The simulator image is for local trials only; it is never the default target.
FROM gcr.io/distroless/static-debian12:nonroot AS gatewaysim
COPY --from=build-gatewaysim /out/gatewaysim /gatewaysim
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/gatewaysim"]

# The distroless static image already carries CA certificates, tzdata and a
# nonroot user (65532), so only the binary is copied in.
FROM gcr.io/distroless/static-debian12:nonroot AS relay
COPY --from=build /out/relay /relay
USER 65532:65532
EXPOSE 9090 9091
# The image has no shell or curl, so the relay checks itself: the healthcheck
# subcommand calls /watchdog with a Health-Check header and checks the echo.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/relay", "healthcheck"]
ENTRYPOINT ["/relay"]
CMD ["serve"]
