/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "vfio" suite, virtio-iommu guest (devtools/vm/run-vm.py --viommu
 * virtio): the topology model fed by the real firmware table. Reads the
 * ACPI VIOT table QEMU built (/sys/firmware/acpi/tables/VIOT) with
 * keel_emu_viot_parse(), then checks it against what the kernel did:
 * - each virtio-pci IOMMU node names a PCI function that is a virtio-iommu
 *   (1af4:1057) and is an IOMMU in /sys/class/iommu;
 * - every device the kernel put in an IOMMU group
 *   (/sys/kernel/iommu_groups/N/devices) resolves to an endpoint, behind
 *   the IOMMU its sysfs "iommu" link names, and no two share an endpoint;
 * - the IOMMU itself is in no group (it does not translate itself).
 * Prints whether the live table equals the in-tree vector. Skips where
 * there is no VIOT (a VT-d guest describes its IOMMU in DMAR).
 * Reads sysfs only; no state.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_emu_topology.h"
#include "test.h"
#include "../emu/viot_vectors.h"

#define VIOT_PATH     "/sys/firmware/acpi/tables/VIOT"
#define VIRTIO_VENDOR 0x1af4
/* virtio 1.x PCI device ID: 0x1040 + virtio device ID 23 (iommu) */
#define VIRTIO_IOMMU_DEVICE 0x1057
#define MAX_DEVS 64

/* the whole of a sysfs file into @p buf; bytes read or -errno */
static long
read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -errno;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return (long)n;
}

static long
sysfs_hex(const char *bdf, const char *attr)
{
	char path[PATH_MAX], txt[32] = "";
	long n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	n = read_file(path, (uint8_t *)txt, sizeof(txt) - 1);
	if (n <= 0)
		return -1;
	txt[n] = '\0';
	return strtol(txt, NULL, 16);
}

/* "SSSS:BB:DD.F" -> segment and requester ID; 0 or -1 */
static int
parse_bdf(const char *s, uint16_t *seg, uint16_t *rid)
{
	unsigned int d, b, dev, fn;
	char tail;

	if (strlen(s) != 12 ||
	    sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &dev, &fn, &tail) != 4 ||
	    dev > 31 || fn > 7)
		return -1;
	*seg = (uint16_t)d;
	*rid = (uint16_t)(b << 8 | dev << 3 | fn);
	return 0;
}

/* basename of the link @p path, or "" (also when longer than @p len) */
static void
link_base(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	out[0] = '\0';
	if (n < 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base != NULL ? base + 1 : target;
	if (strlen(base) < len)
		memcpy(out, base, strlen(base) + 1);
}

/* the PCI name of IOMMU @p i of @p t, e.g. "0000:00:01.0" */
static int
iommu_name(const struct keel_emu_topology *t, unsigned int i, char *out,
	   size_t len)
{
	struct keel_emu_topo_iommu m;

	if (keel_emu_topology_iommu_get(t, i, &m) != 0 ||
	    m.kind != KEEL_EMU_TOPO_IOMMU_PCI)
		return -1;
	snprintf(out, len, "%04x:%02x:%02x.%x", m.segment, m.bdf >> 8,
		 (m.bdf >> 3) & 0x1f, m.bdf & 7);
	return 0;
}

struct grouped {
	char bdf[13];
	uint32_t ep;
	unsigned int iommu;
};

static int
check_groups(const struct keel_emu_topology *t, unsigned int *ndev)
{
	struct grouped dev[MAX_DEVS];
	char gpath[PATH_MAX], path[PATH_MAX], want[32], link[64];
	struct dirent *g, *e;
	unsigned int n = 0, i, j;
	DIR *gd, *dd;

	gd = opendir("/sys/kernel/iommu_groups");
	TEST_ASSERT(gd != NULL, "/sys/kernel/iommu_groups: %s", strerror(errno));
	while ((g = readdir(gd)) != NULL) {
		if (g->d_name[0] == '.')
			continue;
		snprintf(gpath, sizeof(gpath), "/sys/kernel/iommu_groups/%s/devices",
			 g->d_name);
		dd = opendir(gpath);
		if (dd == NULL)
			continue;
		while ((e = readdir(dd)) != NULL && n < MAX_DEVS) {
			struct grouped *d = &dev[n];
			uint16_t seg, rid;
			int r;

			if (e->d_name[0] == '.')
				continue;
			if (parse_bdf(e->d_name, &seg, &rid) != 0) {
				printf("  group %s: %s is not a PCI function\n",
				       g->d_name, e->d_name);
				closedir(dd);
				closedir(gd);
				return TEST_FAILED;
			}
			memcpy(d->bdf, e->d_name, 13); /* "SSSS:BB:DD.F" */
			r = keel_emu_topology_lookup_pci(t, seg, rid, &d->ep,
							 &d->iommu);
			if (r != 0) {
				printf("  group %s: %s (segment %u, RID 0x%04x) has no "
				       "endpoint in the VIOT: %d\n", g->d_name,
				       e->d_name, seg, rid, r);
				closedir(dd);
				closedir(gd);
				return TEST_FAILED;
			}
			/* the kernel's IOMMU for it is the one VIOT names */
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu",
				 e->d_name);
			link_base(path, link, sizeof(link));
			if (iommu_name(t, d->iommu, want, sizeof(want)) != 0 ||
			    strcmp(link, want) != 0) {
				printf("  %s: the kernel's IOMMU is '%s', the VIOT's "
				       "is IOMMU %u (%s)\n", e->d_name, link,
				       d->iommu, want);
				closedir(dd);
				closedir(gd);
				return TEST_FAILED;
			}
			printf("  group %s: %s -> endpoint %u behind %s\n",
			       g->d_name, e->d_name, d->ep, link);
			n++;
		}
		closedir(dd);
	}
	closedir(gd);
	TEST_ASSERT(n > 0, "no device in any IOMMU group");
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			TEST_ASSERT(dev[i].iommu != dev[j].iommu ||
				    dev[i].ep != dev[j].ep,
				    "%s and %s share endpoint %u", dev[i].bdf,
				    dev[j].bdf, dev[i].ep);
	*ndev = n;
	return TEST_SUCCESS;
}

/* each PCI IOMMU node is a virtio-iommu the kernel registered, in no
 * IOMMU group itself */
static int
check_iommus(const struct keel_emu_topology *t)
{
	char name[32], path[PATH_MAX], link[64];
	unsigned int i;

	TEST_ASSERT(keel_emu_topology_iommu_count(t) > 0, "no IOMMU node");
	for (i = 0; i < keel_emu_topology_iommu_count(t); i++) {
		if (iommu_name(t, i, name, sizeof(name)) != 0)
			continue;
		TEST_ASSERT(sysfs_hex(name, "vendor") == VIRTIO_VENDOR &&
			    sysfs_hex(name, "device") == VIRTIO_IOMMU_DEVICE,
			    "IOMMU %u at %s is %04lx:%04lx, not a virtio-iommu", i,
			    name, sysfs_hex(name, "vendor"), sysfs_hex(name, "device"));
		snprintf(path, sizeof(path), "/sys/class/iommu/%s", name);
		TEST_ASSERT(access(path, F_OK) == 0, "%s: not an IOMMU the kernel "
			    "registered", path);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
			 name);
		link_base(path, link, sizeof(link));
		TEST_ASSERT(link[0] == '\0', "the IOMMU %s is in group %s", name,
			    link);
	}
	return TEST_SUCCESS;
}

static int
test_vm_viot(void)
{
	struct keel_emu_topology *t = NULL;
	static uint8_t buf[65536];
	unsigned int ndev = 0;
	long len;
	int r;

	len = read_file(VIOT_PATH, buf, sizeof(buf));
	if (len == -ENOENT)
		return keel_test_skip("no ACPI VIOT table (%s): no virtio-iommu "
				      "here (run-vm.py --viommu virtio has one)",
				      VIOT_PATH);
	TEST_ASSERT(len > 0, "read %s: %s", VIOT_PATH, strerror((int)-len));
	TEST_ASSERT((size_t)len < sizeof(buf), "VIOT longer than %zu bytes",
		    sizeof(buf));
	r = keel_emu_viot_parse(buf, (uint64_t)len, &t);
	TEST_ASSERT_SUCCESS(r, "parse the %ld-byte VIOT", len);
	keel_emu_topology_dump(stdout, t);
	printf("  the live table %s the in-tree vector (viot_vectors.c)\n",
	       (size_t)len == viot_qemu72_q35_len &&
	       memcmp(buf, viot_qemu72_q35, (size_t)len) == 0 ?
	       "equals" : "differs from");
	r = check_iommus(t);
	if (r == TEST_SUCCESS)
		r = check_groups(t, &ndev);
	keel_emu_topology_free(t);
	if (r == TEST_SUCCESS)
		printf("  %u devices in IOMMU groups, each an endpoint of the "
		       "VIOT's IOMMU\n", ndev);
	return r;
}
KEEL_TEST(vm_viot, "vfio", TEST_NEED_ROOT | TEST_NO_EAL, test_vm_viot)
