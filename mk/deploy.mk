# Delivery targets: the Lambda package, deploys with awscli, teardown, and the
# gates a developer runs from a laptop (docs/delivery.md). Shell logic lives in
# scripts/*.sh; this file only wires variables to them.
#
#   make package                 $(BUILD)/function.zip (bootstrap at the root, lib/)
#   make package-check           glibc <= 2.34, zip <= 5 MB, runs against a Runtime API stand-in
#   make deploy STAGE=pr-42      package, upload, deploy sluice-pr-42, print outputs
#   make deploy STAGE=prod DRY_RUN=1   print the commands instead of running them
#   make deploy-site STAGE=pr-42 the website alone (web/dist, config.json, invalidation)
#   make destroy STAGE=pr-42     empty the stage's buckets, delete the stack, wait
#   make destroy STAGE=prod CONFIRM=prod
#   make outputs STAGE=pr-42     the stack's outputs
#   make integ API_URL=... BUCKET=...   the integration suite against a deployed stack
#   make install build lint test deploy clean   (the whole chain, in that order)

STAGE            ?=
# deploy and outputs default to the dev stage (seed 002's chain); destroy never guesses.
DEPLOY_STAGE     := $(or $(STAGE),dev)
DRY_RUN          ?=
CONFIRM          ?=
API_URL          ?=
BUCKET           ?=
ARTIFACT_BUCKET  ?=
ALARM_EMAIL      ?=
LOG_LEVEL        ?=
LOG_RETENTION_DAYS ?=

PKG_DIR := $(BUILD)/package
# Libraries linked statically into the packaged bootstrap because Debian's
# shared build needs a newer glibc than Amazon Linux 2023's 2.34 (see
# mk/package/al2023_compat.c). -Bstatic/-Bdynamic keep the rest shared.
PKG_STATIC_LIBS := -lexpat
# libpq is not on provided.al2023: it is linked statically, with the
# PostgreSQL server's static libpgcommon and libpgport it needs
# (postgresql-server-dev-<major>), and without Kerberos or LDAP (stubs in
# mk/package/libpq_nogss.c); it uses the system's OpenSSL.
PG_LIBDIR := $(shell pg_config --pkglibdir 2>/dev/null)
PKG_PQ_LIBS := -L$(PG_LIBDIR) -lpq -lpgcommon -lpgport
PKG_LIBS := $(filter-out $(PKG_STATIC_LIBS) -lpq,$(LIBS)) -Wl,-Bstatic $(PKG_STATIC_LIBS) \
	$(PKG_PQ_LIBS) -Wl,-Bdynamic -lssl -lcrypto

.PHONY: install build package package-check deploy deploy-site destroy outputs integ

install: deps
build: all

$(PKG_DIR)/al2023_compat.o: mk/package/al2023_compat.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(PKG_DIR)/libpq_nogss.o: mk/package/libpq_nogss.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The packaged bootstrap: the same objects as $(BUILD)/bootstrap, with an
# RPATH of $ORIGIN/lib (DT_RPATH, so it also covers the bundled libraries'
# own dependencies) and without sanitizers.
$(PKG_DIR)/bootstrap: $(BUILD)/obj/src/app/bootstrap.o $(PKG_DIR)/al2023_compat.o \
		$(PKG_DIR)/libpq_nogss.o $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -Wl,--disable-new-dtags -Wl,-rpath,'$$ORIGIN/lib' -o $@ $^ $(PKG_LIBS)

package: $(BUILD)/function.zip

$(BUILD)/function.zip: $(PKG_DIR)/bootstrap scripts/package.sh
	scripts/package.sh $(PKG_DIR)/bootstrap $@

package-check: package
	PYTHON=$(PYTHON) scripts/package-check.sh $(BUILD)/function.zip

# DRY_RUN=1 prints the package step instead of running it (no build needed).
deploy: $(if $(DRY_RUN),,package web)
	@STAGE='$(DEPLOY_STAGE)' DRY_RUN='$(DRY_RUN)' BUILD='$(BUILD)' ARTIFACT_BUCKET='$(ARTIFACT_BUCKET)' \
	  ALARM_EMAIL='$(ALARM_EMAIL)' LOG_LEVEL='$(LOG_LEVEL)' \
	  LOG_RETENTION_DAYS='$(LOG_RETENTION_DAYS)' scripts/deploy.sh

deploy-site: $(if $(DRY_RUN),,web)
	@STAGE='$(DEPLOY_STAGE)' DRY_RUN='$(DRY_RUN)' BUILD='$(BUILD)' scripts/deploy-site.sh

destroy:
	@STAGE='$(STAGE)' DRY_RUN='$(DRY_RUN)' CONFIRM='$(CONFIRM)' scripts/destroy.sh

outputs:
	@STAGE='$(DEPLOY_STAGE)' scripts/outputs.sh

integ:
	@API_URL='$(API_URL)' BUCKET='$(BUCKET)' PYTHON='$(PYTHON)' scripts/integ.sh
