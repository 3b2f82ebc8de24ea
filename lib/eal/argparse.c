/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A getopt_long()-like scanner without global state, for keel_eal_init():
 * the EAL is a library, and the application's own getopt() state (optind,
 * opterr, optarg, optopt and glibc's private scanning state, such as its
 * argument ordering) must be as the application left it.
 *
 * Forms accepted, as getopt_long() with a '+' optstring (stop at the first
 * non-option): "-x", "-xVALUE", "-x VALUE", clusters of options without
 * values ("-hv"), "--name", "--name=VALUE", "--name VALUE", and any unique
 * prefix of a long name ("--log-l=eal:debug"; an exact name always wins).
 * "--" ends the options and is consumed.
 *
 * Invariant: argv[1 .. ind) has been consumed; `rest` points into argv[ind
 * - 1] while a cluster of short options is being read. No lock: all state
 * is in the caller's struct.
 */
#include <string.h>

#include "eal_argparse.h"

void
eal_argparse_init(struct eal_argparse *p, int argc, char **argv,
		  const char *shorts, const struct option *longs)
{
	memset(p, 0, sizeof(*p));
	p->argc = argc;
	p->argv = argv;
	p->shorts = shorts;
	p->longs = longs;
	p->ind = 1;
}

/* has_arg of short option c, or -1 when c is not one */
static int
short_has_arg(const char *shorts, char c)
{
	const char *s;

	if (c == ':' || c == '+' || c == '-')
		return -1;
	s = strchr(shorts, c);
	if (s == NULL)
		return -1;
	return s[1] == ':' ? required_argument : no_argument;
}

static int
parse_long(struct eal_argparse *p, const char *a)
{
	const char *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct option *hit = NULL;
	int n_hits = 0;

	snprintf(p->name, sizeof(p->name), "--%.*s", (int)len, a);
	for (const struct option *o = p->longs; o->name != NULL; o++) {
		if (strncmp(o->name, a, len) != 0)
			continue;
		if (strlen(o->name) == len) { /* exact */
			hit = o;
			n_hits = 1;
			break;
		}
		/* the same option under two names is not ambiguous */
		if (hit == NULL || hit->val != o->val || hit->has_arg != o->has_arg)
			n_hits++;
		if (hit == NULL)
			hit = o;
	}
	if (len == 0 || hit == NULL)
		return EAL_ARG_UNKNOWN;
	if (n_hits > 1)
		return EAL_ARG_AMBIGUOUS;
	snprintf(p->name, sizeof(p->name), "--%s", hit->name);
	if (hit->has_arg == no_argument) {
		if (eq != NULL)
			return EAL_ARG_UNEXPECTED;
		return hit->val;
	}
	if (eq != NULL) {
		p->arg = eq + 1;
	} else {
		if (p->ind >= p->argc)
			return EAL_ARG_MISSING;
		p->arg = p->argv[p->ind++];
	}
	return hit->val;
}

static int
parse_short(struct eal_argparse *p)
{
	char c = *p->rest++;
	int has = short_has_arg(p->shorts, c);

	snprintf(p->name, sizeof(p->name), "-%c", c);
	if (has < 0) {
		p->rest = NULL;
		return EAL_ARG_UNKNOWN;
	}
	if (has == no_argument) {
		if (*p->rest == '\0')
			p->rest = NULL;
		return (unsigned char)c;
	}
	if (*p->rest != '\0') {
		p->arg = p->rest;
	} else if (p->ind < p->argc) {
		p->arg = p->argv[p->ind++];
	} else {
		p->rest = NULL;
		return EAL_ARG_MISSING;
	}
	p->rest = NULL;
	return (unsigned char)c;
}

int
eal_argparse_next(struct eal_argparse *p)
{
	const char *a;

	p->arg = NULL;
	if (p->rest != NULL)
		return parse_short(p);
	if (p->ind >= p->argc || p->argv[p->ind] == NULL)
		return EAL_ARG_END;
	a = p->argv[p->ind];
	if (a[0] != '-' || a[1] == '\0')
		return EAL_ARG_END;      /* first non-option: stop here */
	p->ind++;
	if (strcmp(a, "--") == 0)
		return EAL_ARG_END;      /* consumed */
	if (a[1] == '-')
		return parse_long(p, a + 2);
	p->rest = a + 1;
	return parse_short(p);
}
