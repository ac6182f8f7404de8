/*
 * AWS configuration from the environment (see config.h for the variables and
 * their order). Values are validated once here so that the clients can build
 * URLs and Host headers from them without further checks; the secret and the
 * session token never leave this struct except into the signer.
 */
#include "core/common.h"

#include "aws/config.h"
#include "core/enc.h"

/* The first of `names` that is set and non-empty, or NULL. */
static const char *env_first(const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

static int copy_value(char **dst, const char *v)
{
	*dst = NULL;
	if (!v)
		return 0;
	if (strlen(v) > AWS_CONFIG_MAX_VALUE)
		return ERR_CONFIG;
	*dst = strdup(v);
	return *dst ? 0 : ERR_NOMEM;
}

static bool region_valid(const char *r)
{
	if (!*r)
		return false;
	for (; *r; r++) {
		if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
			return false;
	}
	return true;
}

/*
 * Copy an endpoint URL, which must be http(s)://host[:port][/path] with no
 * query, fragment, user info or control characters; trailing '/' removed.
 */
static int copy_endpoint(char **dst, const char *v)
{
	*dst = NULL;
	if (!v)
		return 0;
	size_t len = strlen(v);
	if (len > AWS_CONFIG_MAX_VALUE)
		return ERR_CONFIG;
	size_t scheme = 0;
	if (strncmp(v, "http://", 7) == 0)
		scheme = 7;
	else if (strncmp(v, "https://", 8) == 0)
		scheme = 8;
	else
		return ERR_CONFIG;
	if (len == scheme || v[scheme] == '/')
		return ERR_CONFIG;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch <= ' ' || ch >= 0x7f || ch == '?' || ch == '#' || ch == '@')
			return ERR_CONFIG;
	}
	while (len > scheme && v[len - 1] == '/')
		len--;
	*dst = strndup(v, len);
	return *dst ? 0 : ERR_NOMEM;
}

int aws_config_init(struct aws_config *cfg)
{
	static const char *const region_vars[] = {"AWS_REGION", "AWS_DEFAULT_REGION"};
	static const char *const s3_vars[] = {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"};
	static const char *const ddb_vars[] = {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"};
	const char *v;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	v = getenv("AWS_ACCESS_KEY_ID");
	if ((err = copy_value(&cfg->access_key_id, v && *v ? v : NULL)))
		goto fail;
	v = getenv("AWS_SECRET_ACCESS_KEY");
	if ((err = copy_value(&cfg->secret_access_key, v && *v ? v : NULL)))
		goto fail;
	v = getenv("AWS_SESSION_TOKEN");
	if ((err = copy_value(&cfg->session_token, v && *v ? v : NULL)))
		goto fail;

	v = env_first(region_vars, ARRAY_SIZE(region_vars));
	if (!v)
		v = AWS_DEFAULT_REGION_NAME;
	if (strlen(v) > 64 || !region_valid(v)) {
		err = ERR_CONFIG;
		goto fail;
	}
	if ((err = copy_value(&cfg->region, v)))
		goto fail;

	if ((err = copy_endpoint(&cfg->s3_endpoint, env_first(s3_vars, ARRAY_SIZE(s3_vars)))))
		goto fail;
	err = copy_endpoint(&cfg->dynamodb_endpoint, env_first(ddb_vars, ARRAY_SIZE(ddb_vars)));
	if (err)
		goto fail;
	return 0;
fail:
	aws_config_release(cfg);
	return err;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : ERR_NOMEM;
}

int aws_config_copy(struct aws_config *dst, const struct aws_config *src)
{
	memset(dst, 0, sizeof(*dst));
	if (dup_opt(&dst->access_key_id, src->access_key_id) ||
	    dup_opt(&dst->secret_access_key, src->secret_access_key) ||
	    dup_opt(&dst->session_token, src->session_token) ||
	    dup_opt(&dst->region, src->region ? src->region : AWS_DEFAULT_REGION_NAME) ||
	    dup_opt(&dst->s3_endpoint, src->s3_endpoint) ||
	    dup_opt(&dst->dynamodb_endpoint, src->dynamodb_endpoint)) {
		aws_config_release(dst);
		return ERR_NOMEM;
	}
	return 0;
}

/* Overwrite a secret before freeing it, so that it does not linger in freed memory. */
static void free_secret(char *s)
{
	if (!s)
		return;
	volatile char *p = s;
	while (*p)
		*p++ = 0;
	free(s);
}

void aws_config_release(struct aws_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->access_key_id);
	free_secret(cfg->secret_access_key);
	free_secret(cfg->session_token);
	free(cfg->region);
	free(cfg->s3_endpoint);
	free(cfg->dynamodb_endpoint);
	memset(cfg, 0, sizeof(*cfg));
}

bool aws_config_has_credentials(const struct aws_config *cfg)
{
	return cfg->access_key_id && *cfg->access_key_id && cfg->secret_access_key &&
	       *cfg->secret_access_key;
}

/* The authority ("host[:port]") of an endpoint URL validated by copy_endpoint(). */
static int add_authority(struct buf *host, const char *endpoint)
{
	const char *p = strstr(endpoint, "://");
	p = p ? p + 3 : endpoint;
	size_t n = strcspn(p, "/");
	return buf_add(host, p, n);
}

/*
 * True when `bucket` can be the first label of a virtual-hosted name with a
 * valid TLS certificate: 3-63 of [a-z0-9-], starting and ending alphanumeric.
 */
static bool bucket_dns_safe(const char *bucket)
{
	size_t n = strlen(bucket);
	if (n < 3 || n > 63 || bucket[0] == '-' || bucket[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = bucket[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
	}
	return true;
}

int aws_config_s3_base(const struct aws_config *cfg, const char *bucket, struct buf *base,
		       struct buf *host)
{
	const char *region = cfg->region ? cfg->region : AWS_DEFAULT_REGION_NAME;
	size_t base_len = base->len, host_len = host->len;
	int err;

	if (!bucket || !*bucket)
		return ERR_INVAL;
	if (cfg->s3_endpoint) {
		/* Path-style: the bucket is the first path segment. */
		if ((err = buf_adds(base, cfg->s3_endpoint)) || (err = buf_addch(base, '/')) ||
		    (err = uri_encode(base, bucket, strlen(bucket), false)) ||
		    (err = add_authority(host, cfg->s3_endpoint)))
			goto fail;
	} else if (bucket_dns_safe(bucket)) {
		if ((err = buf_addf(host, "%s.s3.%s.amazonaws.com", bucket, region)) ||
		    (err = buf_addf(base, "https://%s", host->ptr + host_len)))
			goto fail;
	} else {
		/* Dotted (legacy) names would not match the *.s3 TLS certificate. */
		if ((err = buf_addf(host, "s3.%s.amazonaws.com", region)) ||
		    (err = buf_addf(base, "https://%s/", host->ptr + host_len)) ||
		    (err = uri_encode(base, bucket, strlen(bucket), false)))
			goto fail;
	}
	return 0;
fail:
	buf_truncate(base, base_len);
	buf_truncate(host, host_len);
	return err;
}

int aws_config_dynamodb_endpoint(const struct aws_config *cfg, struct buf *url, struct buf *host)
{
	const char *region = cfg->region ? cfg->region : AWS_DEFAULT_REGION_NAME;
	size_t url_len = url->len, host_len = host->len;
	int err;

	if (cfg->dynamodb_endpoint) {
		if ((err = buf_adds(url, cfg->dynamodb_endpoint)) ||
		    (err = add_authority(host, cfg->dynamodb_endpoint)))
			goto fail;
	} else {
		if ((err = buf_addf(host, "dynamodb.%s.amazonaws.com", region)) ||
		    (err = buf_addf(url, "https://%s", host->ptr + host_len)))
			goto fail;
	}
	return 0;
fail:
	buf_truncate(url, url_len);
	buf_truncate(host, host_len);
	return err;
}

int aws_config_describe(const struct aws_config *cfg, struct buf *out)
{
	return buf_addf(
		out,
		"region=%s s3_endpoint=%s dynamodb_endpoint=%s access_key_id=%s "
		"secret=%s session_token=%s",
		cfg->region ? cfg->region : "(none)", cfg->s3_endpoint ? cfg->s3_endpoint : "(aws)",
		cfg->dynamodb_endpoint ? cfg->dynamodb_endpoint : "(aws)",
		cfg->access_key_id ? cfg->access_key_id : "(none)",
		cfg->secret_access_key ? "***" : "(none)", cfg->session_token ? "***" : "(none)");
}
