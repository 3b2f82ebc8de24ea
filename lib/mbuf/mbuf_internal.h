/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef KEEL_MBUF_INTERNAL_H
#define KEEL_MBUF_INTERNAL_H

/* What the files of lib/mbuf share. */
#include "keel_log.h"

extern int keel_logtype_mbuf;

#define MBUF_LOG(lvl, ...) KEEL_LOG(lvl, keel_logtype_mbuf, __VA_ARGS__)

#endif
