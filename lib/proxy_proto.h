/*
 * lib/proxy_proto.h — HAProxy PROXY protocol v1 (text) and v2 (binary)
 * header parser, for a server behind a load balancer (smtpd's
 * smtpd_upstream_proxy_protocol).
 *
 * Incremental and stateless: the caller passes every byte received so far,
 * from the start of the connection, and gets NEED_MORE until the header is
 * complete, OK with the header's length, or ERROR with a static reason.  A
 * prefix that cannot start a header is an ERROR at once (a plain SMTP client
 * that sends "EHLO" is not waited for).  The parser never reads past len and
 * never needs more than PROXY_HEADER_MAX bytes.  Input is untrusted.
 */
#ifndef TEGAMI_PROXY_PROTO_H
#define TEGAMI_PROXY_PROTO_H

#include <stddef.h>
#include <netinet/in.h>		/* INET6_ADDRSTRLEN */

#define PROXY_V1_MAX		107	/* longest v1 line, CRLF included */
#define PROXY_V2_MAX		536	/* longest v2 header we accept (HAProxy's
					 * recommended buffer; TLVs included) */
#define PROXY_HEADER_MAX	PROXY_V2_MAX

enum proxy_result {
	PROXY_NEED_MORE,
	PROXY_OK,
	PROXY_ERROR,
};

/* A parsed header.  With `local` set (v1 UNKNOWN, v2 LOCAL, v2 AF_UNSPEC or
 * AF_UNIX) the addresses are empty: keep the connection's own.  Otherwise
 * the addresses are canonical printable text (inet_ntop), made by us. */
struct proxy_info {
	int	version;		/* 1 or 2 */
	int	local;
	int	family;			/* AF_INET, AF_INET6; AF_UNSPEC if local */
	char	client_addr[INET6_ADDRSTRLEN];
	unsigned client_port;
	char	server_addr[INET6_ADDRSTRLEN];
	unsigned server_port;
};

/*
 * Parse the header at the start of buf[0..len).  OK: *out filled, *used =
 * header length (the bytes after it are the application's).  NEED_MORE and
 * ERROR: *used = 0; on ERROR *why is a static text for the log.  out and
 * why are written only on OK / ERROR respectively; why may be NULL.
 */
enum proxy_result proxy_parse(const unsigned char *buf, size_t len,
	    size_t *used, struct proxy_info *out, const char **why);

#endif
