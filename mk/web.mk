# The website (web/, docs/web.md): TypeScript bundled by esbuild into web/dist.
#
#   make web          type-check, then build web/dist (hashed assets, index.html last)
#
# `make run` builds it before starting `sluice dev`, which mirrors web/dist into
# the local copy of the site bucket; `make test` builds it for the browser suite.

# The local CloudFront front (src/local/web/) compresses as CloudFront does;
# core/checksum.c takes CRC-32 from zlib too.
LIBS += $(shell pkg-config --libs zlib libbrotlienc 2>/dev/null || echo -lz -lbrotlienc)

.PHONY: web

web: deps
	@npm run -s build:web

# The browser suite (tests/protocol/test_web_browser.py) serves web/dist.
test: web
