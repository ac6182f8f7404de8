/*
 * The local PostgreSQL supervisor (see pg_server.h): initdb, start, adopt a
 * leftover postmaster by stopping it, wait for readiness, stop. Everything
 * here blocks; it runs before `sluice dev` serves and after it stops.
 */
#include "core/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/enc.h"
#include "core/log.h"
#include "core/timeutil.h"
#include "local/postgres/pg_server.h"

/* sun_path of a Unix socket holds 108 bytes with the NUL; ".s.PGSQL.65535" takes 14 and '/'. */
#define SOCKET_DIR_MAX (107 - 15)

/* Folders kept short of PATH_MAX, so that a file name appended to one always fits. */
#define DIR_MAX (PATH_MAX - 64)

struct pg_server {
	char bindir[DIR_MAX];
	char stage_dir[DIR_MAX];
	char data_dir[DIR_MAX];
	char socket_dir[DIR_MAX];
	char log_path[DIR_MAX];
	uint16_t port;
	bool fsync;
	pid_t pid;
	bool initialised;
	double start_ms;
	/* Whom the server runs as: ourselves, or (as root) an unprivileged user. */
	bool drop;
	uid_t uid;
	gid_t gid;
};

static void say(char *why, size_t why_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !why_len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

static bool is_exec(const char *dir, const char *prog)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, prog);
	return access(p, X_OK) == 0;
}

int pg_server_bindir(char *out, size_t len)
{
	const char *env = getenv(PG_SERVER_BINDIR_ENV);
	glob_t g;
	int err = ERR_NOTFOUND;

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return is_exec(out, "postgres") && is_exec(out, "initdb") ? 0 : ERR_NOTFOUND;
	}
	/* Debian: /usr/lib/postgresql/<major>/bin; the newest major wins. */
	if (glob("/usr/lib/postgresql/*/bin", 0, NULL, &g))
		return ERR_NOTFOUND;
	long best = -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *v = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
		long major = strtol(v, NULL, 10);

		if (major > best && is_exec(g.gl_pathv[i], "postgres") &&
		    is_exec(g.gl_pathv[i], "initdb")) {
			best = major;
			snprintf(out, len, "%s", g.gl_pathv[i]);
			err = 0;
		}
	}
	globfree(&g);
	return err;
}

/* ---- Running as another user ----------------------------------------------------------- */

/* As root: the user the server runs as ("postgres", else "nobody"). */
static int choose_user(struct pg_server *s, char *why, size_t why_len)
{
	struct passwd *pw;

	s->drop = geteuid() == 0;
	if (!s->drop)
		return 0;
	pw = getpwnam("postgres");
	if (!pw)
		pw = getpwnam("nobody");
	if (!pw || pw->pw_uid == 0) {
		say(why, why_len,
		    "running as root, and there is no unprivileged user (postgres or nobody) to "
		    "run PostgreSQL as");
		return ERR_CONFIG;
	}
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
	return 0;
}

/*
 * In a child, as root: become the server's user, keeping CAP_DAC_READ_SEARCH
 * as an ambient capability (kept across execve) so that the folders above
 * the cluster need not be open to that user. Without the capability (a
 * container that dropped it) the server runs anyway, and reaches its cluster
 * only if the folders above it let it in.
 */
static void become_user(const struct pg_server *s)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	const unsigned cap = CAP_DAC_READ_SEARCH;

	prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L);
	if (setgroups(0, NULL) || setgid(s->gid) || setuid(s->uid)) {
		dprintf(2, "sluice: cannot become uid %u: %s\n", (unsigned)s->uid, strerror(errno));
		_exit(127);
	}
	memset(d, 0, sizeof(d));
	d[0].permitted = d[0].effective = d[0].inheritable = 1u << cap;
	if (syscall(SYS_capset, &h, d) == 0)
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0L, 0L);
}

/* fork(), then in the child: log fd as stdout and stderr, the user, exec `argv`. */
static pid_t spawn(const struct pg_server *s, char *const argv[], int log_fd, bool die_with_us)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, 0);
	dup2(log_fd, 1);
	dup2(log_fd, 2);
	setpgid(0, 0); /* a Ctrl-C in the terminal stops sluice, which stops the server */
	if (s->drop)
		become_user(s);
	/* Set after changing user: a change of credentials clears it. */
	if (die_with_us) {
		prctl(PR_SET_PDEATHSIG, (unsigned long)SIGINT, 0L, 0L, 0L);
		if (getppid() != parent)
			_exit(0);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	dprintf(2, "sluice: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* ---- Files ------------------------------------------------------------------------------ */

static int remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0
				       : (errno == ENOTDIR ? (unlink(path) ? ERR_IO : 0) : ERR_IO);
	while (!err && (e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (!lstat(p, &st) && S_ISDIR(st.st_mode))
			err = remove_tree(p);
		else if (unlink(p))
			err = ERR_IO;
	}
	closedir(d);
	if (!err && rmdir(path))
		err = ERR_IO;
	return err;
}

/* The last `max` bytes of the log, for a failure message. */
static void log_tail(const struct pg_server *s, char *out, size_t max)
{
	int fd = open(s->log_path, O_RDONLY);
	off_t end;
	ssize_t n = 0;

	out[0] = '\0';
	if (fd < 0)
		return;
	end = lseek(fd, 0, SEEK_END);
	if (end > 0 && lseek(fd, end > (off_t)max - 1 ? end - (off_t)max + 1 : 0, SEEK_SET) >= 0)
		n = read(fd, out, max - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	for (char *p = out; *p; p++)
		if (*p == '\n' && p[1])
			*p = ' ';
}

/* A folder owned by the server's user, mode 0700. */
static int make_private_dir(const struct pg_server *s, const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return ERR_IO;
	if (s->drop && chown(path, s->uid, s->gid))
		return ERR_IO;
	return chmod(path, 0700) ? ERR_IO : 0;
}

/* ---- initdb ---------------------------------------------------------------------------- */

static int wait_exit(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return ERR_IO;
	return 0;
}

static int run_initdb(struct pg_server *s, int log_fd, char *why, size_t why_len)
{
	char initdb[PATH_MAX], tmp[PATH_MAX];
	int status = 0, err;

	snprintf(initdb, sizeof(initdb), "%s/initdb", s->bindir);
	snprintf(tmp, sizeof(tmp), "%s.init", s->data_dir);
	/* A leftover of a killed initdb is removed, never reused. */
	if ((err = remove_tree(tmp)) || (err = make_private_dir(s, tmp))) {
		say(why, why_len, "cannot prepare %s: %s", tmp, strerror(errno));
		return err;
	}
	char *argv[16];
	size_t n = 0;

	argv[n++] = initdb;
	argv[n++] = "-D";
	argv[n++] = tmp;
	argv[n++] = "-U";
	argv[n++] = PG_SERVER_SUPERUSER;
	argv[n++] = "-A";
	argv[n++] = "trust";
	argv[n++] = "-E";
	argv[n++] = "UTF8";
	argv[n++] = "--locale=C";
	if (!s->fsync)
		argv[n++] = "--no-sync";
	argv[n++] = "--no-instructions";
	argv[n] = NULL;
	pid_t pid = spawn(s, argv, log_fd, false);
	if (pid < 0 || wait_exit(pid, &status) || !WIFEXITED(status) || WEXITSTATUS(status)) {
		char tail[600];

		log_tail(s, tail, sizeof(tail));
		say(why, why_len, "initdb failed (see %s): %s", s->log_path, tail);
		return ERR_IO;
	}
	if (rename(tmp, s->data_dir)) {
		say(why, why_len, "cannot rename %s: %s", tmp, strerror(errno));
		return ERR_IO;
	}
	s->initialised = true;
	return 0;
}

/* ---- A postmaster left behind --------------------------------------------------------- */

/* Fields of postmaster.pid: line 1 the pid, 4 the port, 5 the socket folder. */
static int read_pid_file(const char *data_dir, long *pid, long *port, char *sock, size_t sock_len)
{
	char path[PATH_MAX + 64], line[PATH_MAX];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/postmaster.pid", data_dir);
	f = fopen(path, "r");
	if (!f)
		return ERR_NOTFOUND;
	*pid = *port = 0;
	sock[0] = '\0';
	while (fgets(line, sizeof(line), f) && ++n <= 5) {
		line[strcspn(line, "\n")] = '\0';
		if (n == 1)
			*pid = strtol(line, NULL, 10);
		else if (n == 4)
			*port = strtol(line, NULL, 10);
		else if (n == 5)
			snprintf(sock, sock_len, "%s", line);
	}
	fclose(f);
	return *pid > 0 ? 0 : ERR_NOTFOUND;
}

/*
 * True when `pid` runs and is a postgres program; with `data_dir`, also one
 * working in that folder (a postmaster chdir()s to its cluster), so that a
 * recycled pid of another cluster's postmaster is never taken for ours.
 */
static bool is_postmaster_of(long pid, const char *data_dir)
{
	char path[64], comm[64] = "", cwd[PATH_MAX];
	ssize_t n;
	FILE *f;

	if (pid <= 0)
		return false;
	if (kill((pid_t)pid, 0))
		return errno == EPERM; /* alive, but not ours to inspect: wait for it */
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	if (strncmp(comm, "postgres", 8))
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cwd", pid);
	n = data_dir ? readlink(path, cwd, sizeof(cwd) - 1) : -1;
	if (n < 0)
		return true;
	cwd[n] = '\0';
	return !strcmp(cwd, data_dir);
}

static bool is_postmaster(long pid)
{
	return is_postmaster_of(pid, NULL);
}

/* Wait up to `ms` for `pid` to go away (it is not our child: poll kill(pid, 0)). */
static bool gone_within(long pid, int ms)
{
	for (int waited = 0; waited < ms; waited += 20) {
		if (!is_postmaster(pid))
			return true;
		usleep(20 * 1000);
	}
	return !is_postmaster(pid);
}

/* The parent of `pid` (from /proc/<pid>/stat), or 0. */
static long parent_of(long pid)
{
	char path[64], line[512], *close;
	long ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* "pid (comm) state ppid ...": comm may hold spaces; its last ')' ends it. */
	if (fgets(line, sizeof(line), f) && (close = strrchr(line, ')')))
		ppid = strtol(close + 3, NULL, 10);
	fclose(f);
	return ppid;
}

/* True when `pid` is a live sluice process (another `sluice dev` of this stage). */
static bool is_sluice(long pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	if (pid <= 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "sluice", 6);
}

/*
 * Stop a postmaster a killed `sluice dev` left running on this cluster. One
 * whose parent is a live sluice belongs to another `sluice dev` of the same
 * stage: that is refused (ERR_EXISTS), never stopped.
 */
static int stop_leftover(const struct pg_server *s, char *why, size_t why_len)
{
	char sock[PATH_MAX];
	long pid, port, parent;

	if (read_pid_file(s->data_dir, &pid, &port, sock, sizeof(sock)) ||
	    !is_postmaster_of(pid, s->data_dir))
		return 0;
	parent = parent_of(pid);
	if (is_sluice(parent) && parent != (long)getpid()) {
		say(why, why_len,
		    "the PostgreSQL of this stage (%s) is run by another sluice (pid %ld); stop it "
		    "first, or use another --stage",
		    s->data_dir, parent);
		return ERR_EXISTS;
	}
	log_msg(LVL_WARN,
		"postgres: a postmaster (pid %ld) still runs on %s from an earlier sluice dev; "
		"stopping it cleanly",
		pid, s->data_dir);
	kill((pid_t)pid, SIGINT);
	if (gone_within(pid, PG_SERVER_STOP_MS))
		return 0;
	kill((pid_t)pid, SIGQUIT);
	if (!gone_within(pid, 5000))
		kill((pid_t)pid, SIGKILL);
	gone_within(pid, 5000);
	return 0;
}

/* ---- Start ---------------------------------------------------------------------------- */

static uint16_t free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	if (fd < 0)
		return 0;
	if (!bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* The socket folder: the cluster's own, or a short one in /tmp when that path is too long. */
static int choose_socket_dir(struct pg_server *s)
{
	char hex[2 * SHA256_LEN + 1];

	if (strlen(s->data_dir) <= SOCKET_DIR_MAX) {
		snprintf(s->socket_dir, sizeof(s->socket_dir), "%s", s->data_dir);
		return 0;
	}
	sha256_hex(s->data_dir, strlen(s->data_dir), hex);
	snprintf(s->socket_dir, sizeof(s->socket_dir), "/tmp/sluice-pg-%.16s", hex);
	return make_private_dir(s, s->socket_dir);
}

static bool ready(const struct pg_server *s)
{
	char port[8];
	const char *keys[] = {"host", "port", "dbname", "user", "connect_timeout", NULL};
	const char *vals[] = {s->socket_dir, port, "postgres", PG_SERVER_SUPERUSER, "2", NULL};

	snprintf(port, sizeof(port), "%u", (unsigned)s->port);
	return PQpingParams(keys, vals, 0) == PQPING_OK;
}

static int run_postmaster(struct pg_server *s, int log_fd, char *why, size_t why_len)
{
	char postgres[PATH_MAX], port[8];
	const char *sync = s->fsync ? "on" : "off";
	char fsync_opt[32], commit_opt[40], fpw_opt[40];
	int64_t deadline = time_now_ms() + PG_SERVER_READY_MS;
	int status;

	snprintf(postgres, sizeof(postgres), "%s/postgres", s->bindir);
	snprintf(port, sizeof(port), "%u", (unsigned)s->port);
	snprintf(fsync_opt, sizeof(fsync_opt), "fsync=%s", sync);
	snprintf(commit_opt, sizeof(commit_opt), "synchronous_commit=%s", sync);
	snprintf(fpw_opt, sizeof(fpw_opt), "full_page_writes=%s", sync);
	char *argv[] = {postgres, "-D", s->data_dir, "-k", s->socket_dir, "-h", "127.0.0.1", "-p",
			port,	  "-c", fsync_opt,   "-c", commit_opt,	  "-c", fpw_opt,     NULL};
	s->pid = spawn(s, argv, log_fd, true);
	if (s->pid < 0) {
		say(why, why_len, "cannot start postgres: %s", strerror(errno));
		return ERR_IO;
	}
	while (time_now_ms() < deadline) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			char tail[600];

			s->pid = 0;
			log_tail(s, tail, sizeof(tail));
			say(why, why_len, "postgres exited at start (see %s): %s", s->log_path,
			    tail);
			return ERR_IO;
		}
		if (ready(s))
			return 0;
		usleep(10 * 1000);
	}
	say(why, why_len, "postgres was not ready within %d ms (see %s)", PG_SERVER_READY_MS,
	    s->log_path);
	return ERR_IO;
}

/* dst = a + b, both short enough (checked by the caller): DIR_MAX bytes. */
static void join(char dst[DIR_MAX], const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	memcpy(dst, a, na);
	memcpy(dst + na, b, nb);
	dst[na + nb] = '\0';
}

static int resolve_paths(struct pg_server *s, const struct pg_server_options *o, char *why,
			 size_t why_len)
{
	char abs[PATH_MAX];

	if (!o->stage_dir || !realpath(o->stage_dir, abs)) {
		say(why, why_len, "%s: %s", o->stage_dir ? o->stage_dir : "(no stage folder)",
		    strerror(errno));
		return ERR_IO;
	}
	if (strlen(abs) + sizeof("/" PG_SERVER_DIR ".init") + 32 > sizeof(s->data_dir)) {
		say(why, why_len, "%s: path too long", abs);
		return ERR_TOOLARGE;
	}
	join(s->stage_dir, abs, "");
	join(s->data_dir, abs, "/" PG_SERVER_DIR);
	join(s->log_path, abs, "/" PG_SERVER_LOG);
	return 0;
}

static int start(struct pg_server *s, char *why, size_t why_len)
{
	char version[PATH_MAX];
	int64_t t0 = time_mono_ns();
	int log_fd, err = 0;

	log_fd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		say(why, why_len, "%s: %s", s->log_path, strerror(errno));
		return ERR_IO;
	}
	snprintf(version, sizeof(version), "%s/PG_VERSION", s->data_dir);
	s->initialised = false;
	if (access(version, F_OK))
		err = remove_tree(s->data_dir) ? ERR_IO : run_initdb(s, log_fd, why, why_len);
	else
		err = stop_leftover(s, why, why_len);
	if (!err && s->drop && chown(s->log_path, s->uid, s->gid))
		err = ERR_IO;
	if (!err)
		err = choose_socket_dir(s);
	if (!err && !s->port && !(s->port = free_port()))
		err = ERR_IO;
	if (!err)
		err = run_postmaster(s, log_fd, why, why_len);
	close(log_fd);
	s->start_ms = (double)(time_mono_ns() - t0) / 1e6;
	return err;
}

int pg_server_start(const struct pg_server_options *o, struct pg_server **out, char *why,
		    size_t why_len)
{
	struct pg_server *s = calloc(1, sizeof(*s));
	int err;

	*out = NULL;
	if (!s)
		return ERR_NOMEM;
	s->fsync = o->fsync;
	s->port = o->port;
	if (pg_server_bindir(s->bindir, sizeof(s->bindir))) {
		say(why, why_len,
		    "no PostgreSQL server found (/usr/lib/postgresql/*/bin/postgres): run make "
		    "deps, "
		    "or set " PG_SERVER_BINDIR_ENV);
		free(s);
		return ERR_NOTFOUND;
	}
	err = resolve_paths(s, o, why, why_len);
	if (!err)
		err = choose_user(s, why, why_len);
	if (!err)
		err = start(s, why, why_len);
	if (err) {
		pg_server_stop(s);
		return err;
	}
	*out = s;
	return 0;
}

int pg_server_ensure_database(struct pg_server *s, const char *name, char *why, size_t why_len)
{
	struct buf ci;
	PGconn *c;
	PGresult *r;
	const char *params[1] = {name};
	int err = 0;

	buf_init(&ci, (size_t)2 * PATH_MAX);
	if ((err = pg_server_conninfo(s, "postgres", NULL, &ci)))
		return err;
	c = PQconnectdb(ci.ptr);
	buf_release(&ci);
	if (!c || PQstatus(c) != CONNECTION_OK) {
		say(why, why_len, "cannot connect to the local postgres: %s",
		    c ? PQerrorMessage(c) : "out of memory");
		PQfinish(c);
		return ERR_REMOTE;
	}
	r = PQexecParams(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL, params, NULL,
			 NULL, 0);
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0) {
		char *ident = PQescapeIdentifier(c, name, strlen(name));
		struct buf sql;

		PQclear(r);
		r = NULL;
		buf_init(&sql, 4096);
		buf_putf(&sql, "CREATE DATABASE %s", ident ? ident : "\"\"");
		PQfreemem(ident);
		if (!buf_error(&sql))
			r = PQexec(c, sql.ptr);
		buf_release(&sql);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			err = ERR_REMOTE;
	} else if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = ERR_REMOTE;
	}
	if (err)
		say(why, why_len, "cannot create database %s: %s", name, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return err;
}

const char *pg_server_socket_dir(const struct pg_server *s)
{
	return s->socket_dir;
}

uint16_t pg_server_port(const struct pg_server *s)
{
	return s->port;
}

const char *pg_server_data_dir(const struct pg_server *s)
{
	return s->data_dir;
}

int pg_server_pid(const struct pg_server *s)
{
	return (int)s->pid;
}

double pg_server_start_ms(const struct pg_server *s)
{
	return s->start_ms;
}

bool pg_server_initialised(const struct pg_server *s)
{
	return s->initialised;
}

/* Append `v` quoted for a libpq connection string: '...' with \ and ' escaped. */
static void put_value(struct buf *out, const char *key, const char *v)
{
	buf_putf(out, "%s%s='", out->len ? " " : "", key);
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *v);
	}
	buf_putc(out, '\'');
}

int pg_conninfo(const char *socket_dir, uint16_t port, const char *dbname, const char *user,
		struct buf *out)
{
	char p[8];
	size_t mark = out->len;
	int err;

	snprintf(p, sizeof(p), "%u", (unsigned)port);
	put_value(out, "host", socket_dir);
	put_value(out, "port", p);
	put_value(out, "dbname", dbname);
	put_value(out, "user", user ? user : PG_SERVER_SUPERUSER);
	if ((err = buf_error(out))) {
		buf_truncate(out, mark);
		out->err = 0;
	}
	return err;
}

int pg_server_conninfo(const struct pg_server *s, const char *dbname, const char *user,
		       struct buf *out)
{
	return pg_conninfo(s->socket_dir, s->port, dbname, user, out);
}

bool pg_server_alive(struct pg_server *s)
{
	int status;

	if (!s || s->pid <= 0)
		return false;
	if (waitpid(s->pid, &status, WNOHANG) != s->pid)
		return true;
	if (WIFSIGNALED(status))
		log_msg(LVL_ERROR, "postgres: the postmaster died of signal %d", WTERMSIG(status));
	else
		log_msg(LVL_ERROR, "postgres: the postmaster exited with status %d",
			WEXITSTATUS(status));
	s->pid = 0;
	return false;
}

/* Wait up to `ms` for our child to exit. */
static bool reaped_within(pid_t pid, int ms)
{
	int status;

	for (int waited = 0; waited <= ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		usleep(10 * 1000);
	}
	return false;
}

void pg_server_stop(struct pg_server *s)
{
	if (!s)
		return;
	if (s->pid > 0) {
		/* SIGINT is PostgreSQL's fast shutdown: roll back, checkpoint, exit. */
		kill(s->pid, SIGINT);
		if (!reaped_within(s->pid, PG_SERVER_STOP_MS)) {
			log_msg(LVL_WARN, "postgres: no fast shutdown within %d ms; SIGQUIT",
				PG_SERVER_STOP_MS);
			kill(s->pid, SIGQUIT);
			if (!reaped_within(s->pid, 5000)) {
				kill(s->pid, SIGKILL);
				reaped_within(s->pid, 5000);
			}
		}
	}
	free(s);
}

int pg_server_find(const char *stage_dir, uint16_t *port, char *socket_dir)
{
	char data[PATH_MAX + 16], abs[PATH_MAX];
	long pid, p;

	if (!realpath(stage_dir, abs))
		return ERR_NOTFOUND;
	snprintf(data, sizeof(data), "%s/" PG_SERVER_DIR, abs);
	if (read_pid_file(data, &pid, &p, socket_dir, PATH_MAX) || !is_postmaster_of(pid, data) ||
	    p <= 0 || p > 65535 || !socket_dir[0])
		return ERR_NOTFOUND;
	*port = (uint16_t)p;
	return 0;
}
