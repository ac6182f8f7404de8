/*
 * The process at the other end of a loopback TCP connection (dev_peer.h).
 * The tables are read line by line with getline(); a row's fields are
 * separated by runs of spaces: "sl: local rem st tx:rx tr:when retrnsmt
 * uid timeout inode ...".
 */
#include "core/common.h"

#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include "core/enc.h"
#include "core/str.h"
#include "local/dev_peer.h"

#define PEER_FIELDS 10 /* up to the inode */

/* Split `line` at spaces into at most `max` fields; returns how many. */
static size_t fields(const char *line, size_t len, struct str *f, size_t max)
{
	size_t n = 0, i = 0;

	while (n < max) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len || line[i] == '\n')
			break;
		size_t start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\n')
			i++;
		f[n++] = str_make(line + start, i - start);
	}
	return n;
}

/* "ADDRHEX:PORTHEX": the port, and whether the address is a loopback 127.0.0.1. */
static int address(struct str a, uint16_t *port, bool *loopback)
{
	long colon = str_index(a, ':');
	unsigned v = 0;

	if (colon < 0 || a.len - (size_t)colon - 1 != 4)
		return ERR_PARSE;
	for (size_t i = (size_t)colon + 1; i < a.len; i++) {
		int d = hex_digit(a.ptr[i]);

		if (d < 0)
			return ERR_PARSE;
		v = v << 4 | (unsigned)d;
	}
	*port = (uint16_t)v;
	*loopback =
		str_eq(str_make(a.ptr, (size_t)colon), STR_LIT("0100007F")) ||
		str_eq(str_make(a.ptr, (size_t)colon), STR_LIT("0000000000000000FFFF00000100007F"));
	return 0;
}

int dev_peer_parse_row(const char *line, size_t len, struct dev_peer_row *out)
{
	struct str f[PEER_FIELDS];
	long long inode;
	bool ignored;

	memset(out, 0, sizeof(*out));
	if (fields(line, len, f, PEER_FIELDS) < PEER_FIELDS || !f[0].len ||
	    f[0].ptr[f[0].len - 1] != ':')
		return ERR_PARSE;
	if (address(f[1], &out->local_port, &ignored) ||
	    address(f[2], &out->remote_port, &out->remote_loopback))
		return ERR_PARSE;
	if (str_to_i64(f[9], 0, LLONG_MAX, &inode))
		return ERR_PARSE;
	out->inode = (unsigned long)inode;
	return 0;
}

int dev_peer_inode(const char *proc, uint16_t port, uint16_t peer_port, unsigned long *out)
{
	static const char *const tables[] = {"net/tcp", "net/tcp6"};
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	bool read_one = false;
	int err = ERR_NOTFOUND;

	for (size_t t = 0; t < ARRAY_SIZE(tables) && err == ERR_NOTFOUND; t++) {
		FILE *f;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", proc, tables[t]);
		if (!(f = fopen(path, "re")))
			continue;
		read_one = true;
		while ((n = getline(&line, &cap, f)) > 0) {
			struct dev_peer_row r;

			if (dev_peer_parse_row(line, (size_t)n, &r) == 0 && r.local_port == port &&
			    r.remote_port == peer_port && r.remote_loopback && r.inode) {
				*out = r.inode;
				err = 0;
				break;
			}
		}
		fclose(f);
	}
	free(line);
	return read_one ? err : ERR_IO;
}

bool dev_peer_holds(const char *proc, pid_t pid, unsigned long inode)
{
	char path[PATH_MAX], want[64], link[64];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%d/fd", proc, (int)pid);
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	if (!(d = opendir(path)))
		return false;
	while (!found && (e = readdir(d))) {
		char fd[PATH_MAX + 300];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(fd, sizeof(fd), "%s/%s", path, e->d_name);
		n = readlink(fd, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, want);
		}
	}
	closedir(d);
	return found;
}

pid_t dev_peer_find(const char *proc, pid_t pid, unsigned long inode, int depth)
{
	char path[PATH_MAX], kids[4096];
	pid_t found = 0;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return 0;
	if (dev_peer_holds(proc, pid, inode))
		return pid;
	if (depth <= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%d/task/%d/children", proc, (int)pid, (int)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	n = fread(kids, 1, sizeof(kids) - 1, f);
	fclose(f);
	kids[n] = '\0';
	for (char *p = kids, *end; !found && *p; p = end) {
		long long child = strtoll(p, &end, 10);

		if (end == p)
			break;
		found = dev_peer_find(proc, (pid_t)child, inode, depth - 1);
	}
	return found;
}
