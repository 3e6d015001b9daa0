# Threadesk's everyday commands. Each target is a thin wrapper around one command, so that
# people and CI (.ci/run) run exactly the same thing.

.DEFAULT_GOAL := help
.PHONY: help run build test check load scale docker

IMAGE ?= threadesk:dev

help: ## Show the targets.
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  make %-7s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Run the app locally (the sandbox when no platform is configured).
	go run ./cmd/threadesk

build: ## Build a static binary to bin/threadesk.
	CGO_ENABLED=0 go build -trimpath -o bin/threadesk ./cmd/threadesk

test: ## Run the tests (race detector, private redis-server); ARGS='-run X' adds flags.
	scripts/test $(ARGS)

check: ## Run every check CI runs: gofmt, vet, staticcheck, tidy, then the tests.
	scripts/check $(ARGS)

load: ## Run the load test against a local instance.
	scripts/load $(ARGS)

scale: ## Run the scale run: 100,000 tickets of history, memory and answer times.
	scripts/scale $(ARGS)

docker: ## Build the container image (IMAGE=threadesk:dev by default).
	docker build -t $(IMAGE) .
