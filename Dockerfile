# Redeno image: compile the server to one executable with the official Deno image
# (pinned to the Deno version the project tests with), then ship it in a small image.

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY src/ src/
RUN deno task compile

FROM debian:bookworm-slim
RUN groupadd --system redeno && useradd --system --gid redeno --home-dir /data redeno \
  && mkdir -p /data && chown redeno:redeno /data
COPY --from=build /src/redeno /usr/local/bin/redeno
COPY docker/entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER redeno
WORKDIR /data
VOLUME /data
EXPOSE 6379
# With options only (`docker run redeno --requirepass secret`) the server listens on
# every interface (the container network is the boundary, so protected-mode is off:
# set requirepass when exposing it) and keeps its data in /data. With a config file
# first (`docker run -v ./redis.conf:/etc/redeno.conf redeno /etc/redeno.conf`), the
# file decides.
ENTRYPOINT ["docker-entrypoint.sh"]
