/*
 * POST /client-events: the website reports its own health to the API, and
 * each report becomes a log line and an EMF metric of the function that
 * serves the route (the messages function, beside the site's other routes).
 *
 *   {"events": [
 *     {"type": "error", "message": "TypeError: x is undefined",
 *      "source": "/assets/main-ABC.js", "line": 1, "column": 2045, "page": "/messages/:id"},
 *     {"type": "rejection" | "csp", "message": ..., "page": ...},
 *     {"type": "load", "page": "/", "loadMs": 812, "fcpMs": 240}
 *   ]}
 *
 * 202 {"accepted": N, "dropped": N}. An error, a rejection or a CSP
 * violation is a WARN line "client error" (never ERROR: the site's trouble
 * is not the function's, and its ERROR alarms stay the server's) and one
 * ClientErrors; a load is an INFO line "client page load" and one
 * PageLoadTime (Milliseconds) and FirstContentfulPaint, and counts
 * 1 / "sample" PageLoads (the site reports a sample of its loads, and says
 * which share: ClientErrors / PageLoads is then errors per page load); every
 * accepted event is one ClientEvents. The dashboard (sluice dev) lists the "client error"
 * lines.
 *
 * Bounded and without personal data: at most CLIENT_EVENTS_BODY_MAX bytes
 * (413 past it), CLIENT_EVENTS_MAX events (the rest are dropped and
 * counted), strings cut at CLIENT_EVENTS_TEXT_MAX bytes; only the members
 * above are read, a page is a path the site already reduced to its route
 * (no query, no ids), and nothing of the request (address, user agent,
 * cookies) is logged. Events of unknown types, or without what their type
 * needs, are dropped.
 */
#ifndef SLUICE_APP_CLIENT_EVENTS_H
#define SLUICE_APP_CLIENT_EVENTS_H

#include "app/serve.h"

#define CLIENT_EVENTS_BODY_MAX ((size_t)16 * 1024)
#define CLIENT_EVENTS_MAX      20
#define CLIENT_EVENTS_TEXT_MAX 256
/* A load time past this is no page load worth a datapoint (a tab left in the background). */
#define CLIENT_EVENTS_LOAD_MAX_MS 120000
/* The smallest share of loads a site may say it samples (one in 1,000). */
#define CLIENT_EVENTS_SAMPLE_MIN 0.001

/* Answer POST /client-events (see above). Returns 0, or an error of ours. */
int client_events_handle(struct serve_call *call);

#endif
