/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver loading. Buses and drivers register from constructors, and no
 * program calls them, so a linker that drops unused shared libraries
 * (--as-needed, Debian's default) drops them. keel_eal_init() therefore
 * loads, before any bus probes:
 *
 *   1. the driver directory: <directory of libkeel_eal.so>/keel/drivers-<ABI>
 *      (meson installs there a link to each driver library; DPDK's
 *      packages do the same with their pmds-<ABI> directory). Found next
 *      to the EAL library actually loaded, so an install that is moved
 *      (or staged with DESTDIR) finds its own drivers, and a build tree
 *      never loads an installed Keel's. Not used when the EAL is linked
 *      statically: a static program carries its drivers (keel.pc links
 *      them whole), and a shared driver would bring a second EAL.
 *   2. every -d FILE, and every library in each -d DIRECTORY.
 *
 * Loaded objects are never unloaded (RTLD_NODELETE): their registrations
 * live as long as the process, and keel_eal_init() may run again after
 * keel_eal_cleanup(). Loading the same file twice (a driver both linked
 * and in the directory) is harmless: the dynamic loader returns the object
 * already loaded and its constructors do not run again.
 *
 * Only keel_eal_init()/cleanup() call in here (single-threaded): no lock.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eal_internal.h"

#ifndef KEEL_DRIVER_SUBDIR
#define KEEL_DRIVER_SUBDIR "keel/drivers-0"
#endif

static void **handles;
static int n_handles;
static int cap_handles;
static int n_loaded; /* files loaded by the last eal_drivers_load() */

const char *
keel_eal_driver_dir(void)
{
	static char dir[PATH_MAX];
	const char *slash;
	Dl_info info;

	if (dladdr((void *)(uintptr_t)keel_eal_driver_dir, &info) == 0 ||
	    info.dli_fname == NULL)
		return NULL;
	slash = strrchr(info.dli_fname, '/');
	/* a static EAL sits in the program itself */
	if (slash == NULL ||
	    strncmp(slash + 1, "libkeel_eal.so", strlen("libkeel_eal.so")) != 0)
		return NULL;
	if ((size_t)snprintf(dir, sizeof(dir), "%.*s/%s",
			     (int)(slash - info.dli_fname), info.dli_fname,
			     KEEL_DRIVER_SUBDIR) >= sizeof(dir))
		return NULL;
	return dir;
}

static int
load_file(const char *path, const char *what)
{
	void *h;

	if (n_handles == cap_handles) {
		int cap = cap_handles ? 2 * cap_handles : 16;
		void **n = realloc(handles, (size_t)cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		handles = n;
		cap_handles = cap;
	}
	h = dlopen(path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
	if (h == NULL) {
		KEEL_LOG(ERR, keel_logtype_eal,
			 "%s '%s': cannot load the driver: %s", what, path,
			 dlerror());
		return -ENOEXEC;
	}
	handles[n_handles++] = h;
	n_loaded++;
	KEEL_LOG(DEBUG, keel_logtype_eal, "%s: loaded %s", what, path);
	return 0;
}

/* a driver library's name: lib*.so or lib*.so.<version> */
static int
is_driver_name(const char *name)
{
	const char *so = strstr(name, ".so");

	return strncmp(name, "lib", 3) == 0 && so != NULL &&
	       (so[3] == '\0' || so[3] == '.');
}

static int
select_driver(const struct dirent *de)
{
	return is_driver_name(de->d_name);
}

/* every driver library of @p dir, in name order; a missing dir is ok
 * when !required */
static int
load_dir(const char *dir, const char *what, int required)
{
	struct dirent **names;
	int n, i, ret = 0;

	n = scandir(dir, &names, select_driver, alphasort);
	if (n < 0) {
		int err = errno;

		if (!required && err == ENOENT) {
			KEEL_LOG(DEBUG, keel_logtype_eal,
				 "%s %s: none (%s)", what, dir, strerror(err));
			return 0;
		}
		KEEL_LOG(ERR, keel_logtype_eal, "%s '%s': %s", what, dir,
			 strerror(err));
		return -err;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (ret == 0) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
					     names[i]->d_name) >= sizeof(path))
				ret = -ENAMETOOLONG;
			else
				ret = load_file(path, what);
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int
eal_drivers_load(void)
{
	const char *dir = keel_eal_driver_dir();
	int i, ret = 0;

	n_loaded = 0;
	if (dir != NULL)
		ret = load_dir(dir, "driver directory", 0);
	else
		KEEL_LOG(DEBUG, keel_logtype_eal,
			 "EAL linked statically: no driver directory");
	for (i = 0; ret == 0 && i < eal_cfg.n_driver_paths; i++) {
		const char *p = eal_cfg.driver_paths[i];
		struct stat st;

		/* checked by the parser; it may have gone since */
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			ret = load_dir(p, "-d", 1);
		else
			ret = load_file(p, "-d");
	}
	if (ret < 0) {
		eal_drivers_unload();
		return ret;
	}
	if (n_loaded > 0)
		KEEL_LOG(DEBUG, keel_logtype_eal, "%d driver file(s) loaded",
			 n_loaded);
	return 0;
}

void
eal_drivers_unload(void)
{
	/* RTLD_NODELETE: the objects stay, only the references go */
	while (n_handles > 0)
		dlclose(handles[--n_handles]);
	free(handles);
	handles = NULL;
	cap_handles = 0;
}
