/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_EAL_ARGPARSE_H
#define KEEL_EAL_ARGPARSE_H

/*
 * EAL-private option scanner (argparse.c): getopt_long()'s syntax without
 * its global state. Option values are the struct option val / the short
 * option character, as with getopt_long().
 */
#include <getopt.h>
#include <stdio.h>

/* returned by eal_argparse_next() besides an option's value */
#define EAL_ARG_END        (-1)  /* no more options */
#define EAL_ARG_UNKNOWN    (-2)  /* not an option of the list */
#define EAL_ARG_AMBIGUOUS  (-3)  /* a prefix of several long options */
#define EAL_ARG_MISSING    (-4)  /* the option needs a value */
#define EAL_ARG_UNEXPECTED (-5)  /* "--flag=value" for a flag */

struct eal_argparse {
	int argc;
	char **argv;
	const char *shorts;          /* "l:m:hv": ':' after one taking a value */
	const struct option *longs;  /* ends with a NULL name */
	int ind;                     /* next argv index to read */
	const char *rest;            /* rest of a short-option cluster */
	const char *arg;             /* value of the option just returned */
	char name[64];               /* that option as named ("-m", "--vdev") */
};

void eal_argparse_init(struct eal_argparse *p, int argc, char **argv,
		       const char *shorts, const struct option *longs);

/*
 * The next option: its value (and p->arg, p->name), or one of EAL_ARG_*.
 * After EAL_ARG_END, p->ind is the index of the first argument that is not
 * an EAL option ("--" consumed).
 */
int eal_argparse_next(struct eal_argparse *p);

#endif
