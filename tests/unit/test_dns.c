/*
 * tests/unit/test_dns.c — lib/dns.c: record parsing (good and malformed
 * RDATA, name escaping and limits), reverse names, resolver set-up errors,
 * and live lookups against a real unbound (/usr/sbin/unbound, started here
 * on a free loopback port with a static zone; missing unbound is a failure):
 * answers of every type, NXDOMAIN, NODATA, REFUSED as TEMPFAIL, a dead and a
 * silent server, cancel, shutdown with queries pending, and that callbacks
 * never run inside dns_lookup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <event2/event.h>

#include "dns.h"
#include "strbuf.h"

#define UNBOUND "/usr/sbin/unbound"
#define RD(s)	(const unsigned char *)(s), sizeof(s) - 1

/* ---- dns_rr_parse tables -------------------------------------------- */

static const struct {
	const char *label;
	int	type;
	const unsigned char *rdata;
	size_t	len;
	int	ok;
	const char *text;	/* addr or name */
	unsigned pref;
} rr_cases[] = {
	{"A", DNS_T_A, RD("\xc0\x00\x02\x01"), 1, "192.0.2.1", 0},
	{"A short", DNS_T_A, RD("\xc0\x00\x02"), 0, NULL, 0},
	{"A long", DNS_T_A, RD("\xc0\x00\x02\x01\x01"), 0, NULL, 0},
	{"A empty", DNS_T_A, RD(""), 0, NULL, 0},
	{"AAAA", DNS_T_AAAA, RD("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"),
	    1, "2001:db8::1", 0},
	{"AAAA short", DNS_T_AAAA, RD("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0"),
	    0, NULL, 0},
	{"PTR", DNS_T_PTR, RD("\x04host\x07" "example\x00"), 1, "host.example", 0},
	{"PTR lower-cased", DNS_T_PTR, RD("\x04HoSt\x07" "EXAMPLE\x00"), 1,
	    "host.example", 0},
	{"PTR root", DNS_T_PTR, RD("\x00"), 1, ".", 0},
	{"PTR _ and -", DNS_T_PTR, RD("\x05_a-b9\x00"), 1, "_a-b9", 0},
	{"PTR dot in label", DNS_T_PTR, RD("\x03" "a.b\x00"), 1, "a\\046b", 0},
	{"PTR space", DNS_T_PTR, RD("\x03" "a b\x00"), 1, "a\\032b", 0},
	{"PTR CR LF", DNS_T_PTR, RD("\x04" "a\r\nb\x00"), 1, "a\\013\\010b", 0},
	{"PTR NUL byte", DNS_T_PTR, RD("\x02" "a\x00\x00"), 1, "a\\000", 0},
	{"PTR backslash", DNS_T_PTR, RD("\x02" "a\\\x00"), 1, "a\\092", 0},
	{"PTR high byte", DNS_T_PTR, RD("\x01\xff\x00"), 1, "\\255", 0},
	{"PTR empty", DNS_T_PTR, RD(""), 0, NULL, 0},
	{"PTR truncated label", DNS_T_PTR, RD("\x04ho"), 0, NULL, 0},
	{"PTR no root", DNS_T_PTR, RD("\x04host"), 0, NULL, 0},
	{"PTR trailing byte", DNS_T_PTR, RD("\x04host\x00X"), 0, NULL, 0},
	{"PTR pointer", DNS_T_PTR, RD("\xc0\x0c"), 0, NULL, 0},
	{"PTR label then pointer", DNS_T_PTR, RD("\x04host\xc0\x0c"), 0, NULL, 0},
	{"PTR extended label 0x40", DNS_T_PTR, RD("\x41" "a\x00"), 0, NULL, 0},
	{"PTR label type 0x80", DNS_T_PTR, RD("\x81" "a\x00"), 0, NULL, 0},
	{"CNAME", DNS_T_CNAME, RD("\x01" "a\x01" "b\x00"), 1, "a.b", 0},
	{"CNAME truncated", DNS_T_CNAME, RD("\x05" "a"), 0, NULL, 0},
	{"MX", DNS_T_MX, RD("\x00\x0a\x02mx\x07" "example\x00"), 1, "mx.example",
	    10},
	{"MX pref 65535", DNS_T_MX, RD("\xff\xff\x01m\x00"), 1, "m", 65535},
	{"MX null (RFC 7505)", DNS_T_MX, RD("\x00\x00\x00"), 1, ".", 0},
	{"MX no name", DNS_T_MX, RD("\x00\x0a"), 0, NULL, 0},
	{"MX one byte", DNS_T_MX, RD("\x00"), 0, NULL, 0},
	{"MX pointer", DNS_T_MX, RD("\x00\x0a\xc0\x0c"), 0, NULL, 0},
	{"MX trailing", DNS_T_MX, RD("\x00\x0a\x01m\x00\x00"), 0, NULL, 0},
	{"TLSA short", DNS_T_TLSA, RD("\x03\x01"), 0, NULL, 0},
	{"unknown type", 99, RD("\x00"), 0, NULL, 0},
	{"SOA not parsed", 6, RD("\x00\x00"), 0, NULL, 0},
};

static void
test_rr_parse(void **state)
{
	struct dns_rr rr;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(rr_cases) / sizeof(rr_cases[0]); i++) {
		int	r = dns_rr_parse(rr_cases[i].type, rr_cases[i].rdata,
		    rr_cases[i].len, &rr);

		if ((r == 0) != rr_cases[i].ok)
			fail_msg("%s: got %d", rr_cases[i].label, r);
		if (r == 0) {
			const char *got = rr.type == DNS_T_A ||
			    rr.type == DNS_T_AAAA ? rr.addr : rr.name;

			if (strcmp(got, rr_cases[i].text) != 0)
				fail_msg("%s: got \"%s\" want \"%s\"",
				    rr_cases[i].label, got, rr_cases[i].text);
			if (rr.pref != rr_cases[i].pref)
				fail_msg("%s: pref %u", rr_cases[i].label, rr.pref);
			assert_int_equal(rr.type, rr_cases[i].type);
		}
		assert_null(rr.data);	/* no data for these types or on error */
		dns_rr_release(&rr);
	}
}

static const struct {
	const char *label;
	const unsigned char *rdata;
	size_t	len;
	int	ok;
	const char *text;
	size_t	text_len;
} txt_cases[] = {
	{"one string", RD("\x05hello"), 1, "hello", 5},
	{"joined", RD("\x02" "ab\x02" "cd"), 1, "abcd", 4},
	{"empty string", RD("\x00"), 1, "", 0},
	{"empty strings", RD("\x00\x00\x01x\x00"), 1, "x", 1},
	{"NUL inside", RD("\x03" "a\x00" "b"), 1, "a\0b", 3},
	{"CRLF kept raw", RD("\x04" "a\r\nb"), 1, "a\r\nb", 4},
	{"no string", RD(""), 0, NULL, 0},
	{"length past end", RD("\x06hello"), 0, NULL, 0},
	{"second past end", RD("\x05hello\x03" "ab"), 0, NULL, 0},
	{"lone length", RD("\x05hello\x01"), 0, NULL, 0},
};

static void
test_txt_parse(void **state)
{
	struct dns_rr rr;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(txt_cases) / sizeof(txt_cases[0]); i++) {
		int	r = dns_rr_parse(DNS_T_TXT, txt_cases[i].rdata,
		    txt_cases[i].len, &rr);

		if ((r == 0) != txt_cases[i].ok)
			fail_msg("TXT %s: got %d", txt_cases[i].label, r);
		if (r == 0) {
			assert_non_null(rr.data);
			if (rr.data_len != txt_cases[i].text_len ||
			    memcmp(rr.data, txt_cases[i].text, rr.data_len) != 0)
				fail_msg("TXT %s: wrong data (%zu bytes)",
				    txt_cases[i].label, rr.data_len);
			assert_int_equal(rr.data[rr.data_len], '\0');
		} else
			assert_null(rr.data);
		dns_rr_release(&rr);
		assert_null(rr.data);
	}
}

static void
test_tlsa_parse(void **state)
{
	unsigned char rd[3 + 32];
	struct dns_rr rr;

	(void)state;
	rd[0] = 3;
	rd[1] = 1;
	rd[2] = 1;
	memset(rd + 3, 0xab, 32);
	assert_int_equal(dns_rr_parse(DNS_T_TLSA, rd, sizeof(rd), &rr), 0);
	assert_int_equal(rr.data_len, sizeof(rd));
	assert_memory_equal(rr.data, rd, sizeof(rd));
	dns_rr_release(&rr);
	assert_int_equal(dns_rr_parse(DNS_T_TLSA, rd, 3, &rr), 0);
	assert_int_equal(rr.data_len, 3);
	dns_rr_release(&rr);
}

/* Build a wire name of labels with the given lengths, filled with c. */
static size_t
make_name(unsigned char *buf, const int *lens, size_t n, unsigned char c)
{
	size_t	pos = 0, i;

	for (i = 0; i < n; i++) {
		buf[pos++] = (unsigned char)lens[i];
		memset(buf + pos, c, (size_t)lens[i]);
		pos += (size_t)lens[i];
	}
	buf[pos++] = 0;
	return (pos);
}

static void
test_name_limits(void **state)
{
	static const int max[] = {63, 63, 63, 61};	/* 255 octets on the wire */
	static const int over[] = {63, 63, 63, 62};	/* 256 */
	static const int label64[] = {64};
	static const int escaped[] = {63};	/* 63 * 4 = 252 chars */
	static const int escaped2[] = {63, 1};	/* 252 + 1 + 4: too long */
	unsigned char buf[600];
	struct dns_rr rr;
	size_t	len;

	(void)state;
	len = make_name(buf, max, 4, 'a');
	assert_int_equal(len, 255);
	assert_int_equal(dns_rr_parse(DNS_T_PTR, buf, len, &rr), 0);
	assert_int_equal(strlen(rr.name), 253);
	len = make_name(buf, over, 4, 'a');
	assert_int_equal(dns_rr_parse(DNS_T_PTR, buf, len, &rr), -1);
	len = make_name(buf, label64, 1, 'a');
	assert_int_equal(dns_rr_parse(DNS_T_PTR, buf, len, &rr), -1);
	/* Escaping may make a legal wire name too long to present. */
	len = make_name(buf, escaped, 1, 0x01);
	assert_int_equal(dns_rr_parse(DNS_T_PTR, buf, len, &rr), 0);
	assert_int_equal(strlen(rr.name), 252);
	assert_memory_equal(rr.name, "\\001\\001", 8);
	len = make_name(buf, escaped2, 2, 0x01);
	assert_int_equal(dns_rr_parse(DNS_T_PTR, buf, len, &rr), -1);
	/* MX with the longest name. */
	buf[0] = 0;
	buf[1] = 5;
	len = make_name(buf + 2, max, 4, 'b');
	assert_int_equal(dns_rr_parse(DNS_T_MX, buf, len + 2, &rr), 0);
	assert_int_equal(rr.pref, 5);
	assert_int_equal(strlen(rr.name), 253);
	/* Every truncation of a good name is malformed. */
	len = make_name(buf, max, 4, 'a');
	while (--len > 0)
		assert_int_equal(dns_rr_parse(DNS_T_PTR, buf, len, &rr), -1);
}

/* ---- reverse names -------------------------------------------------- */

static const struct {
	const char *addr, *suffix, *want;	/* want NULL: error */
} rev_cases[] = {
	{"192.0.2.1", "in-addr.arpa", "1.2.0.192.in-addr.arpa"},
	{"192.0.2.1", "zen.example", "1.2.0.192.zen.example"},
	{"192.0.2.1", "zen.example.", "1.2.0.192.zen.example"},
	{"192.0.2.1", "", "1.2.0.192"},
	{"192.0.2.1", NULL, "1.2.0.192"},
	{"10.20.30.40", "in-addr.arpa", "40.30.20.10.in-addr.arpa"},
	{"2001:db8::1", "ip6.arpa", "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
	{"2001:DB8:ABCD::fe", "dnsbl.example", "e.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.0.0.0.d.c.b.a.8.b.d.0.1.0.0.2.dnsbl.example"},
	{"::ffff:192.0.2.1", "in-addr.arpa", "1.2.0.192.in-addr.arpa"},
	{"192.0.2", "in-addr.arpa", NULL},
	{"300.1.1.1", "in-addr.arpa", NULL},
	{"", "in-addr.arpa", NULL},
	{"host.example", "in-addr.arpa", NULL},
	{"1.2.3.4 ", "in-addr.arpa", NULL},
	{"1::2::3", "ip6.arpa", NULL},
	{"[::1]", "ip6.arpa", NULL},
	{NULL, "in-addr.arpa", NULL},
};

static void
test_reverse_name(void **state)
{
	struct strbuf out;
	size_t	i;

	(void)state;
	strbuf_init(&out, 1024);
	for (i = 0; i < sizeof(rev_cases) / sizeof(rev_cases[0]); i++) {
		strbuf_set_str(&out, "junk");
		int	r = dns_reverse_name(rev_cases[i].addr,
		    rev_cases[i].suffix, &out);

		if (rev_cases[i].want == NULL) {
			if (r != -1 || out.len != 0)
				fail_msg("%s: got %d \"%s\"", rev_cases[i].addr,
				    r, out.data);
		} else if (r != 0 || strcmp(out.data, rev_cases[i].want) != 0)
			fail_msg("%s %s: got %d \"%s\"", rev_cases[i].addr,
			    rev_cases[i].suffix ? rev_cases[i].suffix : "(null)",
			    r, out.data);
	}
	strbuf_release(&out);
	/* A buffer too small is an error, not a truncation. */
	strbuf_init(&out, 10);
	assert_int_equal(dns_reverse_name("192.0.2.1", "in-addr.arpa", &out), -1);
	assert_int_equal(out.len, 0);
	strbuf_release(&out);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(dns_type_name(DNS_T_MX), "MX");
	assert_string_equal(dns_type_name(DNS_T_TLSA), "TLSA");
	assert_string_equal(dns_type_name(12345), "unknown");
	assert_string_equal(dns_status_name(DNS_NXDOMAIN), "NXDOMAIN");
	assert_string_equal(dns_status_name(DNS_TEMPFAIL), "TEMPFAIL");
}

/* ---- a real unbound ------------------------------------------------- */

static const char *zone_data[] = {
	"host.example. A 192.0.2.10",
	"host.example. A 192.0.2.11",
	"host.example. AAAA 2001:db8::10",
	"host.example. MX 20 mx2.example.",
	"host.example. MX 10 MX1.Example.",
	"10.2.0.192.in-addr.arpa. PTR host.example.",
	"0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
	    " PTR host.example.",
	"txt.example. TXT \"v=spf1 -all\"",
	"multi.example. TXT \"ab\" \"cd\"",
	"alias.example. CNAME host.example.",
	"weird.example. PTR a\\032b\\.c.example.",
	"nullmx.example. MX 0 .",
	"_25._tcp.mx1.example. TLSA 3 1 1 "
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
};

static struct event_base *base;
static pid_t unbound_pid = -1;
static char unbound_dir[64];
static int unbound_port;
static char unbound_addr[32];

static int
port_free(int port)
{
	struct sockaddr_in sin;
	int	kinds[2] = {SOCK_DGRAM, SOCK_STREAM}, i, ok = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 2 && ok; i++) {
		int	fd = socket(AF_INET, kinds[i], 0);

		if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			ok = 0;
		if (fd >= 0)
			close(fd);
	}
	return (ok);
}

static int
free_port(void)
{
	int	i, port;

	for (i = 0; i < 200; i++) {
		port = 20000 + (int)(random() % 40000);
		if (port_free(port))
			return (port);
	}
	return (-1);
}

/* One hand-made UDP query to 127.0.0.1:port; 1 when any answer came. */
static int
dns_probe(int port)
{
	static const unsigned char q[] = "\x12\x34\x01\x00\x00\x01\x00\x00"
	    "\x00\x00\x00\x00\x05probe\x07invalid\x00\x00\x01\x00\x01";
	struct sockaddr_in sin;
	struct pollfd pfd;
	unsigned char buf[512];
	int	fd, got = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return (0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    send(fd, q, sizeof(q) - 1, 0) == (ssize_t)(sizeof(q) - 1)) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) == 1 && recv(fd, buf, sizeof(buf), 0) >= 12 &&
		    buf[0] == 0x12 && buf[1] == 0x34)
			got = 1;
	}
	close(fd);
	return (got);
}

static int
write_conf(const char *path, int port)
{
	FILE   *f = fopen(path, "w");
	size_t	i;

	if (f == NULL)
		return (-1);
	fprintf(f, "server:\n  interface: 127.0.0.1\n  port: %d\n"
	    "  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n"
	    "  directory: \"%s\"\n  pidfile: \"%s/unbound.pid\"\n"
	    "  logfile: \"%s/unbound.log\"\n  use-syslog: no\n"
	    "  verbosity: 1\n  num-threads: 1\n  so-reuseport: no\n"
	    "  do-ip6: no\n  access-control: 127.0.0.0/8 allow\n"
	    "  module-config: \"iterator\"\n"
	    "  do-not-query-address: 0.0.0.0/0\n"
	    "  do-not-query-address: ::/0\n"
	    "  local-zone: \".\" refuse\n"
	    "  local-zone: \"example.\" static\n"
	    "  local-zone: \"arpa.\" static\n",
	    port, unbound_dir, unbound_dir, unbound_dir);
	for (i = 0; i < sizeof(zone_data) / sizeof(zone_data[0]); i++)
		if (strchr(zone_data[i], '"') != NULL)
			fprintf(f, "  local-data: '%s'\n", zone_data[i]);
		else
			fprintf(f, "  local-data: \"%s\"\n", zone_data[i]);
	fprintf(f, "remote-control:\n  control-enable: no\n");
	return (fclose(f) == 0 ? 0 : -1);
}

static pid_t
spawn_unbound(const char *conf)
{
	char	log[128];
	pid_t	pid = fork();
	int	fd;

	if (pid != 0)
		return (pid);
	snprintf(log, sizeof(log), "%s/stderr.log", unbound_dir);
	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)) >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	execl(UNBOUND, "unbound", "-d", "-c", conf, (char *)NULL);
	_exit(127);
}

static void
stop_unbound(void)
{
	int	status, i;

	if (unbound_pid <= 0)
		return;
	kill(unbound_pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(unbound_pid, &status, WNOHANG) == unbound_pid)
			break;
		usleep(50000);
	}
	if (i == 100) {
		kill(unbound_pid, SIGKILL);
		waitpid(unbound_pid, &status, 0);
	}
	unbound_pid = -1;
}

/* Start unbound on a free port and wait until it answers. 0 / -1. */
static int
start_unbound(void)
{
	char	conf[128];
	int	attempt, i, status;

	strcpy(unbound_dir, "/tmp/tegami-test-dns-XXXXXX");
	if (mkdtemp(unbound_dir) == NULL)
		return (-1);
	snprintf(conf, sizeof(conf), "%s/unbound.conf", unbound_dir);
	for (attempt = 0; attempt < 5; attempt++) {
		if ((unbound_port = free_port()) < 0 ||
		    write_conf(conf, unbound_port) < 0)
			return (-1);
		if ((unbound_pid = spawn_unbound(conf)) < 0)
			return (-1);
		for (i = 0; i < 200; i++) {	/* 10 to 30 s at most */
			if (waitpid(unbound_pid, &status, WNOHANG) == unbound_pid) {
				unbound_pid = -1;
				break;
			}
			if (dns_probe(unbound_port)) {
				snprintf(unbound_addr, sizeof(unbound_addr),
				    "127.0.0.1@%d", unbound_port);
				return (0);
			}
			usleep(50000);	/* not listening yet: refused at once */
		}
		stop_unbound();
	}
	return (-1);
}

static int
group_setup(void **state)
{
	(void)state;
	srandom((unsigned)getpid());
	signal(SIGPIPE, SIG_IGN);
	return ((base = event_base_new()) == NULL ? -1 : 0);
}

/* The live tests need unbound: missing or not starting is a failure. */
static void
need_unbound(void)
{
	if (unbound_pid > 0)
		return;
	if (access(UNBOUND, X_OK) != 0)
		fail_msg("%s missing (scripts/install-deps installs unbound)",
		    UNBOUND);
	if (start_unbound() < 0)
		fail_msg("unbound did not start (see %s)", unbound_dir);
}

static int
group_teardown(void **state)
{
	char	cmd[128];

	(void)state;
	dns_shutdown();
	stop_unbound();
	if (unbound_dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unbound_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "test_dns: cannot remove %s\n", unbound_dir);
	}
	if (base != NULL)
		event_base_free(base);
	return (0);
}

/* ---- driving lookups ------------------------------------------------ */

#define MAXRR 8

struct capture {
	int	called;
	int	in_lookup;	/* the callback ran inside dns_lookup */
	enum dns_status status;
	int	secure;
	char	why[64];
	char	qname[256];
	int	qtype;
	size_t	nrr;
	struct {
		int	type;
		unsigned pref;
		char	name[DNS_NAME_MAX + 1];
		char	addr[46];
		char	data[256];
		size_t	data_len;
	} rr[MAXRR];
	/* optional actions in the callback */
	struct dns_query **cancel;	/* cancel this one */
	struct dns_query *self;		/* cancel our own (a no-op) */
	const char *chain_name;		/* start this lookup */
	struct capture *chain_cap;
};

static int inside_lookup;
static int guard_fired;

static void lookup_cb(void *arg, const struct dns_result *res);

static struct dns_query *
start(const char *name, int type, struct capture *c)
{
	struct dns_query *q;

	inside_lookup = 1;
	q = dns_lookup(name, type, lookup_cb, c);
	inside_lookup = 0;
	return (q);
}

static void
lookup_cb(void *arg, const struct dns_result *res)
{
	struct capture *c = arg;
	size_t	i;

	c->called++;
	c->in_lookup |= inside_lookup;
	c->status = res->status;
	c->secure = res->secure;
	snprintf(c->why, sizeof(c->why), "%s", res->why ? res->why : "(null)");
	snprintf(c->qname, sizeof(c->qname), "%s", res->qname);
	c->qtype = res->qtype;
	c->nrr = res->nrr;
	for (i = 0; i < res->nrr && i < MAXRR; i++) {
		c->rr[i].type = res->rr[i].type;
		c->rr[i].pref = res->rr[i].pref;
		memcpy(c->rr[i].name, res->rr[i].name, sizeof(c->rr[i].name));
		memcpy(c->rr[i].addr, res->rr[i].addr, sizeof(c->rr[i].addr));
		c->rr[i].data_len = res->rr[i].data_len;
		if (res->rr[i].data != NULL && res->rr[i].data_len <
		    sizeof(c->rr[i].data))
			memcpy(c->rr[i].data, res->rr[i].data,
			    res->rr[i].data_len + 1);
	}
	if (c->self != NULL)
		dns_cancel(c->self);
	if (c->cancel != NULL && *c->cancel != NULL) {
		dns_cancel(*c->cancel);
		*c->cancel = NULL;
	}
	if (c->chain_name != NULL)
		(void)start(c->chain_name, DNS_T_A, c->chain_cap);
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	guard_fired = 1;
}

/* Run the loop until no query is pending (or a 60 s guard passes). */
static void
run_until_idle(void)
{
	struct timeval tv = {60, 0};
	struct event *guard = evtimer_new(base, guard_cb, NULL);

	guard_fired = 0;
	evtimer_add(guard, &tv);
	while (dns_pending() > 0 && !guard_fired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
	if (guard_fired)
		fail_msg("lookups still pending after 60 s");
}

static void
live_init(void)
{
	struct strbuf err;

	need_unbound();
	strbuf_init(&err, 1024);
	dns_set_timeout(10);
	if (dns_init(base, unbound_addr, NULL, &err) < 0)
		fail_msg("dns_init %s: %s", unbound_addr, err.data);
	strbuf_release(&err);
}

static const struct capture *
find_rr_name(const struct capture *c, const char *name, unsigned pref)
{
	size_t	i;

	for (i = 0; i < c->nrr && i < MAXRR; i++)
		if (strcmp(c->rr[i].name, name) == 0 && c->rr[i].pref == pref)
			return (c);
	return (NULL);
}

static int
has_addr(const struct capture *c, const char *addr)
{
	size_t	i;

	for (i = 0; i < c->nrr && i < MAXRR; i++)
		if (strcmp(c->rr[i].addr, addr) == 0)
			return (1);
	return (0);
}

static void
expect(const struct capture *c, enum dns_status st, size_t nrr)
{
	if (c->called != 1)
		fail_msg("%s/%s: callback ran %d times", c->qname,
		    dns_type_name(c->qtype), c->called);
	if (c->in_lookup)
		fail_msg("%s: callback ran inside dns_lookup", c->qname);
	if (c->status != st || c->nrr != nrr)
		fail_msg("%s/%s: got %s (%s) with %zu records, want %s with %zu",
		    c->qname, dns_type_name(c->qtype), dns_status_name(c->status),
		    c->why, c->nrr, dns_status_name(st), nrr);
	assert_int_equal(c->secure, 0);
}

static void
test_live_answers(void **state)
{
	struct capture a, aaaa, ptr, ptr6, mx, txt, multi, nx, nodata, refused,
	    cname, weird, nullmx, tlsa;
	struct strbuf rev;

	(void)state;
	live_init();
	memset(&a, 0, sizeof(a));
	aaaa = ptr = ptr6 = mx = txt = multi = nx = nodata = refused = cname =
	    weird = nullmx = tlsa = a;
	strbuf_init(&rev, 1024);
	assert_non_null(start("host.example", DNS_T_A, &a));
	assert_non_null(start("host.example.", DNS_T_AAAA, &aaaa));
	assert_int_equal(dns_reverse_name("192.0.2.10", "in-addr.arpa", &rev), 0);
	assert_non_null(start(rev.data, DNS_T_PTR, &ptr));
	assert_int_equal(dns_reverse_name("2001:db8::10", "ip6.arpa", &rev), 0);
	assert_non_null(start(rev.data, DNS_T_PTR, &ptr6));
	assert_non_null(start("HOST.example", DNS_T_MX, &mx));
	assert_non_null(start("txt.example", DNS_T_TXT, &txt));
	assert_non_null(start("multi.example", DNS_T_TXT, &multi));
	assert_non_null(start("nx.example", DNS_T_A, &nx));
	assert_non_null(start("host.example", DNS_T_TXT, &nodata));
	assert_non_null(start("x.refused", DNS_T_A, &refused));
	assert_non_null(start("alias.example", DNS_T_A, &cname));
	assert_non_null(start("weird.example", DNS_T_PTR, &weird));
	assert_non_null(start("nullmx.example", DNS_T_MX, &nullmx));
	assert_non_null(start("_25._tcp.mx1.example", DNS_T_TLSA, &tlsa));
	assert_int_equal(dns_pending(), 14);
	strbuf_release(&rev);
	run_until_idle();

	expect(&a, DNS_OK, 2);
	assert_true(has_addr(&a, "192.0.2.10") && has_addr(&a, "192.0.2.11"));
	assert_string_equal(a.qname, "host.example");
	assert_int_equal(a.qtype, DNS_T_A);
	assert_int_equal(a.rr[0].type, DNS_T_A);
	expect(&aaaa, DNS_OK, 1);
	assert_string_equal(aaaa.rr[0].addr, "2001:db8::10");
	expect(&ptr, DNS_OK, 1);
	assert_string_equal(ptr.rr[0].name, "host.example");
	expect(&ptr6, DNS_OK, 1);
	assert_string_equal(ptr6.rr[0].name, "host.example");
	expect(&mx, DNS_OK, 2);
	assert_non_null(find_rr_name(&mx, "mx1.example", 10));
	assert_non_null(find_rr_name(&mx, "mx2.example", 20));
	expect(&txt, DNS_OK, 1);
	assert_string_equal(txt.rr[0].data, "v=spf1 -all");
	assert_int_equal(txt.rr[0].data_len, 11);
	expect(&multi, DNS_OK, 1);
	assert_string_equal(multi.rr[0].data, "abcd");
	expect(&nx, DNS_NXDOMAIN, 0);
	expect(&nodata, DNS_NODATA, 0);
	expect(&refused, DNS_TEMPFAIL, 0);
	expect(&cname, DNS_OK, 2);
	assert_true(has_addr(&cname, "192.0.2.10"));
	expect(&weird, DNS_OK, 1);
	assert_string_equal(weird.rr[0].name, "a\\032b\\046c.example");
	expect(&nullmx, DNS_OK, 1);
	assert_string_equal(nullmx.rr[0].name, ".");
	assert_int_equal(nullmx.rr[0].pref, 0);
	expect(&tlsa, DNS_OK, 1);
	assert_int_equal(tlsa.rr[0].data_len, 35);
	assert_memory_equal(tlsa.rr[0].data, "\x03\x01\x01\x01\x23\x45", 6);
	assert_int_equal(dns_pending(), 0);
}

/* Cached answers, lookups started from a callback: never synchronous. */
static void
test_live_async(void **state)
{
	struct capture first, again, chained;

	(void)state;
	live_init();
	memset(&first, 0, sizeof(first));
	again = chained = first;
	first.chain_name = "host.example";	/* now in the cache */
	first.chain_cap = &chained;
	assert_non_null(start("host.example", DNS_T_A, &first));
	run_until_idle();
	expect(&first, DNS_OK, 2);
	expect(&chained, DNS_OK, 2);
	assert_non_null(start("host.example", DNS_T_A, &again));
	assert_int_equal(again.called, 0);
	run_until_idle();
	expect(&again, DNS_OK, 2);
	/* Bad names and types are refused up front, with no callback. */
	assert_null(start("", DNS_T_A, &again));
	assert_null(start("a b.example", DNS_T_A, &again));
	assert_null(start("a\nb.example", DNS_T_A, &again));
	assert_null(start("host.example", 6, &again));
	assert_int_equal(dns_pending(), 0);
	assert_int_equal(again.called, 1);
}

static void
test_live_cancel(void **state)
{
	struct capture gone, kept, killer, victim;
	struct dns_query *q, *victim_q;

	(void)state;
	live_init();
	memset(&gone, 0, sizeof(gone));
	kept = killer = victim = gone;
	q = start("host.example", DNS_T_MX, &gone);
	assert_non_null(q);
	assert_non_null(start("host.example", DNS_T_AAAA, &kept));
	assert_int_equal(dns_pending(), 2);
	dns_cancel(q);
	assert_int_equal(dns_pending(), 1);
	/* One callback cancels another query, whose answer may be in. */
	killer.cancel = &victim_q;
	assert_non_null(start("txt.example", DNS_T_TXT, &killer));
	victim_q = start("multi.example", DNS_T_TXT, &victim);
	assert_non_null(victim_q);
	/* A callback that cancels its own query does no harm. */
	memset(&gone, 0, sizeof(gone));
	gone.self = start("nullmx.example", DNS_T_MX, &gone);
	assert_non_null(gone.self);
	run_until_idle();
	expect(&gone, DNS_OK, 1);		/* the cancelled one stayed silent */
	expect(&kept, DNS_OK, 1);
	expect(&killer, DNS_OK, 1);
	/* Either the victim was answered before the killer ran (and the
	 * killer found nothing to cancel) or it was cancelled. */
	if (victim_q == NULL)
		assert_int_equal(victim.called, 0);
	else
		expect(&victim, DNS_OK, 1);
	assert_int_equal(dns_pending(), 0);
	dns_cancel(NULL);
}

/* Nothing listens: the lookup still ends, as a temporary failure. */
static void
test_dead_server(void **state)
{
	struct capture c;
	struct strbuf err;
	char	addr[32];
	int	port = free_port();

	(void)state;
	assert_true(port > 0);
	snprintf(addr, sizeof(addr), "127.0.0.1@%d", port);
	strbuf_init(&err, 1024);
	dns_set_timeout(3);
	assert_int_equal(dns_init(base, addr, NULL, &err), 0);
	memset(&c, 0, sizeof(c));
	assert_non_null(start("host.example", DNS_T_A, &c));
	run_until_idle();
	expect(&c, DNS_TEMPFAIL, 0);
	strbuf_release(&err);
	dns_shutdown();
	dns_set_timeout(10);
}

/* A server that never answers: our own timer ends the lookup. */
static void
test_silent_server(void **state)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct capture c;
	struct strbuf err;
	char	addr[32];
	int	fd;

	(void)state;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1@%u", ntohs(sin.sin_port));
	strbuf_init(&err, 1024);
	dns_set_timeout(2);
	assert_int_equal(dns_init(base, addr, NULL, &err), 0);
	memset(&c, 0, sizeof(c));
	assert_non_null(start("host.example", DNS_T_A, &c));
	run_until_idle();
	expect(&c, DNS_TEMPFAIL, 0);
	/* Shutting down with a query pending: no callback, no leak. */
	memset(&c, 0, sizeof(c));
	assert_non_null(start("host.example", DNS_T_MX, &c));
	assert_int_equal(dns_pending(), 1);
	dns_shutdown();
	assert_int_equal(dns_pending(), 0);
	assert_null(dns_lookup("host.example", DNS_T_A, lookup_cb, &c));
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(c.called, 0);
	strbuf_release(&err);
	close(fd);
	dns_set_timeout(10);
}

/* A trust anchor for example. that the unsigned zone cannot match. */
static void
test_live_bogus(void **state)
{
	struct capture in, out;
	struct strbuf err;
	char	ta[128];
	FILE   *f;

	(void)state;
	need_unbound();
	snprintf(ta, sizeof(ta), "%s/ta.key", unbound_dir);
	f = fopen(ta, "w");
	assert_non_null(f);
	fprintf(f, "example. 3600 IN DS 12345 13 2 0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789abcdef\n");
	assert_int_equal(fclose(f), 0);
	strbuf_init(&err, 1024);
	if (dns_init(base, unbound_addr, ta, &err) < 0)
		fail_msg("dns_init with %s: %s", ta, err.data);
	memset(&in, 0, sizeof(in));
	out = in;
	assert_non_null(start("host.example", DNS_T_A, &in));
	assert_non_null(start("10.2.0.192.in-addr.arpa", DNS_T_PTR, &out));
	run_until_idle();
	expect(&in, DNS_BOGUS, 0);
	expect(&out, DNS_OK, 1);	/* no anchor there: insecure, fine */
	strbuf_release(&err);
	dns_shutdown();
}

static void
test_init_errors(void **state)
{
	static const struct {
		const char *servers, *ta, *err;
	} bad[] = {
		{"dns.example", NULL, "not an IP address"},
		{"127.0.0.1@", NULL, "bad port"},
		{"127.0.0.1@0", NULL, "bad port"},
		{"127.0.0.1@65536", NULL, "bad port"},
		{"127.0.0.1@53x", NULL, "bad port"},
		{"127.0.0.1@-53", NULL, "bad port"},
		{", ,", NULL, "no DNS server"},
		{"127.0.0.1", "/nonexistent/root.key", "trust anchor"},
	};
	struct strbuf err;
	size_t	i;

	(void)state;
	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		if (dns_init(base, bad[i].servers, bad[i].ta, &err) != -1)
			fail_msg("\"%s\": accepted", bad[i].servers);
		if (strstr(err.data, bad[i].err) == NULL)
			fail_msg("\"%s\": error \"%s\"", bad[i].servers, err.data);
	}
	/* Lists in both spellings work; IPv6 too. */
	assert_int_equal(dns_init(base, "127.0.0.1@5353, ::1 192.0.2.1@53",
	    NULL, &err), 0);
	/* The system's resolver configuration. */
	assert_int_equal(dns_init(base, "", NULL, &err), 0);
	assert_int_equal(dns_init(base, NULL, NULL, &err), 0);
	dns_shutdown();
	dns_shutdown();
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr_parse),
		cmocka_unit_test(test_txt_parse),
		cmocka_unit_test(test_tlsa_parse),
		cmocka_unit_test(test_name_limits),
		cmocka_unit_test(test_reverse_name),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_live_answers),
		cmocka_unit_test(test_live_async),
		cmocka_unit_test(test_live_cancel),
		cmocka_unit_test(test_live_bogus),
		cmocka_unit_test(test_dead_server),
		cmocka_unit_test(test_silent_server),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
