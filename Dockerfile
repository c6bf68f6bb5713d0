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
USER redeno
WORKDIR /data
VOLUME /data
EXPOSE 6379
# Like the official redis image: listen on every interface, keep data in /data.
# protected-mode is off because the container network is the boundary; set
# requirepass (e.g. `docker run redeno --requirepass secret`) when exposing it.
ENTRYPOINT ["redeno", "--bind", "0.0.0.0", "-::", "--dir", "/data", "--protected-mode", "no"]
