/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TP_CMDLINE_H
#define TP_CMDLINE_H

/*
 * The command table. Each command is one line of syntax, one line of help
 * and a handler; the syntax is the grammar, the completion source and the
 * help text at once, so nothing is written twice:
 *
 *   "show port info|stats|xstats <port>"
 *
 * Words of the syntax:
 *   word, a|b|c    literal keywords (one of them)
 *   <port>         "all" or the id of a port
 *   <port_id>      the id of a port
 *   <dma>          "all" or the id of a DMA device
 *   <mode>         a forwarding engine's name
 *   <lens>         comma-separated numbers (set txpkts 64,64)
 *   <devargs>, <file>, <mac>, <names>, <topic>   free text (one word)
 *   <anything else>   an unsigned number (decimal or 0x hex)
 *   [<x>]          optional, last words only
 *
 * Groups of commands live one per file (cmd_*.c) and are listed in
 * cmdline.c; a command's handler gets the words and their parsed values.
 */

#include <stdint.h>

#define TP_CMD_MAX_WORDS 16

/** What a handler gets: the words typed and their values. */
struct tp_cmd_args {
	unsigned int argc;
	const char *argv[TP_CMD_MAX_WORDS];
	/* value of each numeric word; TP_ALL for "all" in <port>/<dma> */
	uint64_t num[TP_CMD_MAX_WORDS];
};

/** One command. The handler returns 0, or -1 after printing why. */
struct tp_cmd {
	const char *syntax;
	const char *help;
	int (*fn)(const struct tp_cmd_args *a);
};

/** A group of commands (one cmd_*.c file). */
struct tp_cmd_group {
	const char *title;
	const struct tp_cmd *cmds;   /* ends with a zeroed entry */
};

extern const struct tp_cmd_group tp_cmds_run;
extern const struct tp_cmd_group tp_cmds_show;
extern const struct tp_cmd_group tp_cmds_set;
extern const struct tp_cmd_group tp_cmds_port;
extern const struct tp_cmd_group tp_cmds_keel;

/**
 * Candidates for completing the word at the end of @p line (everything
 * before the cursor). @p out gets up to @p max strings (malloc'ed; free
 * them); "<x>" strings are placeholders to show, not to insert.
 * @return the number of candidates.
 */
unsigned int tp_cmd_complete(const char *line, char **out, unsigned int max);

/** `help [words]`: print the commands whose syntax starts with @p topic. */
void tp_cmd_help(const char *topic);

/* Call @p fn on each port named by a <port> value (TP_ALL: every port
 * testpmd drives, in id order); @return the number of failures. */
int tp_for_each_port(uint64_t v, int (*fn)(uint16_t pid));

#endif /* TP_CMDLINE_H */
