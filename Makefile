# The two set-up commands of README.md:
#   make run   — install Debian packages, build in release mode, start the server with its defaults
#   make test  — install, build and run the whole test suite
.PHONY: run build test unit e2e bench bench-sfu fuzz clean

run: build
	./.build/release/sfu

build:
	scripts/install-deps.sh run
	swift build -c release

test:
	scripts/test.sh

unit:
	swift test

e2e:
	scripts/test.sh

bench:
	scripts/install-deps.sh test
	swift build -c release
	bench/http-api.sh
	bench/store-1gib.sh
	.build/release/post-bench 60

# The load harness against a fresh release server; appends to bench/RESULTS.md (bench/README.md).
bench-sfu:
	bench/sfu-bench.sh

fuzz:
	scripts/fuzz.sh

clean:
	rm -rf .build .build-fuzz .venv
