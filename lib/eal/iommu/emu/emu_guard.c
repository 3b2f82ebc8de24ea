/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bus errors of the emulated IOMMU: the memory behind a mapping may be
 * unmapped (or made read-only) in the process after keel_emu_map()
 * checked it. A real device then writes to pages the pin kept alive; the
 * emulation would die of SIGSEGV (SIGBUS for a truncated file) in the
 * copy. emu_copy_guarded() copies under a per-thread guard instead: a
 * SIGSEGV or SIGBUS whose address lies in the guarded device-side range
 * ends the copy with -EFAULT (the caller records the fault); any other is
 * handed to the handler that was installed before (or the default, so a
 * bug elsewhere still crashes as it would without Keel).
 *
 * Invariants: the handlers are installed at most once per process (under
 * emu_guard_lock) and only removed by emu_guard_reset() while they are
 * still the installed ones; a thread's guard is armed only inside
 * emu_copy_guarded(), emu_copy2_guarded() and emu_op_guarded(), around
 * the access, with the range it touches.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "keel_log.h"
#include "emu_internal.h"

struct emu_guard {
	sigjmp_buf env;
	uintptr_t lo;                   /* guarded device-side range */
	uintptr_t hi;
	uintptr_t lo2;                  /* and a second one (lo2 > hi2: none) */
	uintptr_t hi2;
	uintptr_t fault_va;
	volatile sig_atomic_t armed;
};

/* initial-exec: no allocation on first use, so safe in a handler */
static __thread struct emu_guard emu_guard
	__attribute__((tls_model("initial-exec")));

static pthread_mutex_t emu_guard_lock = PTHREAD_MUTEX_INITIALIZER;
static bool emu_guard_on;
static struct sigaction emu_guard_old_segv, emu_guard_old_bus;

static void
emu_guard_handler(int sig, siginfo_t *si, void *uc)
{
	struct emu_guard *g = &emu_guard;
	uintptr_t a = (uintptr_t)si->si_addr;
	const struct sigaction *old;

	if (g->armed && ((a >= g->lo && a <= g->hi) ||
			 (a >= g->lo2 && a <= g->hi2))) {
		g->armed = 0;
		g->fault_va = a;
		siglongjmp(g->env, 1);
	}
	/* not ours: as if we were not there */
	old = sig == SIGBUS ? &emu_guard_old_bus : &emu_guard_old_segv;
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/* default action: reinstall it; the access faults again on return */
	signal(sig, SIG_DFL);
}

void
emu_guard_install(void)
{
	struct sigaction sa;

	pthread_mutex_lock(&emu_guard_lock);
	if (!emu_guard_on) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = emu_guard_handler;
		/* SA_NODEFER: the siglongjmp leaves the handler without
		 * restoring the mask, so the signal must not be blocked */
		sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSEGV, &sa, &emu_guard_old_segv) == 0 &&
		    sigaction(SIGBUS, &sa, &emu_guard_old_bus) == 0)
			emu_guard_on = true;
		else
			KEEL_LOG(WARNING, emu_logtype, "emu: cannot install the "
				 "bus-error handlers: %s; a DMA to memory unmapped"
				 " after its map will crash", strerror(errno));
	}
	pthread_mutex_unlock(&emu_guard_lock);
}

/* keel_eal_cleanup(): put back the handlers found, if ours are still in */
void
emu_guard_reset(void)
{
	struct sigaction cur;

	pthread_mutex_lock(&emu_guard_lock);
	if (emu_guard_on) {
		if (sigaction(SIGSEGV, NULL, &cur) == 0 &&
		    (cur.sa_flags & SA_SIGINFO) &&
		    cur.sa_sigaction == emu_guard_handler)
			sigaction(SIGSEGV, &emu_guard_old_segv, NULL);
		if (sigaction(SIGBUS, NULL, &cur) == 0 &&
		    (cur.sa_flags & SA_SIGINFO) &&
		    cur.sa_sigaction == emu_guard_handler)
			sigaction(SIGBUS, &emu_guard_old_bus, NULL);
		emu_guard_on = false;
	}
	pthread_mutex_unlock(&emu_guard_lock);
}

bool
emu_guard_installed(void)
{
	bool on;

	pthread_mutex_lock(&emu_guard_lock);
	on = emu_guard_on;
	pthread_mutex_unlock(&emu_guard_lock);
	return on;
}

int
emu_copy_guarded(enum emu_copy_op op, uintptr_t va, uint8_t *buf,
		 uint64_t n, uint64_t *fault_off)
{
	struct emu_guard *g = &emu_guard;

	if (sigsetjmp(g->env, 0) != 0) {
		*fault_off = g->fault_va - va;
		return -EFAULT;
	}
	g->lo = va;
	g->hi = va + (n - 1);
	g->lo2 = 1;
	g->hi2 = 0;
	g->armed = 1;
	atomic_signal_fence(memory_order_seq_cst);
	switch (op) {
	case EMU_COPY_READ:
		memcpy(buf, (const void *)va, n);
		break;
	case EMU_COPY_WRITE:
		memcpy((void *)va, buf, n);
		break;
	case EMU_COPY_ZERO:
		memset((void *)va, 0, n);
		break;
	}
	atomic_signal_fence(memory_order_seq_cst);
	g->armed = 0;
	return 0;
}

/*
 * op(dst, n, arg) with the device-side ranges [lo, lo + n) and, when n2 is
 * not 0, [lo2, lo2 + n2) guarded: 0, or -EFAULT with the VA that was not
 * there in *fault_va.
 */
static int
guarded_run(uintptr_t lo, uint64_t n, uintptr_t lo2, uint64_t n2,
	    keel_emu_dma_op_t op, void *dst, void *arg, uintptr_t *fault_va)
{
	struct emu_guard *g = &emu_guard;

	if (sigsetjmp(g->env, 0) != 0) {
		*fault_va = g->fault_va;
		return -EFAULT;
	}
	g->lo = lo;
	g->hi = lo + (n - 1);
	g->lo2 = n2 ? lo2 : 1;          /* lo2 > hi2: no second range */
	g->hi2 = n2 ? lo2 + (n2 - 1) : 0;
	g->armed = 1;
	atomic_signal_fence(memory_order_seq_cst);
	op(dst, n, arg);
	atomic_signal_fence(memory_order_seq_cst);
	g->armed = 0;
	return 0;
}

static void
move_op(void *dst, uint64_t n, void *src)
{
	memmove(dst, src, n);
}

int
emu_copy2_guarded(void *dst, const void *src, uint64_t n, uintptr_t *fault_va)
{
	return guarded_run((uintptr_t)dst, n, (uintptr_t)src, n, move_op, dst,
			   (void *)(uintptr_t)src, fault_va);
}

int
emu_op_guarded(void *dst, uint64_t n, keel_emu_dma_op_t op, void *arg,
	       uintptr_t *fault_va)
{
	return guarded_run((uintptr_t)dst, n, 0, 0, op, dst, arg, fault_va);
}
