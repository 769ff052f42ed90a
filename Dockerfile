# The production binary, as CI builds it (`cargo build --release --locked --no-default-features`):
# the service without the simulated cluster of `tikv-lens demo` (run the demo from a source
# checkout: `cargo run --release -- demo`). Then a small runtime image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --no-default-features && strip target/release/tikv-lens

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin tikv-lens
COPY --from=build /src/target/release/tikv-lens /usr/local/bin/tikv-lens
USER 10001
ENV TIKV_LENS_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["tikv-lens"]
CMD ["serve"]
