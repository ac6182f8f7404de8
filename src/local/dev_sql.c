/*
 * PostgreSQL statements to the requests that made them (dev_sql.h). Two
 * small tables scanned linearly: the invocations running (one per busy
 * worker) and the connections whose worker is known (a ring; the oldest
 * is forgotten first, and found again through /proc if it speaks again).
 */
#include "core/common.h"

#include "core/log.h"
#include "local/cloudwatch/cw.h"
#include "local/dev_peer.h"
#include "local/dev_sql.h"
#include "local/postgres/pg_proxy.h"

#define SQL_ID_MAX   64
#define SQL_WARN_MAX 160

struct sql_worker {
	pid_t pid; /* 0: a free slot */
	char request_id[SQL_ID_MAX];
	char root[SQL_ID_MAX]; /* the trace header's Root */
};

struct sql_conn {
	uint64_t client; /* the proxy's number for it; 0: a free slot */
	pid_t worker;	 /* 0: no running worker held it ... */
	uint64_t starts; /* ... when this many invocations had started */
};

struct dev_sql {
	struct cloudwatch *cw;
	char *proc;
	struct sql_worker workers[DEV_SQL_WORKERS];
	struct sql_conn conns[DEV_SQL_CONNS];
	size_t next_conn;
	uint64_t starts; /* invocations started, to know when a miss may be one no more */
	bool warned_full;
};

int dev_sql_new(struct cloudwatch *cw, const char *proc, struct dev_sql **out)
{
	struct dev_sql *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->proc = strdup(proc ? proc : "/proc"))) {
		free(s);
		return ERR_NOMEM;
	}
	s->cw = cw;
	*out = s;
	return 0;
}

void dev_sql_free(struct dev_sql *s)
{
	if (!s)
		return;
	free(s->proc);
	free(s);
}

void dev_sql_start(struct dev_sql *s, pid_t pid, const char *request_id, const char *trace)
{
	const char *root = trace ? strstr(trace, "Root=") : NULL;
	struct sql_worker *w = NULL;

	if (!s || pid <= 0 || !request_id)
		return;
	for (size_t i = 0; i < DEV_SQL_WORKERS && !w; i++)
		if (s->workers[i].pid == pid)
			w = &s->workers[i];
	for (size_t i = 0; i < DEV_SQL_WORKERS && !w; i++)
		if (!s->workers[i].pid)
			w = &s->workers[i];
	if (!w) {
		if (!s->warned_full)
			log_msg(LVL_WARN,
				"dashboard: more than %d invocations at once; the "
				"statements of the others are not shown",
				DEV_SQL_WORKERS);
		s->warned_full = true;
		return;
	}
	s->starts++;
	w->pid = pid;
	snprintf(w->request_id, sizeof(w->request_id), "%s", request_id);
	snprintf(w->root, sizeof(w->root), "%.*s", root ? (int)strcspn(root + 5, ";") : 0,
		 root ? root + 5 : "");
}

void dev_sql_done(struct dev_sql *s, const char *request_id)
{
	for (size_t i = 0; s && request_id && i < DEV_SQL_WORKERS; i++)
		if (s->workers[i].pid && !strcmp(s->workers[i].request_id, request_id))
			s->workers[i].pid = 0;
}

static const struct sql_worker *worker_of(const struct dev_sql *s, pid_t pid)
{
	for (size_t i = 0; pid > 0 && i < DEV_SQL_WORKERS; i++)
		if (s->workers[i].pid == pid)
			return &s->workers[i];
	return NULL;
}

/*
 * The running worker that holds the connection of `st` (its process or a
 * child's). A connection no worker held is looked up again only once
 * another invocation has started (a worker may have connected during its
 * init, before it ran one), so that a client from elsewhere costs /proc
 * reads once, not at every statement.
 */
static pid_t find_worker(struct dev_sql *s, const struct pg_proxy_statement *st)
{
	struct sql_conn *c = NULL;
	unsigned long inode;
	pid_t found = 0;

	for (size_t i = 0; i < DEV_SQL_CONNS && !c; i++)
		if (s->conns[i].client == st->client)
			c = &s->conns[i];
	if (c && (c->worker || c->starts == s->starts))
		return c->worker;
	if (st->client_port &&
	    dev_peer_inode(s->proc, st->client_port, st->proxy_port, &inode) == 0)
		for (size_t i = 0; i < DEV_SQL_WORKERS && !found; i++)
			if (s->workers[i].pid &&
			    dev_peer_find(s->proc, s->workers[i].pid, inode, DEV_SQL_DEPTH))
				found = s->workers[i].pid;
	if (!c)
		c = &s->conns[s->next_conn++ % DEV_SQL_CONNS];
	c->client = st->client;
	c->worker = found;
	c->starts = s->starts;
	return found;
}

static void on_statement(void *arg, const struct pg_proxy_statement *st)
{
	struct dev_sql *s = arg;
	const struct sql_worker *w = worker_of(s, find_worker(s, st));
	char warning[SQL_WARN_MAX];
	struct cw_call c = {0};

	if (!w || !w->root[0])
		return;
	if (st->pin)
		snprintf(warning, sizeof(warning), "would pin the RDS Proxy session: %s", st->pin);
	c.trace_root = w->root;
	c.service = "postgres";
	c.operation = st->verb;
	c.target = st->database;
	c.start_ms = st->start_ms;
	c.duration_ms = st->duration_ms;
	c.warning = st->pin ? warning : NULL;
	c.text = st->text;
	c.error = st->sqlstate;
	cw_request_call(s->cw, &c);
}

void dev_sql_observe(struct dev_sql *s, struct pg_proxy *proxy)
{
	struct pg_proxy_observer obs = {s, on_statement};

	pg_proxy_set_observer(proxy, s ? &obs : NULL);
}
