/*
 * Unit tests for finding the process at the other end of a loopback TCP
 * connection (src/local/dev_peer.c): rows of /proc/net/tcp and tcp6, the
 * inode of one connection, and its holder among a worker and its
 * descendants, on a folder laid out as /proc is (symbolic links stand for
 * descriptors). And once against the real /proc: this process's own
 * connection to itself.
 */
#include "core/common.h"

#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "local/dev_peer.h"

static const char TCP[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	"timeout inode\n"
	"   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  "
	"      0 1111 1 0000000000000000 100 0 0 10 0\n"
	"   1: 0100007F:C350 0100007F:1538 01 00000000:00000000 00:00000000 00000000  1000  "
	"      0 2222 1 0000000000000000 20 4 30 10 -1\n"
	"   2: 0A000001:C351 0A000002:1538 01 00000000:00000000 00:00000000 00000000  1000  "
	"      0 3333 1 0000000000000000 20 4 30 10 -1\n";
static const char TCP6[] =
	"  sl  local_address                         remote_address                        st "
	"tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 0000000000000000FFFF00000100007F:C352 0000000000000000FFFF00000100007F:1538 01 "
	"00000000:00000000 00:00000000 00000000  1000        0 4444 1 0000000000000000 20 4 0 "
	"10 -1\n";

static void put(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mk(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void fd(const char *root, int pid, int n, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, n);
	assert_int_equal(symlink(target, path), 0);
}

static void test_rows(void **state)
{
	struct dev_peer_row r;
	const char *line = strchr(TCP, '\n') + 1;

	assert_int_equal(dev_peer_parse_row(TCP, strlen(TCP), &r), ERR_PARSE); /* the heading */
	assert_int_equal(dev_peer_parse_row(line, strcspn(line, "\n"), &r), 0);
	assert_int_equal(r.local_port, 0x1538);
	assert_int_equal(r.remote_port, 0);
	assert_false(r.remote_loopback);
	assert_int_equal(r.inode, 1111);
	assert_int_equal(dev_peer_parse_row("0: 0100007F:15 x", 16, &r), ERR_PARSE);
	assert_int_equal(dev_peer_parse_row("", 0, &r), ERR_PARSE);
}

static void test_fake_proc(void **state)
{
	char root[] = "/tmp/sluice-test-proc-XXXXXX";
	unsigned long inode = 0;

	assert_non_null(mkdtemp(root));
	/* No tables at all. */
	assert_int_equal(dev_peer_inode(root, 0xC350, 0x1538, &inode), ERR_IO);
	mk(root, "net");
	put(root, "net/tcp", TCP);
	put(root, "net/tcp6", TCP6);
	assert_int_equal(dev_peer_inode(root, 0xC350, 0x1538, &inode), 0);
	assert_int_equal(inode, 2222);
	assert_int_equal(dev_peer_inode(root, 0xC352, 0x1538, &inode), 0); /* v4-mapped */
	assert_int_equal(inode, 4444);
	/* Not loopback, or not that pair. */
	assert_int_equal(dev_peer_inode(root, 0xC351, 0x1538, &inode), ERR_NOTFOUND);
	assert_int_equal(dev_peer_inode(root, 0x1538, 0xC350, &inode), ERR_NOTFOUND);

	/* Worker 100 runs 200, which runs 300, which holds the socket. */
	mk(root, "100"), mk(root, "100/fd"), mk(root, "100/task"), mk(root, "100/task/100");
	mk(root, "200"), mk(root, "200/fd"), mk(root, "200/task"), mk(root, "200/task/200");
	mk(root, "300"), mk(root, "300/fd");
	put(root, "100/task/100/children", "200 ");
	put(root, "200/task/200/children", "300 ");
	fd(root, 100, 0, "/dev/null");
	fd(root, 100, 1, "socket:[1111]");
	fd(root, 300, 5, "socket:[2222]");
	assert_true(dev_peer_holds(root, 100, 1111));
	assert_false(dev_peer_holds(root, 100, 2222));
	assert_false(dev_peer_holds(root, 999, 2222));
	assert_int_equal(dev_peer_find(root, 100, 2222, 2), 300);
	assert_int_equal(dev_peer_find(root, 100, 2222, 1), 0); /* too deep */
	assert_int_equal(dev_peer_find(root, 100, 1111, 0), 100);
	assert_int_equal(dev_peer_find(root, 0, 1111, 3), 0);

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* The real thing: a connection of this process to itself on 127.0.0.1. */
static void test_real_proc(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t server, mine;
	unsigned long inode;

	assert_true(l >= 0 && c >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	server = ntohs(a.sin_port);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	len = sizeof(a);
	assert_int_equal(getsockname(c, (struct sockaddr *)&a, &len), 0);
	mine = ntohs(a.sin_port);
	if (access("/proc/net/tcp", R_OK) != 0) {
		close(c), close(l);
		skip();
	}
	assert_int_equal(dev_peer_inode("/proc", mine, server, &inode), 0);
	assert_int_equal(dev_peer_find("/proc", getpid(), inode, 0), getpid());
	close(c);
	close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_fake_proc),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
