/*
 * log: structured logging. Under systemd (stderr connected to the journal,
 * as JOURNAL_STREAM tells) each line goes to sd_journal_send with the
 * key=value pairs as journal fields; otherwise one logfmt line on stderr.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "common/log.h"

static enum log_level	 log_level = LOG_LVL_INFO;
static const char	*log_ident = "jpkid";
static int		 log_journal = -1;	/* -1 unknown, 0 stderr, 1 journal */
static pthread_mutex_t	 log_mtx = PTHREAD_MUTEX_INITIALIZER;

void
log_set_level(enum log_level l)
{
	log_level = l;
}

void
log_set_ident(const char *ident)
{
	log_ident = ident;
}

int
log_parse_level(const char *s, enum log_level *out)
{
	static const struct { const char *name; enum log_level l; } t[] = {
		{ "error", LOG_LVL_ERR }, { "warn", LOG_LVL_WARN },
		{ "warning", LOG_LVL_WARN }, { "info", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].name) == 0) {
			*out = t[i].l;
			return 0;
		}
	return -1;
}

/* stderr is the journal when JOURNAL_STREAM names its device:inode. */
static int
use_journal(void)
{
	const char *js;
	struct stat st;
	unsigned long long dev, ino;

	if (log_journal != -1)
		return log_journal;
	log_journal = 0;
	js = getenv("JOURNAL_STREAM");
	if (js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(fileno(stderr), &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino)
		log_journal = 1;
	return log_journal;
}

static const char *
level_name(enum log_level l)
{
	switch (l) {
	case LOG_LVL_ERR:	return "error";
	case LOG_LVL_WARN:	return "warn";
	case LOG_LVL_INFO:	return "info";
	default:		return "debug";
	}
}

/*
 * A logfmt line is built in memory and written with one write(2): stderr
 * is unbuffered, and a stdio call per fragment costs a system call each
 * (tens per request line: it capped the cached OCSP rate at ~7,500/s).
 * One write per line also keeps lines from different threads whole
 * without a lock (the line is capped at LOG_LINE_MAX bytes).
 */
#define LOG_LINE_MAX	4096

struct line {
	char	buf[LOG_LINE_MAX];
	size_t	len;
	int	full;
};

static void
put_raw(struct line *ln, const char *s, size_t n)
{
	if (ln->len + n > sizeof(ln->buf) - 1) {	/* keep room for '\n' */
		n = sizeof(ln->buf) - 1 - ln->len;
		ln->full = 1;
	}
	memcpy(ln->buf + ln->len, s, n);
	ln->len += n;
}

static void
put_str(struct line *ln, const char *s)
{
	put_raw(ln, s, strlen(s));
}

/* Append v to a logfmt line, quoting when it has spaces, quotes or '='. */
static void
put_value(struct line *ln, const char *v)
{
	const char *p;
	int quote = (*v == '\0');

	for (p = v; *p != '\0'; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    (unsigned char)*p < 0x20)
			quote = 1;
	if (!quote) {
		put_str(ln, v);
		return;
	}
	put_raw(ln, "\"", 1);
	for (p = v; *p != '\0' && !ln->full; p++) {
		if (*p == '"' || *p == '\\')
			put_raw(ln, "\\", 1);
		if ((unsigned char)*p < 0x20) {
			char hex[8];

			snprintf(hex, sizeof(hex), "\\x%02x", (unsigned char)*p);
			put_str(ln, hex);
		} else
			put_raw(ln, p, 1);
	}
	put_raw(ln, "\"", 1);
}

static void
stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
}

void
log_msg(enum log_level l, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (l > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_kv(l, msg, (char *)NULL);
}

void
log_kv(enum log_level l, const char *msg, ...)
{
	va_list ap;
	const char *k, *v;
	char ts[64];

	if (l > log_level)
		return;
	if (use_journal()) {
		/* Up to 16 fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER + pairs. */
		struct iovec iov[24];
		char *bufs[24];
		int n = 0, i;

		if (asprintf(&bufs[n], "MESSAGE=%s", msg) < 0)
			return;
		n++;
		if (asprintf(&bufs[n], "PRIORITY=%d", (int)l) < 0)
			goto jout;
		n++;
		if (asprintf(&bufs[n], "SYSLOG_IDENTIFIER=%s", log_ident) < 0)
			goto jout;
		n++;
		va_start(ap, msg);
		while (n < 24 && (k = va_arg(ap, const char *)) != NULL) {
			char key[64];
			size_t j;

			v = va_arg(ap, const char *);
			for (j = 0; k[j] != '\0' && j < sizeof(key) - 1; j++)
				key[j] = (k[j] >= 'a' && k[j] <= 'z') ?
				    k[j] - 'a' + 'A' : (k[j] == '-' ? '_' : k[j]);
			key[j] = '\0';
			if (asprintf(&bufs[n], "JPKID_%s=%s", key,
			    v != NULL ? v : "") < 0)
				break;
			n++;
		}
		va_end(ap);
		for (i = 0; i < n; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = strlen(bufs[i]);
		}
		sd_journal_sendv(iov, n);
jout:
		for (i = 0; i < n; i++)
			free(bufs[i]);
		return;
	}
	{
		struct line ln;
		const char *p;
		ssize_t w;

		ln.len = 0;
		ln.full = 0;
		stamp(ts, sizeof(ts));
		put_str(&ln, "ts=");
		put_str(&ln, ts);
		put_str(&ln, " level=");
		put_str(&ln, level_name(l));
		put_str(&ln, " msg=");
		put_value(&ln, msg);
		va_start(ap, msg);
		while ((k = va_arg(ap, const char *)) != NULL) {
			v = va_arg(ap, const char *);
			put_raw(&ln, " ", 1);
			put_str(&ln, k);
			put_raw(&ln, "=", 1);
			put_value(&ln, v != NULL ? v : "");
		}
		va_end(ap);
		ln.buf[ln.len++] = '\n';
		/* stdio may hold output of its own (fprintf(stderr) elsewhere). */
		pthread_mutex_lock(&log_mtx);
		fflush(stderr);
		for (p = ln.buf; ln.len > 0; p += w, ln.len -= (size_t)w)
			if ((w = write(STDERR_FILENO, p, ln.len)) <= 0)
				break;
		pthread_mutex_unlock(&log_mtx);
	}
}
