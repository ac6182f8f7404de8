# The local cloud (docs/local-cloud.md).
#
#   make run                     deps, build, then `sluice dev` on infra/template.yaml
#   make run STAGE=pr-42 PORT=3001 AWS_PORT=4567   another stage beside the first
#   make run DEV_ARGS="--parameter-overrides LogLevel=DEBUG"
#
# Data lives in .sluice/<stage>/; `make clean` removes it.

PORT     ?= 3000
AWS_PORT ?= 4566
DEV_ARGS ?=

.PHONY: run

run: deps all
	$(BUILD)/sluice dev --port $(PORT) --aws-port $(AWS_PORT) --build-dir $(BUILD) \
	  $(if $(STAGE),--stage $(STAGE)) $(DEV_ARGS)
