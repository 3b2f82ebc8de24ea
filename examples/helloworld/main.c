/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The smallest Keel program: initialise the EAL, say hello from every lcore,
 * allocate a DMA-able buffer and print its IOVA.
 *
 * Out of tree: cc main.c $(pkg-config --cflags --libs keel) -o helloworld
 * Run:         ./helloworld --no-huge -m 16
 */
#include <stdio.h>
#include <stdlib.h>

#include <keel_eal.h>
#include <keel_malloc.h>

static int
hello(void *arg)
{
	(void)arg;
	printf("hello from lcore %u (socket %d)\n", keel_lcore_id(),
	       keel_socket_id());
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int id;
	void *buf;
	int ret;

	ret = keel_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "keel_eal_init failed\n");
		return 1;
	}
	KEEL_LCORE_FOREACH_WORKER(id)
		keel_eal_remote_launch(hello, NULL, id);
	hello(NULL);
	keel_eal_mp_wait();

	buf = keel_malloc("hello", 4096, 0);
	if (buf == NULL) {
		fprintf(stderr, "keel_malloc failed\n");
		keel_eal_cleanup();
		return 1;
	}
	printf("4 KiB buffer at va %p iova 0x%llx\n", buf,
	       (unsigned long long)keel_mem_virt2iova(buf));
	keel_free(buf);
	return keel_eal_cleanup() == 0 ? 0 : 1;
}
