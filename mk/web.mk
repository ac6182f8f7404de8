# The website (web/, docs/web.md): TypeScript bundled by esbuild into web/dist.
#
#   make web          type-check, then build web/dist (hashed assets, index.html last)
#
# `make run` builds it before starting `sluice dev`, which mirrors web/dist into
# the local copy of the site bucket; `make test` builds it for the browser suite.

# The local CloudFront front (src/local/web/) compresses as CloudFront does
# (Brotli here; zlib is in the Makefile's PKGS, core/checksum.c uses it too).
LIBS += $(shell pkg-config --libs libbrotlienc 2>/dev/null || echo -lbrotlienc)

.PHONY: web

web: deps
	@npm run -s build:web

# The browser suite (tests/protocol/test_web_browser.py) serves web/dist.
test: web
