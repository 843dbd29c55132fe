// SPDX-License-Identifier: GPL-2.0
/*
 * Names as the program shows them. Lock and lockspace names are bytes: in
 * messages they are quoted, cut after MSG_NAME_MAX bytes with "...", and
 * control bytes, the backslash and bytes that are not UTF-8 are written
 * \xHH; in tables as /proc/lockdev shows them (\ooo outside 0x21-0x7e, for
 * the backslash and the tilde), which this file also undoes.
 */
#include <string.h>

#include "cli.h"

/* The length of the UTF-8 sequence at @s (at most @n bytes), 0 if none. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* No overlong forms, no surrogates, nothing above U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

bool utf8_valid(const char *buf, size_t n)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, len;

	while (i < n) {
		len = utf8_seq(s + i, n - i);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

/*
 * @n bytes at @buf for a message: quoted, escaped, cut. The result lives
 * until the fourth call after this one.
 */
const char *msg_name(const char *buf, size_t n)
{
	static char ring[4][4 * MSG_NAME_MAX + 8];
	static unsigned int next;
	const unsigned char *s = (const unsigned char *)buf;
	char *out = ring[next++ % 4], *o = out;
	size_t i = 0, len, shown = n < MSG_NAME_MAX ? n : MSG_NAME_MAX;

	*o++ = '\'';
	while (i < shown) {
		len = utf8_seq(s + i, n - i);
		if (len > 1 && i + len <= shown) {
			memcpy(o, s + i, len);
			o += len;
			i += len;
			continue;
		}
		if (!len || len > 1 || s[i] < 0x20 || s[i] == 0x7f ||
		    s[i] == '\\' || s[i] == '\'')
			o += sprintf(o, "\\x%02x", s[i]);
		else
			*o++ = (char)s[i];
		i++;
	}
	*o++ = '\'';
	if (shown < n)
		o += sprintf(o, "...");
	*o = 0;
	return out;
}

/* A NUL-terminated string for a message, as msg_name(). */
const char *msg_str(const char *s)
{
	return msg_name(s, strlen(s));
}

/*
 * Undo the /proc escapes (\ooo) of @s into @out, which has room for @cap
 * bytes and a NUL; the length, or (size_t)-1 if it does not fit.
 */
size_t proc_unescape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	while (*s) {
		if (n == cap)
			return (size_t)-1;
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			out[n++] = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					  (s[3] - '0'));
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = 0;
	return n;
}

/* True if the escaped field @field names @want exactly. */
bool proc_field_is(const char *field, const char *want)
{
	char buf[LOCKDEV_NAME_MAX + 1];
	size_t n = proc_unescape(field, buf, LOCKDEV_NAME_MAX);

	return n != (size_t)-1 && n == strlen(want) && !memcmp(buf, want, n);
}

/* @n bytes at @buf escaped as /proc/lockdev shows them, into @out. */
char *proc_escape(char *out, const char *buf, size_t n)
{
	char *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = buf[i];

		if (c < 0x21 || c > 0x7e || c == '\\' || c == '~')
			o += sprintf(o, "\\%03o", c);
		else
			*o++ = (char)c;
	}
	*o = 0;
	return out;
}

const char *mode_str(uint32_t mode)
{
	static const char *const names[] = { "?", "shared", "append",
					     "exclusive", "none" };

	return names[mode <= LOCKDEV_MODE_NONE ? mode : 0];
}

/* Milliseconds as a short human age. */
const char *fmt_age(unsigned long long ms, char *buf, size_t len)
{
	if (ms < 1000)
		snprintf(buf, len, "%llums", ms);
	else if (ms < 60000)
		snprintf(buf, len, "%llu.%llus", ms / 1000, ms % 1000 / 100);
	else if (ms < 3600000)
		snprintf(buf, len, "%llum%02llus", ms / 60000, ms / 1000 % 60);
	else
		snprintf(buf, len, "%lluh%02llum", ms / 3600000,
			 ms / 60000 % 60);
	return buf;
}
