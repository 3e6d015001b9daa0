# syntax=docker/dockerfile:1
# Threadesk container image: a static binary on distroless, running as a non-root user.
#   docker build -t threadesk .          (or: make docker)
#   docker run -p 8080:8080 threadesk    (no settings: the built-in sandbox on embedded Redis)

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, in their own layer, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off gives a static binary that runs on distroless/static; -trimpath and -s -w keep
# build paths and debug tables out of the image.
RUN --mount=type=cache,target=/root/.cache/go-build \
	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/threadesk ./cmd/threadesk

# distroless/static has CA certificates (for Slack, Mattermost and rediss://) and tzdata, no
# shell, and the nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/threadesk /usr/local/bin/threadesk
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/threadesk"]
