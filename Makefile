# gongkai — developer commands. `make test` is the test command (also run by CI).

GO ?= go

.PHONY: run build test bench vet

## run: start the service with default config (go run ./cmd/gongkai serve)
run:
	$(GO) run ./cmd/gongkai serve

## build: build bin/gongkai
build:
	$(GO) build -o bin/gongkai ./cmd/gongkai

## test: install test deps if missing, start a private Dovecot, go vet + go test -race
test:
	bash scripts/test.sh

## bench: run the benchmarks only
bench:
	$(GO) test -run '^$$' -bench . ./...

## vet: go vet every package
vet:
	$(GO) vet ./...
