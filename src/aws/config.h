/*
 * Credentials, region and endpoints for the AWS clients, read from the
 * standard environment variables as the AWS SDKs read them:
 *
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional);
 *   AWS_REGION, else AWS_DEFAULT_REGION, else "us-east-1";
 *   AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL: an endpoint override (sluice
 *   dev, moto), which also switches S3 to path-style addressing;
 *   AWS_ENDPOINT_URL_DYNAMODB, else AWS_ENDPOINT_URL.
 *
 * An empty variable counts as unset. On Lambda the runtime sets the three
 * credential variables and AWS_REGION. The secret key and the session token
 * are never logged: aws_config_describe() writes them as "***".
 */
#ifndef SLUICE_AWS_CONFIG_H
#define SLUICE_AWS_CONFIG_H

#include <stdbool.h>

#include "core/buf.h"

#define AWS_DEFAULT_REGION_NAME "us-east-1"
/* Longest value we accept from any of the variables above. */
#define AWS_CONFIG_MAX_VALUE 4096

/*
 * Every string is a heap copy owned by the config, NULL when absent. Endpoint
 * URLs are stored without a trailing '/' and always start with "http://" or
 * "https://"; `region` is never NULL after a successful aws_config_init().
 */
struct aws_config {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;
	char *region;
	char *s3_endpoint;	 /* override, or NULL: the real S3 */
	char *dynamodb_endpoint; /* override, or NULL: the real DynamoDB */
};

/*
 * Fill `cfg` from the environment. Missing credentials are not an error here
 * (aws_config_has_credentials() says); a value longer than
 * AWS_CONFIG_MAX_VALUE, a region that is not [a-z0-9-]+, or an endpoint that
 * is not an http(s) URL gives ERR_CONFIG. ERR_NOMEM when copying fails. On
 * failure `cfg` holds nothing and needs no release.
 */
int aws_config_init(struct aws_config *cfg /* OUT */);

/* Deep copy of `src` into `dst`. 0 or ERR_NOMEM (then `dst` holds nothing). */
int aws_config_copy(struct aws_config *dst /* OUT */, const struct aws_config *src);

/* Free every string; `cfg` is zeroed. NULL is a no-op. */
void aws_config_release(struct aws_config *cfg);

/* True when both the access key id and the secret key are set. */
bool aws_config_has_credentials(const struct aws_config *cfg);

/*
 * The S3 base URL and Host for `bucket` (which must be non-empty):
 *   override:  base "<endpoint>/<bucket>", host from the endpoint (path-style);
 *   AWS:       base "https://<bucket>.s3.<region>.amazonaws.com",
 *              host "<bucket>.s3.<region>.amazonaws.com" (virtual-hosted),
 *              or, for a bucket name that is not a single DNS label of
 *              [a-z0-9-] (dots, say), base "https://s3.<region>.amazonaws.com/<bucket>"
 *              and host "s3.<region>.amazonaws.com" (path-style, as the SDKs do).
 * Append the percent-encoded "/<key>" to `base` to get an object's URL. The
 * bucket is percent-encoded in the path-style form. Both bufs are appended to.
 * 0, ERR_INVAL (empty bucket), ERR_TOOLARGE or ERR_NOMEM.
 */
int aws_config_s3_base(const struct aws_config *cfg, const char *bucket, struct buf *base /* OUT */,
		       struct buf *host /* OUT */);

/*
 * The DynamoDB endpoint URL ("https://dynamodb.<region>.amazonaws.com" or the
 * override) and its Host, appended to the bufs. 0, ERR_TOOLARGE or ERR_NOMEM.
 */
int aws_config_dynamodb_endpoint(const struct aws_config *cfg, struct buf *url /* OUT */,
				 struct buf *host /* OUT */);

/*
 * Append a one-line description for logs: region, endpoints, the access key
 * id, and whether a secret and token are present, never their values.
 */
int aws_config_describe(const struct aws_config *cfg, struct buf *out /* OUT */);

#endif
