/*
 * Glue between libevent's HTTP server (evhttp) and the rest of sluice, shared
 * by the local gateway, the Runtime API and the local AWS endpoint.
 */
#ifndef SLUICE_HTTP_SERVER_H
#define SLUICE_HTTP_SERVER_H

#include <stddef.h>

#include <event2/http.h>

/*
 * The method's name as it appears on the request line ("GET"). evhttp only
 * hands over the methods it knows, so every value has a name; "GET" stands in
 * for a value this libevent does not define.
 */
const char *http_method_name(enum evhttp_cmd_type method);

/* The number of fields in `h` (NULL: 0), to size an array of them. */
size_t http_header_count(const struct evkeyvalq *h);

/*
 * The reason phrase for `status` (RFC 9110 15, and RFC 6585 for 429 and 431,
 * which libevent 2.1's own table lacks); NULL for a status not listed, which
 * evhttp_send_reply() then words itself.
 */
const char *http_status_phrase(int status);

#endif
