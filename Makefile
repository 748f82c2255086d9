# Thin aliases; .ci/run is the source of truth.
.PHONY: check test lint run build

build:
	go build -o bin/keywarden ./cmd/keywarden

run:
	go run ./cmd/keywarden serve --dev

test:
	KEYWARDEN_TEST_POSTGRES=$${KEYWARDEN_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable} go test -race -count=1 -timeout 30m ./...

lint:
	gofmt -l $$(git ls-files '*.go')
	go vet ./...
	go tool staticcheck ./...

check:
	bash .ci/run
