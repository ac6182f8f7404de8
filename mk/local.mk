# The local cloud (docs/local-cloud.md).
#
#   make run                     deps, build (the functions and web/), then `sluice dev` on
#                                infra/template.yaml: the API on :3000, the site on :8080,
#                                PostgreSQL's local RDS Proxy on :5433
#   make run STAGE=pr-42 PORT=3001 AWS_PORT=4567 WEB_PORT=8081 DB_PORT=5434   another stage
#   make run DEV_ARGS="--parameter-overrides LogLevel=DEBUG"
#
# Data lives in .sluice/<stage>/; `make clean` removes it. The preferences
# function checks vendor ids against the project's own small vendor list,
# served locally (offline), and reaches PostgreSQL through the local RDS
# Proxy on DB_PORT.

PORT     ?= 3000
AWS_PORT ?= 4566
WEB_PORT ?= 8080
DB_PORT  ?= 5433
VENDOR_LIST ?= db/vendor-list.json
DEV_ARGS ?=

.PHONY: run

# The API's CORS allows the site's local origin (LocalSiteOrigin) outside prod.
run: deps all web
	$(BUILD)/sluice dev --port $(PORT) --aws-port $(AWS_PORT) --web-port $(WEB_PORT) \
	  --db-port $(DB_PORT) --vendor-list $(VENDOR_LIST) \
	  --build-dir $(BUILD) $(if $(STAGE),--stage $(STAGE)) \
	  --parameter-overrides LocalSiteOrigin=http://127.0.0.1:$(WEB_PORT) $(DEV_ARGS)
