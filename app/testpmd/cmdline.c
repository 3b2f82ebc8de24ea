/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command table at work: a typed line is split into words and matched
 * against every command's syntax (cmdline.h); the one command that matches
 * runs. The same walk over the syntax gives completion candidates and the
 * help text, so a command is declared once, in its group's file.
 *
 * Matching has two steps. The first is by form only (keywords exactly,
 * numbers look like numbers, <mode> is an engine's name), so a wrong word
 * is reported where it is, with what was expected there. The second checks
 * values against the world (the port exists, the DMA device exists) and
 * names the bad value. A failed line changes nothing and the prompt stays.
 *
 * Runs on the main lcore only.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <keel_dmadev.h>

#include "cmdline.h"
#include "testpmd.h"

static const struct tp_cmd help_cmds[];
static const struct tp_cmd_group tp_cmds_help = {
	.title = "Help",
	.cmds = help_cmds,
};

static const struct tp_cmd_group *const groups[] = {
	&tp_cmds_run,
	&tp_cmds_show,
	&tp_cmds_set,
	&tp_cmds_port,
	&tp_cmds_keel,
	&tp_cmds_help,
	NULL,
};

enum word_kind {
	W_KW,        /* literal keyword(s) a|b|c */
	W_PORT,      /* all | port id */
	W_PORTID,    /* port id */
	W_DMA,       /* all | DMA device id */
	W_MODE,      /* engine name */
	W_LIST,      /* n,n,n */
	W_TEXT,      /* one free word */
	W_REST,      /* every word left (help topics) */
	W_UINT,      /* unsigned number */
};

struct word {
	enum word_kind kind;
	const char *s;      /* the syntax text of the word, without [ ] */
	size_t len;
	bool optional;
};

#define MAX_SYNTAX_WORDS TP_CMD_MAX_WORDS

static enum word_kind
placeholder_kind(const char *name, size_t len)
{
	static const struct {
		const char *name;
		enum word_kind kind;
	} kinds[] = {
		{ "port", W_PORT }, { "port_id", W_PORTID }, { "dma", W_DMA },
		{ "mode", W_MODE }, { "lens", W_LIST }, { "devargs", W_TEXT },
		{ "file", W_TEXT }, { "mac", W_TEXT }, { "names", W_TEXT },
		{ "topic", W_REST },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == len &&
		    memcmp(kinds[i].name, name, len) == 0)
			return kinds[i].kind;
	return W_UINT;
}

/* Split a syntax string into words; @return how many. */
static unsigned int
syntax_split(const char *syntax, struct word *w)
{
	unsigned int n = 0;
	const char *p = syntax;

	while (*p != '\0' && n < MAX_SYNTAX_WORDS) {
		size_t len;

		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == 0)
			break;
		w[n].optional = p[0] == '[';
		w[n].s = p + w[n].optional;
		w[n].len = len - (w[n].optional ? 2 : 0);
		if (w[n].s[0] == '<')
			w[n].kind = placeholder_kind(w[n].s + 1, w[n].len - 2);
		else
			w[n].kind = W_KW;
		n++;
		p += len;
	}
	return n;
}

static unsigned int
required_words(const struct word *w, unsigned int n)
{
	unsigned int r = 0;

	for (unsigned int i = 0; i < n; i++)
		if (!w[i].optional && w[i].kind != W_REST)
			r = i + 1;
	return r;
}

static bool
kw_matches(const struct word *w, const char *tok)
{
	const char *p = w->s, *end = w->s + w->len;
	size_t tl = strlen(tok);

	while (p < end) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t len = (size_t)((bar ? bar : end) - p);

		if (len == tl && memcmp(p, tok, len) == 0)
			return true;
		p += len + 1;
	}
	return false;
}

static bool
is_number(const char *s)
{
	uint64_t v;

	return tp_parse_uint(s, 0, UINT64_MAX, &v) == 0;
}

/* Does @p tok have the form word @p w asks for? */
static bool
form_matches(const struct word *w, const char *tok)
{
	switch (w->kind) {
	case W_KW:
		return kw_matches(w, tok);
	case W_PORT:
	case W_DMA:
		return strcmp(tok, "all") == 0 || is_number(tok);
	case W_PORTID:
	case W_UINT:
		return is_number(tok);
	case W_MODE:
		return tp_engine_find(tok) != NULL;
	case W_LIST:
		return tok[0] != '\0' && strspn(tok, "0123456789,x") ==
		       strlen(tok);
	case W_TEXT:
	case W_REST:
	default:
		return true;
	}
}

/* How many leading tokens fit the command's words by form. */
static unsigned int
match_depth(const struct word *w, unsigned int nw, char **tok,
	    unsigned int ntok)
{
	unsigned int i;

	for (i = 0; i < ntok && i < nw; i++) {
		if (w[i].kind == W_REST)
			return ntok;
		if (!form_matches(&w[i], tok[i]))
			return i;
	}
	return i;
}

static bool
full_match(const struct word *w, unsigned int nw, char **tok,
	   unsigned int ntok)
{
	bool rest = nw > 0 && w[nw - 1].kind == W_REST;

	if (match_depth(w, nw, tok, ntok) != ntok)
		return false;
	return ntok >= required_words(w, nw) && (ntok <= nw || rest);
}

/* Split @p line (modified) into words; @return how many, or -1 if too
 * many. */
static int
line_split(char *line, char **tok, unsigned int max)
{
	unsigned int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		tok[n++] = t;
	}
	return (int)n;
}

/* What word @p w expects, for error messages. */
static void
word_expect(const struct word *w, char *buf, size_t size)
{
	switch (w->kind) {
	case W_KW:
		snprintf(buf, size, "%.*s", (int)w->len, w->s);
		break;
	case W_PORT:
		snprintf(buf, size, "'all' or a port id");
		break;
	case W_PORTID:
		snprintf(buf, size, "a port id");
		break;
	case W_DMA:
		snprintf(buf, size, "'all' or a DMA device id");
		break;
	case W_MODE: {
		size_t o = (size_t)snprintf(buf, size, "a forwarding mode:");

		for (unsigned int i = 0; tp_engines[i] != NULL && o < size; i++)
			o += (size_t)snprintf(buf + o, size - o, " %s",
					      tp_engines[i]->name);
		break;
	}
	case W_LIST:
		snprintf(buf, size, "comma-separated numbers");
		break;
	default:
		snprintf(buf, size, "%.*s (a number)", (int)w->len, w->s);
		break;
	}
}

static void
port_list(char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (uint16_t p = 0; p < KEEL_MAX_ETHPORTS && o < size; p++)
		if (tp.ports[p].in_use)
			o += (size_t)snprintf(buf + o, size - o, "%s%u",
					      o ? ", " : "", p);
	if (o == 0)
		snprintf(buf, size, "none");
}

/* Second step: values against the world. 0, or -1 after printing. */
static int
check_values(const struct word *w, unsigned int nw, char **tok,
	     unsigned int ntok, struct tp_cmd_args *a)
{
	char ports[128];

	for (unsigned int i = 0; i < ntok; i++) {
		const struct word *wi = &w[i < nw ? i : nw - 1];
		uint64_t v = 0;

		a->argv[i] = tok[i];
		a->num[i] = 0;
		switch (wi->kind) {
		case W_PORT:
		case W_PORTID:
			if (wi->kind == W_PORT && strcmp(tok[i], "all") == 0) {
				a->num[i] = TP_ALL;
				break;
			}
			if (tp_parse_uint(tok[i], 0, KEEL_MAX_ETHPORTS - 1,
					  &v) < 0 || !tp.ports[v].in_use) {
				port_list(ports, sizeof(ports));
				printf("Bad port '%s': no such port (ports: %s)\n",
				       tok[i], ports);
				return -1;
			}
			a->num[i] = v;
			break;
		case W_DMA:
			if (strcmp(tok[i], "all") == 0) {
				a->num[i] = TP_ALL;
				break;
			}
			if (tp_parse_uint(tok[i], 0, KEEL_DMADEV_MAX - 1, &v) < 0 ||
			    !keel_dma_is_valid((int16_t)v)) {
				printf("Bad DMA device '%s': no such device "
				       "(%u devices; 'show dma info all')\n",
				       tok[i], keel_dma_count_avail());
				return -1;
			}
			a->num[i] = v;
			break;
		case W_UINT:
			if (tp_parse_uint(tok[i], 0, UINT64_MAX, &v) < 0) {
				printf("Bad number '%s'\n", tok[i]);
				return -1;
			}
			a->num[i] = v;
			break;
		default:
			break;
		}
	}
	a->argc = ntok;
	return 0;
}

static void
print_usage_of(const struct tp_cmd *c)
{
	printf("  usage: %s\n", c->syntax);
}

/*
 * No command matched: say where and why. @p depth is the longest match by
 * form among the commands; the ones that reached it are the candidates.
 */
static void
report_mismatch(char **tok, unsigned int ntok, unsigned int depth)
{
	char expect[512] = "";
	size_t o = 0;
	unsigned int nusage = 0;
	bool too_many = false;

	if (depth == 0) {
		printf("Bad command '%s': type 'help' for the list of "
		       "commands\n", tok[0]);
		return;
	}
	for (unsigned int g = 0; groups[g] != NULL; g++) {
		for (const struct tp_cmd *c = groups[g]->cmds; c->syntax; c++) {
			struct word w[MAX_SYNTAX_WORDS];
			unsigned int nw = syntax_split(c->syntax, w);
			char e[256];

			if (match_depth(w, nw, tok, ntok) != depth)
				continue;
			if (depth < nw && (depth < ntok || !w[depth].optional)) {
				word_expect(&w[depth], e, sizeof(e));
				if (strstr(expect, e) == NULL && o < sizeof(expect))
					o += (size_t)snprintf(expect + o,
						sizeof(expect) - o, "%s%s",
						o ? " or " : "", e);
			} else if (depth >= nw) {
				too_many = true;
			}
			if (nusage++ < 6)
				print_usage_of(c);
		}
	}
	if (depth == ntok) {
		char typed[256];
		size_t t = 0;

		for (unsigned int i = 0; i < ntok && t < sizeof(typed); i++)
			t += (size_t)snprintf(typed + t, sizeof(typed) - t,
					      "%s%s", i ? " " : "", tok[i]);
		printf("Incomplete command '%s': %s%s\n", typed,
		       o > 0 ? "next comes " : "see the usage above",
		       o > 0 ? expect : "");
	} else if (o > 0)
		printf("Bad argument '%s' (word %u): expected %s\n", tok[depth],
		       depth + 1, expect);
	else if (too_many)
		printf("Too many arguments: '%s' is one too many\n",
		       tok[depth]);
}

/* Run one command line. @return 0, or -1 (bad line or failed command). */
int
tp_cmd_run_line(const char *line)
{
	char buf[1024], *tok[TP_CMD_MAX_WORDS];
	struct tp_cmd_args a;
	unsigned int depth = 0;
	int ntok;

	if (strlen(line) >= sizeof(buf)) {
		printf("Line too long (more than %zu characters)\n",
		       sizeof(buf) - 1);
		return -1;
	}
	strcpy(buf, line);
	if (strchr(buf, '#') != NULL)
		*strchr(buf, '#') = '\0';
	ntok = line_split(buf, tok, TP_CMD_MAX_WORDS);
	if (ntok < 0) {
		printf("Too many words (more than %d)\n", TP_CMD_MAX_WORDS);
		return -1;
	}
	if (ntok == 0)
		return 0;
	for (unsigned int g = 0; groups[g] != NULL; g++) {
		for (const struct tp_cmd *c = groups[g]->cmds; c->syntax; c++) {
			struct word w[MAX_SYNTAX_WORDS];
			unsigned int nw = syntax_split(c->syntax, w), d;

			if (full_match(w, nw, tok, (unsigned int)ntok)) {
				if (check_values(w, nw, tok, (unsigned int)ntok,
						 &a) < 0)
					return -1;
				return c->fn(&a) < 0 ? -1 : 0;
			}
			d = match_depth(w, nw, tok, (unsigned int)ntok);
			if (d > depth)
				depth = d;
		}
	}
	report_mismatch(tok, (unsigned int)ntok, depth);
	return -1;
}

/* ---------------------------------------------------------- completion */

static void
add_candidate(char **out, unsigned int *n, unsigned int max, const char *s)
{
	for (unsigned int i = 0; i < *n; i++)
		if (strcmp(out[i], s) == 0)
			return;
	if (*n < max && (out[*n] = strdup(s)) != NULL)
		(*n)++;
}

static void
word_candidates(const struct word *w, const char *partial, char **out,
		unsigned int *n, unsigned int max)
{
	size_t pl = strlen(partial);
	char num[16];

#define OFFER(s) do { \
		if (strncmp((s), partial, pl) == 0) \
			add_candidate(out, n, max, (s)); \
	} while (0)

	switch (w->kind) {
	case W_KW: {
		const char *p = w->s, *end = w->s + w->len;

		while (p < end) {
			const char *bar = memchr(p, '|', (size_t)(end - p));
			size_t len = (size_t)((bar ? bar : end) - p);
			char kw[64];

			snprintf(kw, sizeof(kw), "%.*s", (int)len, p);
			OFFER(kw);
			p += len + 1;
		}
		break;
	}
	case W_PORT:
	case W_PORTID:
		if (w->kind == W_PORT)
			OFFER("all");
		for (uint16_t p = 0; p < KEEL_MAX_ETHPORTS; p++)
			if (tp.ports[p].in_use) {
				snprintf(num, sizeof(num), "%u", p);
				OFFER(num);
			}
		break;
	case W_DMA: {
		int16_t id;

		OFFER("all");
		KEEL_DMA_FOREACH_DEV(id) {
			snprintf(num, sizeof(num), "%d", id);
			OFFER(num);
		}
		break;
	}
	case W_MODE:
		for (unsigned int i = 0; tp_engines[i] != NULL; i++)
			OFFER(tp_engines[i]->name);
		break;
	default: {
		char ph[64];

		snprintf(ph, sizeof(ph), "%.*s", (int)w->len, w->s);
		add_candidate(out, n, max, ph);
		break;
	}
	}
#undef OFFER
}

unsigned int
tp_cmd_complete(const char *line, char **out, unsigned int max)
{
	char buf[1024], *tok[TP_CMD_MAX_WORDS + 1];
	const char *partial = "";
	unsigned int n = 0, ndone;
	size_t len = strlen(line);
	int ntok;

	if (len >= sizeof(buf))
		return 0;
	/* help's topics are command words: complete them as a command */
	while (isspace((unsigned char)*line))
		line++;
	if (strncmp(line, "help", 4) == 0 && isspace((unsigned char)line[4]))
		return tp_cmd_complete(line + 5, out, max);
	len = strlen(line);
	strcpy(buf, line);
	ntok = line_split(buf, tok, TP_CMD_MAX_WORDS + 1);
	if (ntok < 0)
		return 0;
	ndone = (unsigned int)ntok;
	if (ntok > 0 && len > 0 && !isspace((unsigned char)line[len - 1])) {
		partial = tok[ntok - 1];
		ndone--;
	}
	for (unsigned int g = 0; groups[g] != NULL; g++) {
		for (const struct tp_cmd *c = groups[g]->cmds; c->syntax; c++) {
			struct word w[MAX_SYNTAX_WORDS];
			unsigned int nw = syntax_split(c->syntax, w);

			if (ndone >= nw || w[ndone].kind == W_REST ||
			    match_depth(w, nw, tok, ndone) != ndone)
				continue;
			word_candidates(&w[ndone], partial, out, &n, max);
		}
	}
	return n;
}

/* ---------------------------------------------------------------- help */

/* Does the syntax start with the topic words (keywords only)? */
static bool
topic_matches(const char *syntax, char **tok, unsigned int ntok)
{
	struct word w[MAX_SYNTAX_WORDS];
	unsigned int nw = syntax_split(syntax, w);

	if (ntok > nw)
		return false;
	for (unsigned int i = 0; i < ntok; i++)
		if (!form_matches(&w[i], tok[i]))
			return false;
	return true;
}

static void
print_cmd_help(const struct tp_cmd *c)
{
	if (strlen(c->syntax) <= 36)
		printf("  %-36s %s\n", c->syntax, c->help);
	else
		printf("  %s\n  %-36s %s\n", c->syntax, "", c->help);
	if (strstr(c->syntax, "<mode>") != NULL)
		for (unsigned int i = 0; tp_engines[i] != NULL; i++)
			printf("  %-36s   %-9s %s\n", "", tp_engines[i]->name,
			       tp_engines[i]->help);
}

void
tp_cmd_help(const char *topic)
{
	char buf[256], *tok[TP_CMD_MAX_WORDS];
	int ntok;
	unsigned int shown = 0;

	snprintf(buf, sizeof(buf), "%s", topic ? topic : "");
	ntok = line_split(buf, tok, TP_CMD_MAX_WORDS);
	if (ntok < 0)
		ntok = 0;
	for (unsigned int g = 0; groups[g] != NULL; g++) {
		bool title = false;

		for (const struct tp_cmd *c = groups[g]->cmds; c->syntax; c++) {
			if (!topic_matches(c->syntax, tok, (unsigned int)ntok))
				continue;
			if (!title && ntok == 0)
				printf("\n%s:\n", groups[g]->title);
			title = true;
			print_cmd_help(c);
			shown++;
		}
	}
	if (shown == 0)
		printf("No command starts with '%s': type 'help' for the list\n",
		       topic);
	else if (ntok == 0)
		printf("\nTab completes commands and their arguments; "
		       "'help WORD...' narrows this list.\n");
}

static int
cmd_help(const struct tp_cmd_args *a)
{
	char topic[256] = "";
	size_t o = 0;

	for (unsigned int i = 1; i < a->argc && o < sizeof(topic); i++)
		o += (size_t)snprintf(topic + o, sizeof(topic) - o, "%s%s",
				      i > 1 ? " " : "", a->argv[i]);
	tp_cmd_help(topic);
	return 0;
}

static const struct tp_cmd help_cmds[] = {
	{ "help [<topic>]", "list commands; 'help show port' narrows it",
	  cmd_help },
	{ NULL, NULL, NULL },
};

/* ----------------------------------------------------------- utilities */

int
tp_for_each_port(uint64_t v, int (*fn)(uint16_t pid))
{
	int failed = 0;

	if (v != TP_ALL)
		return fn((uint16_t)v) < 0;
	for (uint16_t p = 0; p < KEEL_MAX_ETHPORTS; p++)
		if (tp.ports[p].in_use && fn(p) < 0)
			failed++;
	return failed;
}

/*
 * Run the commands of @p path, echoing each; errors name the line. Stops
 * early at `quit`. @return the number of failed commands, or -1 when the
 * file cannot be read.
 */
int
tp_cmdline_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned int lineno = 0, n = 0, failed = 0;

	if (f == NULL) {
		printf("Cannot read commands from '%s': %s\n", path,
		       strerror(errno));
		return -1;
	}
	while (!tp_quitting() && fgets(line, sizeof(line), f) != NULL) {
		char *p = line;

		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		printf("testpmd> %s\n", p);
		n++;
		if (tp_cmd_run_line(p) < 0) {
			printf("%s:%u: command failed: %s\n", path, lineno, p);
			failed++;
		}
	}
	fclose(f);
	printf("Read CLI commands from %s: %u commands, %u failed\n", path, n,
	       failed);
	return (int)failed;
}
