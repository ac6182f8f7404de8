/*
 * Where a function's code is, for `sluice dev`: the folder its workers run
 * in (LAMBDA_TASK_ROOT), found the way each tool that writes templates puts
 * it there, and what to watch so that a change reloads the function.
 *
 * In order, the first that the resource has:
 *   1. CDK: Metadata "aws:asset:path" (a folder or a .zip, relative to the
 *      template, which is cdk.out/<Stack>.template.json); when the metadata
 *      is missing, the asset of the *.assets.json manifest beside the
 *      template whose objectKey is Code.S3Key.
 *   2. SAM: CodeUri, a folder or a .zip file relative to the template, or a
 *      map {Bucket, Key} / an "s3://" string, which cannot run locally.
 *   3. CloudFormation: Code.ZipFile or SAM's InlineCode (inline source,
 *      written to the cache as index.js or index.py; only for Node.js and
 *      Python, as on Lambda); Code.S3Bucket/S3Key: the Serverless
 *      Framework's package, the zip named like the S3Key's last segment
 *      beside the template (.serverless/), else the artifact that
 *      .serverless/serverless-state.json names; else it is in S3 only.
 *   4. PackageType Image / ImageUri: a container image, refused.
 * A .zip is unpacked once into <cache>/<first 32 hex of its SHA-256>, with
 * its members' Unix permissions (unzip(1) restores them), so a rebuilt zip
 * gets a new folder and an unchanged one is never unpacked twice.
 *
 * Metadata.sluice.build and --build-dir (this project's own layout) are
 * dev_app.c's and win over all of this for provided.* functions.
 */
#ifndef SLUICE_LOCAL_DEV_CODE_H
#define SLUICE_LOCAL_DEV_CODE_H

#include <stddef.h>

#include "template/template.h"

/* A code package unpacked locally (Lambda allows 250 MB unzipped, 50 MB zipped uploads). */
#define DEV_CODE_ZIP_MAX ((size_t)256 << 20)
/* Inline source (CloudFormation caps ZipFile at 4 MB). */
#define DEV_CODE_INLINE_MAX ((size_t)4 << 20)
/* A *.assets.json or serverless-state.json read to find an asset. */
#define DEV_CODE_MANIFEST_MAX ((size_t)16 << 20)

/* Where the code is. Strings are owned; NULL when not applicable. */
struct dev_code {
	char *dir;	  /* the code folder, LAMBDA_TASK_ROOT */
	char *watch;	  /* the folder or the .zip whose change reloads the function */
	const char *from; /* what said so: "CodeUri", "aws:asset:path", ... (static) */
};

/*
 * Find the code of function resource `r` of template `t`. `ext` is the
 * extension inline source is written with (".js", ".py"), NULL for a
 * runtime that cannot take inline source; `cache` is the folder for
 * unpacked zips and inline source (created when needed).
 *
 * Returns 0 with `out` filled; ERR_NOTFOUND when the resource says nothing
 * about its code (the caller has a default); ERR_UNSUPPORTED when the code
 * cannot run here (in S3 only, a container image, inline source for a
 * compiled runtime) and ERR_IO when it cannot be read or unpacked (a
 * missing folder, a broken zip), both with one sentence naming the function
 * and what to do in `why`; ERR_NOMEM. `out` holds nothing on error.
 */
int dev_code_locate(const struct template *t, const struct template_resource *r, const char *ext,
		    const char *cache, struct dev_code *out /* OUT */, char *why, size_t why_len);

/* Free what `c` holds; a zeroed struct is fine. */
void dev_code_release(struct dev_code *c);

/*
 * The folder of template path `path` ("." for a bare file name), into `out`
 * of `cap` bytes. Returns 0 or ERR_TOOLARGE.
 */
int dev_code_template_dir(const char *path, char *out, size_t cap);

#endif
