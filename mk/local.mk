# The local cloud (docs/local-cloud.md).
#
#   make run                     deps, build, then `sluice dev` on infra/template.yaml
#   make run STAGE=pr-42 PORT=3001 AWS_PORT=4567 DB_PORT=5434   another stage beside the first
#   make run DEV_ARGS="--parameter-overrides LogLevel=DEBUG"
#
# Data lives in .sluice/<stage>/; `make clean` removes it. The preferences
# function checks vendor ids against the project's own small vendor list,
# served locally (offline), and reaches PostgreSQL through the local RDS
# Proxy on DB_PORT.

PORT     ?= 3000
AWS_PORT ?= 4566
DB_PORT  ?= 5433
VENDOR_LIST ?= db/vendor-list.json
DEV_ARGS ?=

.PHONY: run

run: deps all
	$(BUILD)/sluice dev --port $(PORT) --aws-port $(AWS_PORT) --build-dir $(BUILD) \
	  --db-port $(DB_PORT) --vendor-list $(VENDOR_LIST) \
	  $(if $(STAGE),--stage $(STAGE)) $(DEV_ARGS)
