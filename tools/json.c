// SPDX-License-Identifier: GPL-2.0
/*
 * JSON output, always valid, also for names that are not UTF-8. A name is
 * written as a string of its bytes; control bytes, the quote and the
 * backslash as JSON escapes. When the bytes are not UTF-8, each byte that
 * is not part of a valid sequence becomes U+FFFD in the string, and a
 * second member, the key with "_hex" appended, gives every byte of the name
 * as two lowercase hex digits: the exact name, for a program to take in
 * place of the string when it is there.
 */
#include <ctype.h>
#include <string.h>

#include "cli.h"

static size_t utf8_len(const unsigned char *s, size_t n)
{
	/* utf8_valid() on one sequence: its length if valid, else 0. */
	size_t len = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;

	if (len > n || !utf8_valid((const char *)s, len))
		return 0;
	return len;
}

/* @n bytes at @buf as a JSON string. */
void json_str(FILE *f, const char *buf, size_t n)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0, len;

	fputc('"', f);
	while (i < n) {
		len = utf8_len(s + i, n - i);
		if (!len) {
			fputs("\\ufffd", f);
			i++;
		} else if (len > 1) {
			fwrite(s + i, 1, len, f);
			i += len;
		} else if (s[i] == '"' || s[i] == '\\') {
			fprintf(f, "\\%c", s[i++]);
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			fprintf(f, "\\u%04x", s[i++]);
		} else {
			fputc(s[i++], f);
		}
	}
	fputc('"', f);
}

/* "@key": the name, and "@key_hex" if it is not UTF-8. */
void json_name(FILE *f, const char *key, const char *buf, size_t n)
{
	size_t i;

	fprintf(f, "\"%s\": ", key);
	json_str(f, buf, n);
	if (utf8_valid(buf, n))
		return;
	fprintf(f, ", \"%s_hex\": \"", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%02x", (unsigned char)buf[i]);
	fputc('"', f);
}

/* A name escaped as in /proc/lockdev, as json_name(). */
void json_proc_name(FILE *f, const char *key, const char *field)
{
	char buf[LOCKDEV_NAME_MAX + 1];
	size_t n = proc_unescape(field, buf, LOCKDEV_NAME_MAX);

	if (n == (size_t)-1)
		fprintf(f, "\"%s\": null", key);
	else
		json_name(f, key, buf, n);
}

/*
 * "@key": a field of a /proc/lockdev table: a name (@is_name), a number
 * when it is one (digits, a minus sign first), null for "-", else a string.
 */
void json_proc_value(FILE *f, const char *key, const char *field,
		     bool is_name)
{
	const char *digits = field + (field[0] == '-'), *p = digits;

	if (is_name) {
		json_proc_name(f, key, field);
		return;
	}
	while (isdigit((unsigned char)*p))
		p++;
	if (*digits && !*p && (digits[0] != '0' || !digits[1]))
		fprintf(f, "\"%s\": %s", key, field);
	else if (!strcmp(field, "-"))
		fprintf(f, "\"%s\": null", key);
	else
		json_name(f, key, field, strlen(field));
}
