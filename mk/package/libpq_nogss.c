/*
 * Link-time stand-ins for the GSSAPI (Kerberos) and LDAP functions that
 * Debian's static libpq references (make package only; the library and
 * `build/bootstrap` link the shared libpq and never see this file).
 *
 * The Lambda package links libpq statically, since provided.al2023 has no
 * libpq, and the shared one would drag Kerberos, OpenLDAP and GnuTLS into the
 * zip. The function needs neither: it authenticates to RDS Proxy with an IAM
 * token over TLS, and connects with gssencmode=disable (src/app/db.c). So
 * GSSAPI answers "no credentials, failure" and LDAP (used only for ldap://
 * URLs in a pg_service.conf) "cannot connect": a connection that would need
 * them fails with libpq's own message instead of the package failing to load.
 * `make package-check` proves the bootstrap loads and answers.
 */
#include "core/common.h"

#include <stdint.h>

typedef uint32_t OM_uint32;

#define GSS_S_FAILURE (13u << 16)

/* gss_OID is a pointer to a descriptor; no mechanism exists here. */
void *GSS_C_NT_HOSTBASED_SERVICE = NULL;

static OM_uint32 gss_fail(OM_uint32 *minor)
{
	if (minor)
		*minor = 0;
	return GSS_S_FAILURE;
}

OM_uint32 gss_acquire_cred(OM_uint32 *minor, void *name, OM_uint32 time_req, void *mechs,
			   int usage, void *cred, void *actual, OM_uint32 *time_rec);
OM_uint32 gss_acquire_cred(OM_uint32 *minor, void *name, OM_uint32 time_req, void *mechs,
			   int usage, void *cred, void *actual, OM_uint32 *time_rec)
{
	return gss_fail(minor);
}

OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void *ctx, void *out);
OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void *ctx, void *out)
{
	return gss_fail(minor);
}

OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, void *mech,
			     OM_uint32 *context, void *string);
OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, void *mech,
			     OM_uint32 *context, void *string)
{
	if (context)
		*context = 0;
	return gss_fail(minor);
}

OM_uint32 gss_import_name(OM_uint32 *minor, void *buf, void *type, void *out);
OM_uint32 gss_import_name(OM_uint32 *minor, void *buf, void *type, void *out)
{
	return gss_fail(minor);
}

OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void *ctx, void *target, void *mech,
			       OM_uint32 flags, OM_uint32 time_req, void *bindings, void *input,
			       void *actual_mech, void *output, OM_uint32 *ret_flags,
			       OM_uint32 *time_rec);
OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void *ctx, void *target, void *mech,
			       OM_uint32 flags, OM_uint32 time_req, void *bindings, void *input,
			       void *actual_mech, void *output, OM_uint32 *ret_flags,
			       OM_uint32 *time_rec)
{
	return gss_fail(minor);
}

OM_uint32 gss_release_buffer(OM_uint32 *minor, void *buf);
OM_uint32 gss_release_buffer(OM_uint32 *minor, void *buf)
{
	return gss_fail(minor);
}

OM_uint32 gss_release_cred(OM_uint32 *minor, void *cred);
OM_uint32 gss_release_cred(OM_uint32 *minor, void *cred)
{
	return gss_fail(minor);
}

OM_uint32 gss_release_name(OM_uint32 *minor, void *name);
OM_uint32 gss_release_name(OM_uint32 *minor, void *name)
{
	return gss_fail(minor);
}

OM_uint32 gss_unwrap(OM_uint32 *minor, void *ctx, void *in, void *out, int *conf, void *qop);
OM_uint32 gss_unwrap(OM_uint32 *minor, void *ctx, void *in, void *out, int *conf, void *qop)
{
	return gss_fail(minor);
}

OM_uint32 gss_wrap(OM_uint32 *minor, void *ctx, int conf_req, OM_uint32 qop, void *in, int *conf,
		   void *out);
OM_uint32 gss_wrap(OM_uint32 *minor, void *ctx, int conf_req, OM_uint32 qop, void *in, int *conf,
		   void *out)
{
	return gss_fail(minor);
}

OM_uint32 gss_wrap_size_limit(OM_uint32 *minor, void *ctx, int conf_req, OM_uint32 qop,
			      OM_uint32 size, OM_uint32 *max_input);
OM_uint32 gss_wrap_size_limit(OM_uint32 *minor, void *ctx, int conf_req, OM_uint32 qop,
			      OM_uint32 size, OM_uint32 *max_input)
{
	return gss_fail(minor);
}

/* ---- LDAP: LDAP_SERVER_DOWN (-1) for everything, no handle, no entries ---- */

void *ldap_init(const char *host, int port);
void *ldap_init(const char *host, int port)
{
	return NULL;
}

int ldap_set_option(void *ld, int option, const void *value);
int ldap_set_option(void *ld, int option, const void *value)
{
	return -1;
}

int ldap_simple_bind(void *ld, const char *who, const char *password);
int ldap_simple_bind(void *ld, const char *who, const char *password)
{
	return -1;
}

int ldap_result(void *ld, int msgid, int all, void *timeout, void **result);
int ldap_result(void *ld, int msgid, int all, void *timeout, void **result)
{
	return -1;
}

int ldap_search_st(void *ld, const char *base, int scope, const char *filter, char **attrs,
		   int attrsonly, void *timeout, void **result);
int ldap_search_st(void *ld, const char *base, int scope, const char *filter, char **attrs,
		   int attrsonly, void *timeout, void **result)
{
	return -1;
}

int ldap_count_entries(void *ld, void *msg);
int ldap_count_entries(void *ld, void *msg)
{
	return 0;
}

void *ldap_first_entry(void *ld, void *msg);
void *ldap_first_entry(void *ld, void *msg)
{
	return NULL;
}

void *ldap_get_values_len(void *ld, void *entry, const char *attr);
void *ldap_get_values_len(void *ld, void *entry, const char *attr)
{
	return NULL;
}

void ldap_value_free_len(void *values);
void ldap_value_free_len(void *values)
{
}

int ldap_msgfree(void *msg);
int ldap_msgfree(void *msg)
{
	return 0;
}

char *ldap_err2string(int err);
char *ldap_err2string(int err)
{
	return "LDAP is not supported in this build";
}

int ldap_unbind(void *ld);
int ldap_unbind(void *ld)
{
	return 0;
}
