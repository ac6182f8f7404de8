/*
 * Which local process is at the other end of a loopback TCP connection,
 * found through /proc as ss(8) and lsof do: the connection's row in
 * /proc/net/tcp (or tcp6, for a v4-mapped address) gives its socket's
 * inode, and a process holds the socket when one of the links in
 * /proc/<pid>/fd points to "socket:[<inode>]".
 *
 * `sluice dev` uses it to tie a connection to its RDS Proxy to the
 * function worker that opened it (dev_sql.h): the worker is a child of
 * `sluice dev`, so the same user, and its descriptors are readable. Only
 * candidates are searched (a worker and its descendants, through
 * /proc/<pid>/task/<pid>/children), never every process of the machine.
 *
 * `proc` is the root of the proc filesystem ("/proc"; tests give a folder
 * laid out the same way). Linux only; elsewhere nothing is found.
 */
#ifndef SLUICE_LOCAL_DEV_PEER_H
#define SLUICE_LOCAL_DEV_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One row of /proc/net/tcp or tcp6. */
struct dev_peer_row {
	uint16_t local_port, remote_port;
	bool remote_loopback; /* 127.0.0.1, or ::ffff:127.0.0.1 in tcp6 */
	unsigned long inode;
};

/*
 * Parse one row ("  12: 0100007F:C350 0100007F:1538 01 ... <uid> <timeout>
 * <inode> ..."; `len` bytes, no NUL needed). Returns 0, or ERR_PARSE for the
 * heading and anything else that is not a row.
 */
int dev_peer_parse_row(const char *line, size_t len, struct dev_peer_row *out /* OUT */);

/*
 * The inode of the socket whose own port is `port` and whose peer is
 * 127.0.0.1:`peer_port`. Returns 0 and *out, ERR_NOTFOUND, or ERR_IO when
 * neither table can be read.
 */
int dev_peer_inode(const char *proc, uint16_t port, uint16_t peer_port,
		   unsigned long *out /* OUT */);

/* Whether process `pid` holds socket `inode` among its descriptors. */
bool dev_peer_holds(const char *proc, pid_t pid, unsigned long inode);

/*
 * `pid` when it holds `inode`, else the first of its descendants, `depth`
 * generations down at most, that does; 0 when none.
 */
pid_t dev_peer_find(const char *proc, pid_t pid, unsigned long inode, int depth);

#endif
