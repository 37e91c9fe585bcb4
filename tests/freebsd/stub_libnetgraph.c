/*
 * A stand-in for libnetgraph.so.4 with the same fourteen entry points, for
 * testing pyngraph's ctypes layer on hosts without netgraph.  It records what
 * each call received (stub_* globals, read back from Python) and answers with
 * fixed messages.  Setting stub_fail makes every call fail with stub_errno.
 * Written for pyngraph's tests; built with `zig cc -shared -nostdlib`, so the
 * few libc symbols it uses are resolved from the host process at load time.
 */
#include <stdarg.h>
#include <stddef.h>

#ifdef __linux__
extern int *__errno_location(void);
#define STUB_ERRNO (*__errno_location())
#else
extern int *__error(void);
#define STUB_ERRNO (*__error())
#endif
extern void *malloc(size_t);

#define ALLOC_SIZE 20480

int _gNgDebugLevel;
int stub_fail, stub_errno;
char stub_fmt[64], stub_text[256], stub_where[512];
unsigned int stub_cookie, stub_cmd;
unsigned char stub_args[4096], stub_header[56];
size_t stub_arglen;
int stub_dsp_null;

static void (*stub_log)(const char *, ...);
static void (*stub_logx)(const char *, ...);

static size_t copy(char *dst, const char *src, size_t size)
{
	size_t i = 0;
	for (; src != NULL && src[i] != '\0' && i + 1 < size; i++)
		dst[i] = src[i];
	dst[i] = '\0';
	return i;
}

static void bytes(unsigned char *dst, const void *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src != NULL ? ((const unsigned char *)src)[i] : 0;
}

static int failed(void)
{
	if (!stub_fail)
		return 0;
	STUB_ERRNO = stub_errno;
	return 1;
}

/* Record the format and, when it is "%s", the one string argument. */
static void record(const char *fmt, va_list ap)
{
	copy(stub_fmt, fmt, sizeof(stub_fmt));
	stub_text[0] = '\0';
	if (fmt[0] == '%' && fmt[1] == 's' && fmt[2] == '\0')
		copy(stub_text, va_arg(ap, const char *), sizeof(stub_text));
}

/* A NODEINFO-like reply: 56-byte header, then `arglen` argument bytes. */
static size_t reply(unsigned char *out, size_t size, const char *data, size_t arglen)
{
	unsigned char msg[56 + 256];
	unsigned int fields[6] = { 0, (unsigned int)arglen, 0x30000006u, 1u, 7u, 1137070366u };
	size_t n = 56 + arglen;

	bytes(msg, NULL, sizeof(msg));
	bytes(msg, fields, sizeof(fields));
	msg[0] = 8;			/* version, spare, spare2 share fields[0] */
	copy((char *)msg + 24, "cmd805306374", 32);
	bytes(msg + 56, data, arglen);
	if (n > size)
		n = size;
	bytes(out, msg, n);
	return n;
}

int NgMkSockNode(const char *name, int *csp, int *dsp)
{
	if (failed())
		return -1;
	copy(stub_where, name, sizeof(stub_where));
	stub_dsp_null = dsp == NULL;
	if (csp != NULL)
		*csp = 3;
	if (dsp != NULL)
		*dsp = 4;
	return 0;
}

int NgNameNode(int cs, const char *path, const char *fmt, ...)
{
	va_list ap;
	(void)cs;
	if (failed())
		return -1;
	copy(stub_where, path, sizeof(stub_where));
	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
	return 0;
}

int NgSendMsg(int cs, const char *path, int cookie, int cmd, const void *args, size_t arglen)
{
	(void)cs;
	if (failed())
		return -1;
	copy(stub_where, path, sizeof(stub_where));
	stub_cookie = (unsigned int)cookie;
	stub_cmd = (unsigned int)cmd;
	stub_arglen = args != NULL ? arglen : 0;
	bytes(stub_args, args, stub_arglen);
	return 7;
}

int NgSendAsciiMsg(int cs, const char *path, const char *fmt, ...)
{
	va_list ap;
	(void)cs;
	if (failed())
		return -1;
	copy(stub_where, path, sizeof(stub_where));
	va_start(ap, fmt);
	record(fmt, ap);
	va_end(ap);
	return 9;
}

int NgSendReplyMsg(int cs, const char *path, const void *msg, const void *args, size_t arglen)
{
	(void)cs;
	if (failed())
		return -1;
	copy(stub_where, path, sizeof(stub_where));
	bytes(stub_header, msg, 56);
	stub_arglen = args != NULL ? arglen : 0;
	bytes(stub_args, args, stub_arglen);
	return 0;
}

int NgRecvMsg(int cs, void *rep, size_t replen, char *path)
{
	(void)cs;
	if (failed())
		return -1;
	if (path != NULL)
		copy(path, "[1c]:", 512);
	return (int)reply(rep, replen, "hello", 5);
}

int NgAllocRecvMsg(int cs, void **rep, char *path)
{
	*rep = malloc(ALLOC_SIZE);
	return NgRecvMsg(cs, *rep, ALLOC_SIZE, path);
}

int NgRecvAsciiMsg(int cs, void *rep, size_t replen, char *path)
{
	static const char text[] = "name=\"stub\" type=\"socket\" id=0x1c";
	(void)cs;
	if (failed())
		return -1;
	if (56 + sizeof(text) > replen) {
		STUB_ERRNO = 34;	/* ERANGE, the same number on Linux and FreeBSD */
		return -1;
	}
	if (path != NULL)
		copy(path, "[1c]:", 512);
	reply(rep, 56, NULL, 72);	/* the binary header: arglen 72 */
	bytes((unsigned char *)rep + 56, text, sizeof(text));
	return 0;
}

int NgAllocRecvAsciiMsg(int cs, void **rep, char *path)
{
	*rep = malloc(ALLOC_SIZE);
	return NgRecvAsciiMsg(cs, *rep, ALLOC_SIZE, path);
}

int NgSendData(int ds, const char *hook, const unsigned char *buf, size_t len)
{
	(void)ds;
	if (failed())
		return -1;
	copy(stub_where, hook, sizeof(stub_where));
	stub_arglen = len;
	bytes(stub_args, buf, len);
	return 0;
}

int NgRecvData(int ds, unsigned char *buf, size_t len, char *hook)
{
	size_t n = len < 4 ? len : 4;
	(void)ds;
	if (failed())
		return -1;
	bytes(buf, "ping", n);
	if (hook != NULL)
		copy(hook, "a", 32);
	return (int)n;
}

int NgAllocRecvData(int ds, unsigned char **buf, char *hook)
{
	*buf = malloc(ALLOC_SIZE);
	return NgRecvData(ds, *buf, ALLOC_SIZE, hook);
}

int NgSetDebug(int level)
{
	int previous = _gNgDebugLevel;
	if (level >= 0)
		_gNgDebugLevel = level;
	return previous;
}

void NgSetErrLog(void (*log)(const char *, ...), void (*logx)(const char *, ...))
{
	stub_log = log;
	stub_logx = logx;
}

/* Log the way libnetgraph does: a failure with errno set, then a debug line. */
void stub_emit_logs(int err)
{
	STUB_ERRNO = err;
	stub_log("sendto(%s)", "missing:");
	stub_logx("SOCKADDR: { fam=%d len=%d addr=\"%s\" }", 32, 4, ".");
	stub_logx("  token  %u", 4000000000u);
}
