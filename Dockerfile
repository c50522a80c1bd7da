# Multi-stage build of the statically linked binary into a distroless image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --locked --release --target x86_64-unknown-linux-gnu \
 && cp target/x86_64-unknown-linux-gnu/release/mitxonline /mitxonline \
 && mkdir /data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /mitxonline /mitxonline
COPY --from=build --chown=nonroot:nonroot /data /data
ENV MITXONLINE_DATA_DIR=/data \
    MITXONLINE_BIND=0.0.0.0:8013 \
    MITXONLINE_LOG_FORMAT=json
VOLUME ["/data"]
EXPOSE 8013
USER nonroot:nonroot
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/mitxonline", "healthcheck", "http://127.0.0.1:8013/health/readiness/"]
ENTRYPOINT ["/mitxonline"]
CMD ["serve"]
