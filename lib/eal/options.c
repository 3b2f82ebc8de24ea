/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL argument parsing. eal_parse_args() fills a caller-owned eal_config and
 * touches nothing else (log levels are applied by the caller only after the
 * whole command line parsed), so a bad argument has no side effects. It
 * scans with eal_argparse (argparse.c), not getopt(): the application's
 * getopt state stays as the application left it.
 * Every refusal logs one line naming the option and the value.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <numa.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eal_argparse.h"
#include "eal_internal.h"

#define LOG_BAD(opt, val, why) \
	KEEL_LOG(ERR, keel_logtype_eal, "invalid %s '%s': %s", opt, val, why)

enum {
	OPT_MAIN_LCORE = 256,
	OPT_SOCKET_MEM,
	OPT_NO_HUGE,
	OPT_HUGE_DIR,
	OPT_IN_MEMORY,
	OPT_FILE_PREFIX,
	OPT_IOVA_MODE,
	OPT_IOMMU,
	OPT_VDEV,
	OPT_NO_PCI,
	OPT_LOG_LEVEL,
	OPT_SYSLOG,
};

static const char short_opts[] = "l:m:a:b:d:hv";
static const struct option long_opts[] = {
	{ "lcores", required_argument, NULL, 'l' },
	{ "main-lcore", required_argument, NULL, OPT_MAIN_LCORE },
	{ "memory-size", required_argument, NULL, 'm' },
	{ "socket-mem", required_argument, NULL, OPT_SOCKET_MEM },
	{ "no-huge", no_argument, NULL, OPT_NO_HUGE },
	{ "huge-dir", required_argument, NULL, OPT_HUGE_DIR },
	{ "in-memory", no_argument, NULL, OPT_IN_MEMORY },
	{ "file-prefix", required_argument, NULL, OPT_FILE_PREFIX },
	{ "iova-mode", required_argument, NULL, OPT_IOVA_MODE },
	{ "iommu", required_argument, NULL, OPT_IOMMU },
	{ "allow", required_argument, NULL, 'a' },
	{ "block", required_argument, NULL, 'b' },
	{ "vdev", required_argument, NULL, OPT_VDEV },
	{ "no-pci", no_argument, NULL, OPT_NO_PCI },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "driver-path", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static keel_usage_hook_t usage_hook;

keel_usage_hook_t
keel_set_application_usage_hook(keel_usage_hook_t hook)
{
	keel_usage_hook_t old = usage_hook;

	usage_hook = hook;
	return old;
}

/* -h: the application's usage (or a usage line), then the EAL's options */
static void
help(const char *prgname)
{
	if (usage_hook != NULL)
		usage_hook(prgname);
	else
		printf("usage: %s [EAL options] [-- application options]\n\n",
		       prgname);
	keel_eal_usage(stdout);
	fflush(stdout);
}

void
keel_eal_usage(FILE *f)
{
	fprintf(f,
"EAL options:\n"
"  -l, --lcores LIST      lcores to use: '0-3,5', or 'LCORE@CPU' /\n"
"                         'LCORE@(CPULIST)' elements to place lcores on CPUs\n"
"  --main-lcore ID        lcore that runs main() (default: first one)\n"
"  -m, --memory-size SIZE memory to allocate at start-up (MiB, or K/M/G suffix)\n"
"  --socket-mem LIST      the same per NUMA socket: '512,512'\n"
"  --no-huge              use 4 KiB anonymous pages instead of hugepages\n"
"  --huge-dir DIR         hugetlbfs mount to back hugepages with files\n"
"                         (default: memfd, no files)\n"
"  --in-memory            create no files at all\n"
"  --file-prefix NAME     prefix of hugepage file names (default 'keel')\n"
"  --iova-mode MODE       auto | va | pa | alloc (IOVAs from the IOMMU)\n"
"  --iommu KIND           auto | vfio | emulated | none\n"
"  -a, --allow PCI[,ARGS] use only these PCI devices\n"
"  -b, --block PCI        never use this PCI device\n"
"  --vdev NAME[,ARGS]     create a virtual device, e.g. 'dma_soft0,mode=inline'\n"
"  --no-pci               do not probe PCI devices\n"
"  --log-level [COMP:]LVL set a level, COMP may be a glob ('pmd.*:debug')\n"
"  --syslog               log to syslog instead of stderr\n"
"  -d, --driver-path PATH load a driver library, or every library in a\n"
"                         directory (besides the driver directory, loaded\n"
"                         at start-up: see the EAL guide)\n"
"  -h, --help             print this help\n"
"  -v, --version          print the version\n");
}

/* Parse a size: plain number = MiB, or a K/M/G suffix. */
int
eal_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1ULL << 20;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1ULL << 10; end++; break;
	case 'm': case 'M':
		mult = 1ULL << 20; end++; break;
	case 'g': case 'G':
		mult = 1ULL << 30; end++; break;
	default:
		return -EINVAL;
	}
	if (*end != '\0')
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* '0-3,5,7' -> set. Every number < CPU_SETSIZE, ranges ascending. */
int
eal_parse_cpulist(const char *s, cpu_set_t *set)
{
	const char *p = s;

	CPU_ZERO(set);
	if (s == NULL || *s == '\0')
		return -EINVAL;
	while (*p != '\0') {
		unsigned long a, b;
		char *end;

		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		errno = 0;
		a = strtoul(p, &end, 10);
		if (errno != 0 || a >= CPU_SETSIZE)
			return -EINVAL;
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			b = strtoul(p, &end, 10);
			if (errno != 0 || b >= CPU_SETSIZE || b < a)
				return -EINVAL;
			p = end;
		}
		for (; a <= b; a++)
			CPU_SET(a, set);
		if (*p == ',')
			p++;
		else if (*p != '\0')
			return -EINVAL;
		else
			break;
		if (*p == '\0')
			return -EINVAL; /* trailing comma */
	}
	return 0;
}

/*
 * -l / --lcores: comma-separated elements, each either a cpu list item
 * ('3', '0-2': lcore id = cpu id) or 'LCORE@CPU' / 'LCORE@(CPULIST)'.
 */
static int
parse_lcores(const char *arg, struct eal_config *cfg)
{
	char buf[512], *p, *elem;
	cpu_set_t avail;
	unsigned int i;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	for (i = 0; i < KEEL_MAX_LCORE; i++)
		cfg->lcore[i].enabled = false;
	if (sched_getaffinity(0, sizeof(avail), &avail) != 0)
		return -errno;

	p = buf;
	while (p != NULL && *p != '\0') {
		char *at, *next;
		int depth = 0;

		/* split at a comma outside parentheses */
		elem = p;
		for (next = p; *next != '\0'; next++) {
			if (*next == '(')
				depth++;
			else if (*next == ')')
				depth--;
			else if (*next == ',' && depth == 0)
				break;
		}
		if (depth != 0)
			return -EINVAL;
		if (*next == ',') {
			*next++ = '\0';
			if (*next == '\0')
				return -EINVAL;
		} else {
			next = NULL;
		}
		p = next;

		at = strchr(elem, '@');
		if (at != NULL) {
			unsigned long id;
			cpu_set_t cpus;
			char *cl;
			size_t n;

			*at = '\0';
			if (parse_uint(elem, ULONG_MAX, &id) != 0)
				return -EINVAL;
			if (id >= KEEL_MAX_LCORE)
				return -ERANGE;
			cl = at + 1;
			n = strlen(cl);
			if (n >= 2 && cl[0] == '(' && cl[n - 1] == ')') {
				cl[n - 1] = '\0';
				cl++;
			}
			if (eal_parse_cpulist(cl, &cpus) != 0)
				return -EINVAL;
			if (cfg->lcore[id].enabled)
				return -EEXIST;
			cfg->lcore[id].enabled = true;
			cfg->lcore[id].cpus = cpus;
		} else {
			cpu_set_t cpus;

			if (eal_parse_cpulist(elem, &cpus) != 0)
				return -EINVAL;
			for (i = 0; i < CPU_SETSIZE; i++) {
				if (!CPU_ISSET(i, &cpus))
					continue;
				if (i >= KEEL_MAX_LCORE)
					return -ERANGE;
				if (cfg->lcore[i].enabled)
					return -EEXIST;
				cfg->lcore[i].enabled = true;
				CPU_ZERO(&cfg->lcore[i].cpus);
				CPU_SET(i, &cfg->lcore[i].cpus);
			}
		}
	}
	/* every cpu must be one this process may run on */
	for (i = 0; i < KEEL_MAX_LCORE; i++) {
		cpu_set_t both;

		if (!cfg->lcore[i].enabled)
			continue;
		CPU_AND(&both, &cfg->lcore[i].cpus, &avail);
		if (!CPU_EQUAL(&both, &cfg->lcore[i].cpus))
			return -ENODEV;
	}
	return 0;
}

static int
parse_socket_mem(const char *arg, struct eal_config *cfg)
{
	char buf[256], *tok, *rest;
	int n = 0, max_node = numa_available() < 0 ? 0 : numa_max_node();

	if (strlen(arg) >= sizeof(buf) || arg[0] == '\0')
		return -EINVAL;
	strcpy(buf, arg);
	memset(cfg->socket_mem, 0, sizeof(cfg->socket_mem));
	/* strsep, not strtok: an empty field ("8,,8") is an error, not a
	 * shift of the later values to lower sockets */
	for (rest = buf; (tok = strsep(&rest, ",")) != NULL;) {
		uint64_t v;

		if (n >= EAL_MAX_NUMA)
			return -E2BIG;
		if (eal_parse_size(tok, &v) != 0)
			return -EINVAL;
		if (v != 0 && n > max_node)
			return -ENODEV;
		cfg->socket_mem[n++] = v;
	}
	return n > 0 ? 0 : -EINVAL;
}

/* PCI address: DDDD:BB:DD.F or BB:DD.F */
static int
valid_pci_addr(const char *s)
{
	unsigned int d, b, dev, f;
	char tail;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &d, &b, &dev, &f, &tail) == 4 &&
	    strlen(s) == 12)
		return dev < 32 && f < 8;
	if (sscanf(s, "%2x:%2x.%1x%c", &b, &dev, &f, &tail) == 3 &&
	    strlen(s) == 7)
		return dev < 32 && f < 8;
	return 0;
}

static int
parse_devarg(const char *arg, struct keel_devarg *da, int pci)
{
	const char *comma = strchr(arg, ',');
	size_t nlen = comma ? (size_t)(comma - arg) : strlen(arg);
	size_t i;

	if (nlen == 0 || nlen >= sizeof(da->name))
		return -EINVAL;
	if (comma != NULL && strlen(comma + 1) >= sizeof(da->args))
		return -E2BIG;
	memcpy(da->name, arg, nlen);
	da->name[nlen] = '\0';
	strcpy(da->args, comma ? comma + 1 : "");
	if (pci)
		return valid_pci_addr(da->name) ? 0 : -EINVAL;
	for (i = 0; i < nlen; i++)
		if (!isalnum((unsigned char)da->name[i]) && da->name[i] != '_')
			return -EINVAL;
	return 0;
}

/* -d: a directory, or a file that starts like an ELF object */
static int
check_driver_path(const char *path)
{
	static const char elf_magic[4] = { 0x7f, 'E', 'L', 'F' };
	char magic[4];
	struct stat st;
	int fd, err;
	ssize_t n;

	if (stat(path, &st) != 0) {
		err = errno;
		LOG_BAD("-d", path, strerror(err));
		return -err;
	}
	if (S_ISDIR(st.st_mode))
		return 0;
	fd = S_ISREG(st.st_mode) ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 && S_ISREG(st.st_mode)) {
		err = errno;
		LOG_BAD("-d", path, strerror(err));
		return -err;
	}
	n = fd >= 0 ? read(fd, magic, sizeof(magic)) : 0;
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(magic) || memcmp(magic, elf_magic, 4) != 0) {
		LOG_BAD("-d", path, "not a shared object (no ELF header): give "
			"a driver library or a directory of them");
		return -ENOEXEC;
	}
	return 0;
}

static int
find_vdev(const struct eal_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_vdev; i++)
		if (strcmp(cfg->vdev[i].name, name) == 0)
			return i;
	return -1;
}

/* the same PCI device in any of its spellings ("00:04.0", "0000:00:04.0") */
static int
find_pci_devarg(const struct keel_devarg *arr, int n, const char *addr)
{
	unsigned int d0 = 0, b0, v0, f0;

	if (sscanf(addr, "%x:%x:%x.%x", &d0, &b0, &v0, &f0) != 4 &&
	    (d0 = 0, sscanf(addr, "%x:%x.%x", &b0, &v0, &f0) != 3))
		return -1;
	for (int i = 0; i < n; i++) {
		unsigned int d = 0, b, v, f;

		if ((sscanf(arr[i].name, "%x:%x:%x.%x", &d, &b, &v, &f) == 4 ||
		     (d = 0, sscanf(arr[i].name, "%x:%x.%x", &b, &v, &f) == 3)) &&
		    d == d0 && b == b0 && v == v0 && f == f0)
			return i;
	}
	return -1;
}

static int
valid_log_level_arg(const char *arg)
{
	const char *colon = strrchr(arg, ':');

	if (colon == NULL)
		return keel_log_level_parse(arg) >= 0;
	if (colon == arg || (size_t)(colon - arg) >= KEEL_LOG_NAME_MAX)
		return 0;
	return keel_log_level_parse(colon + 1) >= 0;
}

int
eal_parse_args(int argc, char **argv, struct eal_config *cfg, int *consumed)
{
	unsigned long main_lcore = ULONG_MAX;
	bool lcores_given = false;
	struct eal_argparse ap;
	const char *optarg;
	int opt, ret = 0;
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	strcpy(cfg->file_prefix, "keel");

	eal_argparse_init(&ap, argc, argv, short_opts, long_opts);
	while ((opt = eal_argparse_next(&ap)) != EAL_ARG_END) {
		const char *name = ap.name;

		optarg = ap.arg;
		switch (opt) {
		case 'l':
			if (lcores_given) {
				LOG_BAD(name, optarg, "-l/--lcores given twice: "
					"give one list (they are the same option)");
				ret = -EINVAL;
				break;
			}
			ret = parse_lcores(optarg, cfg);
			if (ret == -ENODEV)
				LOG_BAD("--lcores", optarg,
					"a CPU is not available to this process");
			else if (ret == -EEXIST)
				LOG_BAD("--lcores", optarg,
					"an lcore is given twice");
			else if (ret == -ERANGE)
				LOG_BAD("--lcores", optarg,
					"lcore id above 127 (KEEL_MAX_LCORE - 1)");
			else if (ret != 0)
				LOG_BAD("--lcores", optarg,
					"expected '0-3,5' or 'LCORE@(CPULIST)'");
			lcores_given = true;
			break;
		case OPT_MAIN_LCORE:
			if (parse_uint(optarg, KEEL_MAX_LCORE - 1,
				       &main_lcore) != 0) {
				LOG_BAD("--main-lcore", optarg,
					"not an lcore id");
				ret = -EINVAL;
			}
			break;
		case 'm':
			ret = eal_parse_size(optarg, &cfg->mem_size);
			if (ret == 0 && cfg->mem_size == 0)
				ret = -EINVAL;
			if (ret != 0)
				LOG_BAD("-m", optarg,
					"expected a size > 0 (MiB, or K/M/G suffix)");
			break;
		case OPT_SOCKET_MEM:
			ret = parse_socket_mem(optarg, cfg);
			if (ret == -ENODEV)
				LOG_BAD("--socket-mem", optarg,
					"memory asked of a NUMA socket that does not exist");
			else if (ret != 0)
				LOG_BAD("--socket-mem", optarg,
					"expected sizes per socket, '512,512'");
			cfg->socket_mem_set = true;
			break;
		case OPT_NO_HUGE:
			cfg->no_huge = true;
			break;
		case OPT_HUGE_DIR: {
			struct stat st;

			if (strlen(optarg) >= sizeof(cfg->huge_dir) ||
			    stat(optarg, &st) != 0 || !S_ISDIR(st.st_mode)) {
				LOG_BAD("--huge-dir", optarg,
					"not an existing directory");
				ret = -EINVAL;
			} else {
				strcpy(cfg->huge_dir, optarg);
			}
			break;
		}
		case OPT_IN_MEMORY:
			cfg->in_memory = true;
			break;
		case OPT_FILE_PREFIX:
			if (optarg[0] == '\0' || strchr(optarg, '/') ||
			    strlen(optarg) >= sizeof(cfg->file_prefix)) {
				LOG_BAD("--file-prefix", optarg,
					"must be 1..63 characters without '/'");
				ret = -EINVAL;
			} else {
				strcpy(cfg->file_prefix, optarg);
			}
			break;
		case OPT_IOVA_MODE:
			if (strcmp(optarg, "auto") == 0)
				cfg->iova_mode = KEEL_IOVA_DC;
			else if (strcmp(optarg, "va") == 0)
				cfg->iova_mode = KEEL_IOVA_VA;
			else if (strcmp(optarg, "pa") == 0)
				cfg->iova_mode = KEEL_IOVA_PA;
			else if (strcmp(optarg, "alloc") == 0)
				cfg->iova_mode = KEEL_IOVA_ALLOC;
			else {
				LOG_BAD("--iova-mode", optarg,
					"expected auto, va, pa or alloc");
				ret = -EINVAL;
			}
			break;
		case OPT_IOMMU:
			if (strcmp(optarg, "auto") == 0)
				cfg->iommu = KEEL_IOMMU_AUTO;
			else if (strcmp(optarg, "vfio") == 0)
				cfg->iommu = KEEL_IOMMU_VFIO;
			else if (strcmp(optarg, "emulated") == 0)
				cfg->iommu = KEEL_IOMMU_EMULATED;
			else if (strcmp(optarg, "none") == 0)
				cfg->iommu = KEEL_IOMMU_NONE;
			else {
				LOG_BAD("--iommu", optarg,
					"expected auto, vfio, emulated or none");
				ret = -EINVAL;
			}
			break;
		case 'a':
		case 'b': {
			struct keel_devarg *arr = opt == 'a' ? cfg->allow : cfg->block;
			int *n = opt == 'a' ? &cfg->n_allow : &cfg->n_block;

			if (*n == KEEL_EAL_MAX_DEVARGS) {
				LOG_BAD(opt == 'a' ? "--allow" : "--block", optarg,
					"too many devices");
				ret = -E2BIG;
			} else if (parse_devarg(optarg, &arr[*n], 1) != 0) {
				LOG_BAD(opt == 'a' ? "--allow" : "--block", optarg,
					"expected a PCI address DDDD:BB:DD.F[,args]");
				ret = -EINVAL;
			} else if (find_pci_devarg(arr, *n, arr[*n].name) >= 0) {
				LOG_BAD(opt == 'a' ? "--allow" : "--block", optarg,
					"this device is given twice");
				ret = -EEXIST;
			} else {
				(*n)++;
			}
			break;
		}
		case OPT_VDEV:
			if (cfg->n_vdev == KEEL_EAL_MAX_DEVARGS) {
				LOG_BAD("--vdev", optarg, "too many devices");
				ret = -E2BIG;
			} else if (parse_devarg(optarg, &cfg->vdev[cfg->n_vdev],
						0) != 0) {
				LOG_BAD("--vdev", optarg,
					"expected NAME[,KEY=VALUE...] with NAME of [A-Za-z0-9_]");
				ret = -EINVAL;
			} else if (find_vdev(cfg, cfg->vdev[cfg->n_vdev].name) >= 0) {
				LOG_BAD("--vdev", optarg, "a device of this name "
					"is given twice (one --vdev per device)");
				ret = -EEXIST;
			} else {
				cfg->n_vdev++;
			}
			break;
		case OPT_NO_PCI:
			cfg->no_pci = true;
			break;
		case OPT_LOG_LEVEL:
			if (!valid_log_level_arg(optarg)) {
				LOG_BAD("--log-level", optarg,
					"expected [COMPONENT:]LEVEL, LEVEL one of emerg..debug or 1..8");
				ret = -EINVAL;
			} else if (cfg->n_log_levels == EAL_MAX_LOG_ARGS) {
				LOG_BAD("--log-level", optarg, "given too often");
				ret = -E2BIG;
			} else {
				/* applied by keel_eal_init() once all parsed */
				cfg->log_levels[cfg->n_log_levels++] = optarg;
			}
			break;
		case OPT_SYSLOG:
			cfg->syslog = true;
			break;
		case 'd':
			ret = check_driver_path(optarg);
			if (ret == 0 && cfg->n_driver_paths == EAL_MAX_DRIVER_ARGS) {
				LOG_BAD("-d", optarg, "given too often");
				ret = -E2BIG;
			}
			if (ret == 0)
				cfg->driver_paths[cfg->n_driver_paths++] = optarg;
			break;
		case 'h':
			help(argv[0]);
			return -ECANCELED;
		case 'v':
			printf("%s\n", keel_version());
			break;
		case EAL_ARG_MISSING:
			KEEL_LOG(ERR, keel_logtype_eal,
				 "option '%s' needs a value", name);
			ret = -EINVAL;
			break;
		case EAL_ARG_UNEXPECTED:
			KEEL_LOG(ERR, keel_logtype_eal,
				 "option '%s' takes no value", name);
			ret = -EINVAL;
			break;
		case EAL_ARG_AMBIGUOUS:
			KEEL_LOG(ERR, keel_logtype_eal,
				 "ambiguous option '%s': a prefix of several "
				 "options (see --help)", name);
			ret = -EINVAL;
			break;
		default:
			KEEL_LOG(ERR, keel_logtype_eal,
				 "unknown option '%s' (see --help)", name);
			ret = -EINVAL;
			break;
		}
		if (ret != 0)
			return ret < 0 ? ret : -EINVAL;
	}
	*consumed = ap.ind - 1;

	/* cross-option checks */
	if (cfg->mem_size != 0 && cfg->socket_mem_set) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "invalid -m with --socket-mem: give only one of them");
		return -EINVAL;
	}
	if (cfg->no_huge && (cfg->socket_mem_set || cfg->huge_dir[0])) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "invalid --no-huge with %s: they exclude each other",
			 cfg->socket_mem_set ? "--socket-mem" : "--huge-dir");
		return -EINVAL;
	}
	if (cfg->in_memory && cfg->huge_dir[0]) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "invalid --in-memory with --huge-dir '%s': in-memory creates no files",
			 cfg->huge_dir);
		return -EINVAL;
	}
	if (cfg->n_allow > 0 && cfg->n_block > 0) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "invalid -a with -b: allow and block lists exclude each other");
		return -EINVAL;
	}
	if (!lcores_given) {
		cpu_set_t avail;

		if (sched_getaffinity(0, sizeof(avail), &avail) != 0)
			return -errno;
		for (i = 0; i < KEEL_MAX_LCORE && i < CPU_SETSIZE; i++) {
			if (!CPU_ISSET(i, &avail))
				continue;
			cfg->lcore[i].enabled = true;
			CPU_ZERO(&cfg->lcore[i].cpus);
			CPU_SET(i, &cfg->lcore[i].cpus);
		}
	}
	cfg->n_lcores = 0;
	for (i = 0; i < KEEL_MAX_LCORE; i++) {
		if (!cfg->lcore[i].enabled)
			continue;
		if (cfg->n_lcores++ == 0 && main_lcore == ULONG_MAX)
			main_lcore = i;
	}
	if (cfg->n_lcores == 0) {
		KEEL_LOG(ERR, keel_logtype_eal, "no lcore enabled");
		return -EINVAL;
	}
	if (!cfg->lcore[main_lcore].enabled) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "invalid --main-lcore '%lu': lcore not enabled by -l",
			 main_lcore);
		return -EINVAL;
	}
	cfg->main_lcore = (unsigned int)main_lcore;
	return 0;
}
