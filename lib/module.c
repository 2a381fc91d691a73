/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * The backend registry and module loader.  Built-in backends and dlopen()ed
 * modules go through the same entry-function contract and the same table
 * checks (the SQLite VFS / loadable-extension model): a bad module is
 * refused with a reason, never trusted blindly.  Loaded modules stay
 * loaded for the life of the process, so no connection can outlive its code.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backends/test/test_backend.h"
#include "core.h"

#ifndef VMHI_MODULE_DIR
#define VMHI_MODULE_DIR "/usr/local/lib/vmhi/backends"
#endif

#define PRIV_SIZE_MAX (16u << 20)

/* A module file that could not be loaded, kept so that "no backend for
 * scheme" errors can say why a candidate was skipped. */
typedef struct rejected_module {
    char *path;
    char *reason;
    struct rejected_module *next;
} rejected_module;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static vmhi__backend *backends;        /* registration order */
static rejected_module *rejected;
static bool builtins_registered;

int vmhi__backend_ops_check(const vmhi_backend_ops *ops, const char *label)
{
    if (!ops)
        return vmhi__error(VMHI_E_MODULE, "%s: entry function returned no ops table", label);
    uint32_t major = ops->abi_version >> 16;
    if (ops->abi_version == 0)
        return vmhi__error(VMHI_E_MODULE,
                           "%s: ops table has ABI version 0 (uninitialized table?); "
                           "set abi_version = VMHI_BACKEND_ABI_VERSION",
                           label);
    if (major > VMHI_BACKEND_ABI_MAJOR)
        return vmhi__error(VMHI_E_MODULE,
                           "%s: built for backend ABI %u.%u, but this libvmhi supports ABI %u.x; "
                           "upgrade libvmhi or rebuild the module",
                           label, major, ops->abi_version & 0xffffu, VMHI_BACKEND_ABI_MAJOR);
    if (major < 1)
        return vmhi__error(VMHI_E_MODULE, "%s: ABI version 0x%x is not valid", label,
                           ops->abi_version);
    if (ops->struct_size < VMHI_BACKEND_OPS_SIZE_1_0)
        return vmhi__error(VMHI_E_MODULE,
                           "%s: ops table is %u bytes, ABI 1.0 requires at least %zu; "
                           "set struct_size = sizeof(vmhi_backend_ops)",
                           label, ops->struct_size, (size_t)VMHI_BACKEND_OPS_SIZE_1_0);
    if (!ops->name || !ops->name[0])
        return vmhi__error(VMHI_E_MODULE, "%s: ops table has no backend name", label);
    if (!ops->schemes || !ops->schemes[0])
        return vmhi__error(VMHI_E_MODULE, "%s: backend '%s' declares no URI schemes", label,
                           ops->name);
    if (!ops->open || !ops->close)
        return vmhi__error(VMHI_E_MODULE, "%s: backend '%s' lacks the open/close slots", label,
                           ops->name);
    if (ops->conn_priv_size > PRIV_SIZE_MAX)
        return vmhi__error(VMHI_E_MODULE, "%s: backend '%s' asks for %zu bytes per connection",
                           label, ops->name, ops->conn_priv_size);
    return VMHI_OK;
}

static vmhi__backend *find_backend_by_name(const char *name)
{
    for (vmhi__backend *b = backends; b; b = b->next)
        if (strcmp(b->ops.name, name) == 0)
            return b;
    return NULL;
}

/* Runs an entry function, checks its table and appends the backend.
 * The table is copied zero-extended, so slots a 1.0 module does not know
 * about read as NULL (unsupported) instead of as whatever follows it. */
static int register_entry(vmhi_backend_entry_fn entry, const char *path, const char *label)
{
    const vmhi_backend_ops *ops = NULL;
    int rc = entry(&vmhi__core_services, &ops);
    if (rc < 0) {
        if (!vmhi__error_is_set())
            vmhi__error(VMHI_E_MODULE, "%s: entry function refused to load (%s)", label,
                        vmhi_strerror(rc));
        return VMHI_E_MODULE;
    }
    rc = vmhi__backend_ops_check(ops, label);
    if (rc)
        return rc;
    const vmhi__backend *dup = find_backend_by_name(ops->name);
    if (dup)
        return vmhi__error(VMHI_E_MODULE, "%s: a backend named '%s' is already registered from %s",
                           label, ops->name, dup->path ? dup->path : "the built-ins");
    vmhi__backend *b = vmhi__calloc(1, sizeof(*b));
    if (!b)
        return vmhi__error_oom();
    size_t n = ops->struct_size < sizeof(b->ops) ? ops->struct_size : sizeof(b->ops);
    memcpy(&b->ops, ops, n);
    if (path && !(b->path = vmhi__strdup(path))) {
        vmhi__free(b);
        return vmhi__error_oom();
    }
    vmhi__backend **tail = &backends;
    while (*tail)
        tail = &(*tail)->next;
    *tail = b;
    return VMHI_OK;
}

static int register_builtins_locked(void)
{
    if (builtins_registered)
        return VMHI_OK;
    /* Only out-of-memory can make this fail (the table is ours); then the
     * next open tries again instead of losing the backend for good. */
    int rc = register_entry(vmhi_test_backend_entry, NULL, "built-in test backend");
    if (rc == VMHI_E_NOMEM)
        return rc;
    builtins_registered = true;
    vmhi__error_reset();
    return VMHI_OK;
}

static bool already_known(const char *path)
{
    for (vmhi__backend *b = backends; b; b = b->next)
        if (b->path && strcmp(b->path, path) == 0)
            return true;
    for (rejected_module *r = rejected; r; r = r->next)
        if (strcmp(r->path, path) == 0)
            return true;
    return false;
}

static int load_module_locked(const char *path)
{
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        return vmhi__error(VMHI_E_MODULE, "cannot load module %s: %s", path,
                           why ? why : "unknown dlopen error");
    }
    dlerror();
    void *sym = dlsym(handle, VMHI_BACKEND_ENTRY_SYMBOL);
    if (!sym) {
        dlclose(handle);
        return vmhi__error(VMHI_E_MODULE,
                           "module %s does not export %s; is it a VMHI backend module?", path,
                           VMHI_BACKEND_ENTRY_SYMBOL);
    }
    vmhi_backend_entry_fn entry;
    memcpy(&entry, &sym, sizeof(entry)); /* object-to-function pointer, as POSIX allows */
    int rc = register_entry(entry, path, path);
    if (rc)
        dlclose(handle);
    return rc;
}

static void remember_rejection(const char *path)
{
    rejected_module *r = vmhi__calloc(1, sizeof(*r));
    if (!r)
        return;
    r->path = vmhi__strdup(path);
    r->reason = vmhi__strdup(vmhi_error_last_message());
    if (!r->path || !r->reason) {
        vmhi__free(r->path);
        vmhi__free(r->reason);
        vmhi__free(r);
        return;
    }
    r->next = rejected;
    rejected = r;
}

static bool is_module_file(const char *name)
{
    size_t len = strlen(name);
    return len > 3 && strcmp(name + len - 3, ".so") == 0 && name[0] != '.';
}

static void scan_dir_locked(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!is_module_file(de->d_name))
            continue;
        char *path = vmhi__asprintf("%s/%s", dir, de->d_name);
        if (!path)
            break;
        char real[PATH_MAX];
        const char *key = realpath(path, real) ? real : path;
        if (!already_known(key) && load_module_locked(key))
            remember_rejection(key);
        vmhi__free(path);
    }
    closedir(d);
}

/* The module directory beside the library itself, <its dir>/VMHI_MODULE_SUBDIR,
 * into @buf; false when unknown or when it is VMHI_MODULE_DIR.  It finds the
 * modules of an installed tree that was moved, or installed with
 * `cmake --install --prefix`, away from the prefix it was configured for. */
static bool relocated_module_dir(char *buf, size_t size)
{
#ifdef VMHI_MODULE_SUBDIR
    Dl_info info;
    char lib[PATH_MAX];
    if (!dladdr((void *)relocated_module_dir, &info) || !info.dli_fname ||
        !realpath(info.dli_fname, lib))
        return false;
    char *slash = strrchr(lib, '/');
    if (!slash)
        return false;
    *slash = '\0';
    int n = snprintf(buf, size, "%s/%s", lib, VMHI_MODULE_SUBDIR);
    char here[PATH_MAX], configured[PATH_MAX];
    if (n < 0 || (size_t)n >= size || !realpath(buf, here))
        return false; /* none there (a build tree, say) */
    return !(realpath(VMHI_MODULE_DIR, configured) && strcmp(configured, here) == 0);
#else
    (void)buf;
    (void)size;
    return false;
#endif
}

/* Calls @fn for each directory in the search path: $VMHI_BACKEND_PATH
 * (colon-separated) first, then the installed module directory, then the
 * one beside the library if it was moved. */
static void for_each_search_dir(void (*fn)(const char *dir, void *ctx), void *ctx)
{
    const char *env = getenv("VMHI_BACKEND_PATH");
    if (env) {
        char *copy = vmhi__strdup(env);
        if (copy) {
            char *save = NULL;
            for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
                fn(dir, ctx);
            vmhi__free(copy);
        }
    }
    fn(VMHI_MODULE_DIR, ctx);
    char moved[PATH_MAX];
    if (relocated_module_dir(moved, sizeof(moved)))
        fn(moved, ctx);
}

static void scan_one(const char *dir, void *ctx)
{
    (void)ctx;
    scan_dir_locked(dir);
}

struct text {
    char buf[1536];
    size_t len;
};

static void text_add(struct text *t, const char *s)
{
    if (t->len < sizeof(t->buf) - 1)
        t->len += vmhi__strlcpy(t->buf + t->len, s, sizeof(t->buf) - t->len);
    if (t->len > sizeof(t->buf) - 1)
        t->len = sizeof(t->buf) - 1;
}

static void describe_dir(const char *dir, void *ctx)
{
    text_add(ctx, ", ");
    text_add(ctx, dir);
}

static bool serves_scheme(const vmhi__backend *b, const char *scheme)
{
    for (const char *const *s = b->ops.schemes; *s; s++)
        if (strcmp(*s, scheme) == 0)
            return true;
    return false;
}

static int no_backend_error(const char *scheme)
{
    struct text t = { .len = 0 };
    text_add(&t, "built-in");
    for_each_search_dir(describe_dir, &t);
    struct text skipped = { .len = 0 };
    for (rejected_module *r = rejected; r; r = r->next) {
        text_add(&skipped, "; ");
        text_add(&skipped, r->reason);
    }
    return vmhi__error(VMHI_E_NO_BACKEND, "no backend for scheme '%s' (searched: %s)%s%s", scheme,
                       t.buf, skipped.len ? " - modules not loaded" : "", skipped.buf);
}

/* Tries one backend: allocate its private state, call open(). */
static int try_backend(vmhi_conn *conn, const vmhi__backend *b)
{
    conn->priv = vmhi__calloc(1, b->ops.conn_priv_size ? b->ops.conn_priv_size : 1);
    if (!conn->priv)
        return vmhi__error_oom();
    conn->backend = b;
    conn->ops = &b->ops;
    int rc = b->ops.open(conn, conn->priv, &conn->buri);
    if (rc == VMHI_BACKEND_OPEN_SUCCESS) {
        conn->opened = true;
        return VMHI_OK;
    }
    vmhi__free(conn->priv);
    conn->priv = NULL;
    conn->backend = NULL;
    conn->ops = NULL;
    if (rc == VMHI_BACKEND_OPEN_DECLINED) {
        vmhi__error_reset();
        return VMHI_BACKEND_OPEN_DECLINED;
    }
    if (rc > 0 || !vmhi__error_is_set())
        return vmhi__error(rc < 0 ? rc : VMHI_E_INTERNAL, "backend '%s' failed to open the URI",
                           b->ops.name);
    return rc;
}

static int try_matching(vmhi_conn *conn, const char *scheme, const vmhi__backend *from)
{
    for (const vmhi__backend *b = from; b; b = b->next) {
        if (!serves_scheme(b, scheme))
            continue;
        int rc = try_backend(conn, b);
        if (rc != VMHI_BACKEND_OPEN_DECLINED)
            return rc;
    }
    return VMHI_BACKEND_OPEN_DECLINED;
}

int vmhi__registry_open(vmhi_conn *conn, const vmhi__uri *uri)
{
    /* Held across open() so that a scan cannot race a registration;
     * backend open() must not call back into vmhi_conn_open(). */
    pthread_mutex_lock(&registry_lock);
    int rc = register_builtins_locked();
    if (rc) {
        pthread_mutex_unlock(&registry_lock);
        return rc;
    }
    vmhi__backend *last_known = backends;
    while (last_known && last_known->next)
        last_known = last_known->next;
    rc = try_matching(conn, uri->scheme, backends);
    if (rc == VMHI_BACKEND_OPEN_DECLINED) {
        for_each_search_dir(scan_one, NULL);
        vmhi__error_reset();
        rc = try_matching(conn, uri->scheme, last_known ? last_known->next : backends);
    }
    if (rc == VMHI_BACKEND_OPEN_DECLINED)
        rc = no_backend_error(uri->scheme);
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

int vmhi_module_load(const char *path)
{
    vmhi__error_reset();
    if (!path || !path[0])
        return vmhi__error(VMHI_E_INVALID_ARG, "module path is NULL or empty");
    char real[PATH_MAX];
    if (!realpath(path, real))
        return vmhi__error(VMHI_E_MODULE, "cannot load module %s: no such file", path);
    pthread_mutex_lock(&registry_lock);
    int rc = register_builtins_locked();
    bool loaded = false;
    for (vmhi__backend *b = backends; b; b = b->next)
        if (b->path && strcmp(b->path, real) == 0)
            loaded = true;
    if (!rc && !loaded)
        rc = load_module_locked(real);
    pthread_mutex_unlock(&registry_lock);
    return rc;
}
