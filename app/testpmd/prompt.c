/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interactive prompt, on libedit (BSD editline, Debian libedit-dev):
 * line editing with emacs keys (or the user's ~/.editrc), history (up and
 * down arrows, Ctrl-R), and Tab completion from the command table
 * (cmdline.c). Why a library: a line editor is terminal modes, escape
 * sequences, wide characters, history search and key maps; libedit has
 * done that well for decades, and DPDK's hand-written lib/cmdline shows
 * what the alternative costs.
 *
 * Characters are read through our own function so the prompt notices
 * SIGINT/SIGTERM (tp.quit) within a fraction of a second whichever thread
 * the signal landed on: it polls stdin with a timeout instead of blocking.
 * Ctrl-D on an empty line ends the prompt, as `quit` does.
 */
#include <errno.h>
#include <histedit.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "testpmd.h"

#define PROMPT "testpmd> "
#define MAX_CANDIDATES 128

static char *
prompt_fn(EditLine *el)
{
	(void)el;
	return (char *)PROMPT;
}

/* One character for libedit: 1 read, 0 end of input, -1 quit/error. */
static int
getc_fn(EditLine *el, wchar_t *wc)
{
	(void)el;
	for (;;) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		unsigned char ch;
		ssize_t n;
		int r;

		if (tp_quitting())
			return -1;
		r = poll(&pfd, 1, 200);
		if (r <= 0)
			continue;       /* timeout or EINTR: check quit */
		n = read(STDIN_FILENO, &ch, 1);
		if (n == 1) {
			*wc = (wchar_t)ch;
			return 1;
		}
		if (n == 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

static void
print_candidates(char **cand, unsigned int n)
{
	size_t width = 0;
	unsigned int cols;

	for (unsigned int i = 0; i < n; i++)
		if (strlen(cand[i]) > width)
			width = strlen(cand[i]);
	width += 2;
	cols = (unsigned int)(78 / width);
	if (cols == 0)
		cols = 1;
	printf("\n");
	for (unsigned int i = 0; i < n; i++)
		printf("%-*s%s", (int)width, cand[i],
		       (i + 1) % cols == 0 || i + 1 == n ? "\n" : "");
	fflush(stdout);
}

/* Tab: complete the word before the cursor, or list the choices. */
static unsigned char
complete_fn(EditLine *el, int ch)
{
	const LineInfo *li = el_line(el);
	char line[1024], *cand[MAX_CANDIDATES];
	const char *partial;
	size_t len = (size_t)(li->cursor - li->buffer), plen, lcp = 0;
	unsigned int n, nins = 0, first = 0;
	unsigned char ret = CC_REFRESH;

	(void)ch;
	if (len >= sizeof(line))
		return CC_ERROR;
	memcpy(line, li->buffer, len);
	line[len] = '\0';
	partial = strrchr(line, ' ');
	partial = partial ? partial + 1 : line;
	plen = strlen(partial);
	n = tp_cmd_complete(line, cand, MAX_CANDIDATES);
	if (n == 0)
		return CC_ERROR;
	for (unsigned int i = 0; i < n; i++) {
		if (cand[i][0] == '<')
			continue;       /* a placeholder: shown, not typed */
		if (nins++ == 0) {
			first = i;
			lcp = strlen(cand[i]);
		} else {
			size_t k = 0;

			while (k < lcp && cand[i][k] == cand[first][k])
				k++;
			lcp = k;
		}
	}
	if (nins == 1 && n == 1) {
		el_insertstr(el, cand[first] + plen);
		el_insertstr(el, " ");
	} else if (nins > 0 && lcp > plen) {
		char ext[256];

		snprintf(ext, sizeof(ext), "%.*s", (int)(lcp - plen),
			 cand[first] + plen);
		el_insertstr(el, ext);
	} else {
		print_candidates(cand, n);
		ret = CC_REDISPLAY;
	}
	for (unsigned int i = 0; i < n; i++)
		free(cand[i]);
	return ret;
}

/* Read and run commands until quit, Ctrl-D or a signal. */
int
tp_prompt(void)
{
	EditLine *el = el_init("keel-testpmd", stdin, stdout, stderr);
	History *hist = history_init();
	HistEvent ev;

	if (el == NULL || hist == NULL) {
		printf("Cannot start the prompt (libedit)\n");
		if (el != NULL)
			el_end(el);
		if (hist != NULL)
			history_end(hist);
		return -1;
	}
	history(hist, &ev, H_SETSIZE, 1000);
	history(hist, &ev, H_SETUNIQUE, 1);
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_PROMPT, prompt_fn);
	el_set(el, EL_HIST, history, hist);
	el_set(el, EL_GETCFN, getc_fn);
	/* the wide-character call: el_set() converts these two strings to
	 * copies libedit 3.1 never frees */
	el_wset(el, EL_ADDFN, L"tp-complete", L"complete a testpmd command",
		complete_fn);
	el_set(el, EL_BIND, "^I", "tp-complete", NULL);
	el_source(el, NULL);    /* the user's ~/.editrc, if any */

	while (!tp_quitting()) {
		char buf[1024];
		int count = 0;
		const char *line = el_gets(el, &count);

		if (line == NULL) {
			if (count == 0 && !tp_quitting())
				printf("\n");   /* Ctrl-D: end the line */
			break;
		}
		snprintf(buf, sizeof(buf), "%s", line);
		buf[strcspn(buf, "\r\n")] = '\0';
		if (strspn(buf, " \t") == strlen(buf))
			continue;
		history(hist, &ev, H_ENTER, buf);
		tp_cmd_run_line(buf);
		fflush(stdout);
	}
	history_end(hist);
	el_end(el);
	return 0;
}
