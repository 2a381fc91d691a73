/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * Internal declarations of the ESX backend (vSphere Web Services, SOAP
 * over HTTPS).  One file per layer:
 *
 *  - esx_buf.c        growable text buffers with XML escaping
 *  - esx_transport.c  libcurl: one reused easy handle per channel, TLS
 *                     options, timeouts, the vmware_soap_session cookie
 *  - esx_codec.c      libxml2: envelopes, response parsing, xsi:type by
 *                     namespace URI, SOAP fault -> VMHI_E_* mapping
 *  - esx_session.c    service content, login/logout, calls with re-login
 *                     on NotAuthenticated, task following
 *  - esx_inventory.c  the VM cache: one RetrievePropertiesEx (paged) for
 *                     all VMs, name/UUID -> managed object reference
 *  - esx_watch.c      a property-collector filter followed with
 *                     WaitForUpdatesEx on a thread: keeps the cache fresh
 *                     and produces VMHI events
 *  - esx_power.c      start, shutdown, poweroff, reboot, reset, suspend
 *  - esx_define.c     define (CreateVM_Task), undefine, get_config
 *  - esx_definition.c VMHI definitions on ESX: reading a VM's configuration
 *                     as a description, making a VM match one, the
 *                     definition waiting for the next start
 *  - esx_change.c     changes with the live/config split (VMHI_AFFECT_*)
 *  - esx_meta.c       what vSphere has no field for, in extraConfig:
 *                     device notes, boot order, vCPU maximum, transient,
 *                     the metadata bag
 *  - esx_spec.c       VirtualMachineConfigSpec pieces: disks, NICs, paths
 *  - esx_devices.c    memory/vCPU/device slots, memory stats, device list
 *  - esx_entry.c      ops table, open/close, host facts, caps, limits
 *
 * Threads: the core serializes slot calls (the backend is not flagged
 * thread-safe), so the main channel is used by one thread at a time.  The
 * watcher thread has its own channel; the session (cookie) and the cache
 * are shared and guarded by esx_conn.lock.
 */
#ifndef VMHI_ESX_H
#define VMHI_ESX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "vmhi/backend.h"

#if defined(__GNUC__) || defined(__clang__)
#define ESX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ESX_PRINTF(a, b)
#endif

/* The core's services, kept from the entry call. */
extern const vmhi_core_services *esx_core;

#define ESX_MOREF_MAX 255        /* managed object references ("vm-42"; the simulator
                                    names datastores by their directory) */
#define ESX_COOKIE_MAX 255       /* vmware_soap_session value, as the server set it */
#define ESX_DEFAULT_TIMEOUT_MS 60000u
#define ESX_CONNECT_TIMEOUT_MS 10000u
#define ESX_DEFAULT_CACHE_MS 500u

/* ---- esx_buf.c ------------------------------------------------------ */

typedef struct esx_buf {
    char *data;   /* NUL-terminated while !oom */
    size_t len;
    size_t cap;
    bool oom;     /* an append failed; the content is incomplete */
} esx_buf;

void esx_buf_init(esx_buf *b);
void esx_buf_free(esx_buf *b);
void esx_buf_reset(esx_buf *b);
void esx_buf_addn(esx_buf *b, const char *s, size_t n);
void esx_buf_add(esx_buf *b, const char *s);
void esx_buf_addf(esx_buf *b, const char *fmt, ...) ESX_PRINTF(2, 3);
/* Appends @s with &, <, >, " and ' escaped (text and attribute safe). */
void esx_buf_add_escaped(esx_buf *b, const char *s);
/* <name>escaped text</name> */
void esx_buf_elem(esx_buf *b, const char *name, const char *text);
void esx_buf_elemf(esx_buf *b, const char *name, const char *fmt, ...) ESX_PRINTF(3, 4);
/* <name type="TYPE">escaped moref</name> */
void esx_buf_moref(esx_buf *b, const char *name, const char *type, const char *value);

/* ---- errors and memory ---------------------------------------------- */

int esx_error_native(int code, const char *native, const char *fmt, ...) ESX_PRINTF(3, 4);
#define esx_error(code, ...) esx_error_native((code), NULL, __VA_ARGS__)
/* Slots return through this: a success forgets the failures met on the way
 * (a lookup that missed), a failure keeps the error reported for it. */
int esx_slot_end(int rc);
/* Clean-up after a failure may report errors of its own (an event read
 * that fails too): esx_error_hold() keeps the pending error of @rc
 * (nothing when @rc is not a failure), esx_error_resume() makes it the
 * last error again and returns @rc. */
vmhi_saved_error *esx_error_hold(int rc);
int esx_error_resume(int rc, vmhi_saved_error *held);
void *esx_alloc(size_t size); /* zeroed; NULL after reporting VMHI_E_NOMEM */
void esx_free(void *ptr);
char *esx_strdup(const char *s);
void esx_copy(char *dst, size_t size, const char *src);
uint64_t esx_now_ns(void);
void esx_sleep_ms(unsigned int ms);

/* ---- esx_transport.c ------------------------------------------------ */

/* Connection settings parsed from the URI. */
typedef struct esx_options {
    char *endpoint;       /* https://host:port/sdk */
    char *host;           /* for messages */
    char *cafile;         /* cafile=; NULL: the system's CAs */
    bool no_verify;       /* no_verify=1 */
    bool plain_http;      /* transport=http */
    unsigned int timeout_ms;
    unsigned int cache_ms;   /* how long a listing's facts are trusted */
} esx_options;

typedef struct esx_session esx_session;

/* One HTTP channel (a reused easy handle) to the SDK endpoint. */
typedef struct esx_transport {
    void *curl;                 /* CURL * */
    void *headers;              /* struct curl_slist * */
    const esx_options *opts;
    esx_session *session;       /* cookie shared between channels */
    esx_buf response;
    char errbuf[256];
    atomic_bool *abort;         /* set to make a transfer in progress stop */
    void *multi;                /* CURLM *: transfers esx_transport_wake() interrupts */
    long status;                /* HTTP status of the last exchange */
} esx_transport;

int esx_transport_init(esx_transport *t, const esx_options *opts, esx_session *s,
                       atomic_bool *abort);
void esx_transport_cleanup(esx_transport *t);
/* Makes the channel's transfers interruptible: after *abort is set,
 * esx_transport_wake() (any thread) ends the one in progress at once. */
int esx_transport_wakeable(esx_transport *t);
void esx_transport_wake(esx_transport *t);
/* POSTs @body; the reply is in t->response and its status in t->status.
 * Fails with VMHI_E_CONNECTION / VMHI_E_TIMEOUT when no HTTP reply came. */
int esx_transport_post(esx_transport *t, const char *body, size_t len, unsigned int timeout_ms);

/* ---- esx_codec.c ---------------------------------------------------- */

#define ESX_NS_VIM "urn:vim25"
#define ESX_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* Starts an envelope and the method element with its _this argument. */
void esx_soap_begin(esx_buf *b, const char *method, const char *this_type, const char *this_ref);
void esx_soap_end(esx_buf *b, const char *method);

/* A parsed reply: @result is the <MethodResponse> element (NULL for a fault). */
typedef struct esx_reply {
    xmlDoc *doc;
    xmlNode *result;
} esx_reply;
void esx_reply_free(esx_reply *r);

/* Parses t->response of @method.  A SOAP fault becomes a VMHI error with
 * the fault name as native code; @fault_name (if not NULL, 64 bytes)
 * receives it. */
int esx_codec_parse(const char *method, const char *data, size_t len, long status,
                    esx_reply *out, char *fault_name);

/* Local-name lookups among element children (any namespace). */
xmlNode *esx_xml_child(const xmlNode *node, const char *name);
xmlNode *esx_xml_next(const xmlNode *node, const char *name); /* next sibling named so */
xmlNode *esx_xml_first_element(const xmlNode *node);
/* Text content (never NULL; "" when empty); valid until the doc is freed
 * or the next call with the same @buf. */
const char *esx_xml_text(const xmlNode *node, char *buf, size_t size);
/* Text of child @name, or NULL when absent. */
const char *esx_xml_child_text(const xmlNode *node, const char *name, char *buf, size_t size);
/* The xsi:type of @node, resolved by namespace URI, without its prefix
 * ("" when absent). */
const char *esx_xml_xsi_type(const xmlNode *node, char *buf, size_t size);
bool esx_xml_name_is(const xmlNode *node, const char *name);
/* Parses an unsigned/signed decimal; false when malformed. */
bool esx_parse_u64(const char *s, uint64_t *out);
bool esx_parse_i64(const char *s, int64_t *out);

/* The VMHI code for a vSphere fault name. */
int esx_fault_code(const char *fault);
/* Reports a LocalizedMethodFault element (a task's info.error). */
int esx_fault_from_node(const xmlNode *fault, const char *what);

/* ---- esx_session.c -------------------------------------------------- */

/* Managed objects of the service content and the chosen compute scope. */
typedef struct esx_refs {
    char root_folder[ESX_MOREF_MAX + 1];
    char property_collector[ESX_MOREF_MAX + 1];
    char session_manager[ESX_MOREF_MAX + 1];
    char search_index[ESX_MOREF_MAX + 1];
    char about_name[64];
    char about_version[32];
    char api_type[32];          /* HostAgent (ESX) or VirtualCenter */
    char api_version[16];
    /* Where VMs are listed from and created in. */
    char scope_type[32];        /* Folder, Datacenter, ClusterComputeResource... */
    char scope[ESX_MOREF_MAX + 1];
    char datacenter[ESX_MOREF_MAX + 1];
    char vm_folder[ESX_MOREF_MAX + 1];
    char pool[ESX_MOREF_MAX + 1];
    char host[ESX_MOREF_MAX + 1];      /* a HostSystem of the scope */
    char datastore[128];               /* name of the first datastore */
    /* The datacenter's datastores: names and the host paths they are
     * mounted at (summary.url without "ds://"), for disk paths. */
    size_t ndatastores;
    struct esx_datastore {
        char name[128];
        char path[512];
    } datastores[32];
    /* The datacenter's network names (port groups), for NOT_FOUND. */
    size_t nnetworks;
    bool networks_known;
    char networks[64][128];
} esx_refs;

struct esx_session {
    pthread_mutex_t lock;
    char cookie[ESX_COOKIE_MAX + 1]; /* "" when logged out */
    uint64_t generation;             /* bumped on every login */
    bool stale;                      /* the watcher found the session gone */
};

typedef struct esx_conn esx_conn;

/* Invokes @method with the prepared @body on the main channel; logs in
 * again and retries once when the session is gone (NotAuthenticated). */
int esx_call(esx_conn *c, const char *method, const esx_buf *body, esx_reply *out);
/* Same on another channel (the watcher's), without re-login. */
int esx_call_on(esx_conn *c, esx_transport *t, const char *method, const esx_buf *body,
                esx_reply *out, char *fault_name);
int esx_session_open(esx_conn *c);
void esx_session_close(esx_conn *c);
/* Follows a Task to completion, reporting progress as @operation. */
int esx_task_wait(esx_conn *c, const char *task, const char *operation, esx_reply *result);
/* Invokes a *_Task method whose body is ready, then follows the task. */
int esx_call_task(esx_conn *c, const char *method, const esx_buf *body, const char *operation,
                  esx_reply *result);

/* ---- esx_inventory.c ------------------------------------------------ */

typedef enum esx_power {
    ESX_POWER_UNKNOWN = 0,
    ESX_POWER_OFF,
    ESX_POWER_ON,
    ESX_POWER_SUSPENDED
} esx_power;

/* What the backend knows about one VM.  Entries live until the
 * connection closes (removed ones move to a graveyard), so a pointer taken
 * under esx_conn.lock stays valid; fields are read and written under it. */
typedef struct esx_vm {
    char moref[ESX_MOREF_MAX + 1];
    char uuid[VMHI_UUID_STRLEN + 1];
    char name[VMHI_NAME_MAX + 1];
    esx_power power;
    unsigned int vcpus;
    unsigned int max_vcpus;    /* extraConfig vmhi.maxVcpus, else vcpus */
    uint64_t memory_mib;       /* config.hardware.memoryMB: the maximum */
    uint64_t memory_cur_mib;   /* extraConfig vmhi.memory: the current (0: not set) */
    bool template_vm;
    bool template_known;       /* config.template has been read (it rarely changes) */
    bool extras_known;         /* config.extraConfig has been read (see esx_inventory.c) */
    bool transient;            /* extraConfig vmhi.transient (see esx_define.c) */
    /* A definition waiting for the next start from shutoff (esx_meta.c). */
    bool pending;
    unsigned int def_vcpus, def_max_vcpus;
    uint64_t def_memory_mib, def_max_memory_mib;
    bool known;                /* its properties have been read once */
    bool removed;              /* in the graveyard */
    bool shutdown_requested;   /* ShutdownGuest sent, still powered on */
    vmhi_state_reason reason;
    /* Freshness (see esx_inventory.c). */
    bool dirty;                /* must be read again before it is trusted */
    uint64_t refreshed_ns;     /* send time of the last direct read */
    bool mark;                 /* scratch flag of a full listing */
    /* The reason our own operation expects for its next state change. */
    esx_power expect_power;
    vmhi_state_reason expect_reason;
    /* Events (esx_watch.c): the state and reason last reported, and how
     * many of our own operations on the VM are in flight (they report
     * their own changes; meanwhile observed changes are not reported). */
    bool w_seen;
    vmhi_vm_state w_state;
    vmhi_state_reason w_reason;
    unsigned int busy;
    struct esx_vm *next_dead;
} esx_vm;

typedef struct esx_cache {
    esx_vm **vms;
    size_t count, cap;
    esx_vm *graveyard;
    /* Open-addressing indexes (size is a power of two), rebuilt on change. */
    esx_vm **by_uuid, **by_name, **by_moref;
    size_t index_size;
    bool complete;             /* a full listing has been loaded */
    bool index_stale;          /* names or UUIDs changed since the last reindex */
} esx_cache;

void esx_cache_free(esx_cache *cache);
/* Forgets that entries are fresh (after a re-login: the server may have
 * restarted and renumbered its objects). */
void esx_cache_invalidate(esx_cache *cache);
esx_vm *esx_cache_find_uuid(const esx_cache *cache, const char *uuid);
esx_vm *esx_cache_find_name(const esx_cache *cache, const char *name);
esx_vm *esx_cache_find_moref(const esx_cache *cache, const char *moref);
/* Returns the entry for @moref, adding an empty one when missing. */
int esx_cache_upsert(esx_cache *cache, const char *moref, esx_vm **out);
void esx_cache_remove(esx_cache *cache, esx_vm *vm);
/* Rebuilds the indexes after names or UUIDs changed. */
int esx_cache_reindex(esx_cache *cache);

/* The VMHI state of @vm, and its reason. */
vmhi_vm_state esx_vm_state(const esx_vm *vm);
vmhi_state_reason esx_vm_reason(const esx_vm *vm);
esx_power esx_power_parse(const char *text);
/* VM names: vSphere escapes '%', '/' and '\\' as %25, %2f, %5c. */
void esx_name_decode(const char *in, char *out, size_t size);
void esx_name_encode(esx_buf *b, const char *name);

/* Reads every VM (one RetrievePropertiesEx, paged) into the cache. */
int esx_inventory_load(esx_conn *c);
/* Finds a VM by UUID or name and copies it to @out (pointers cleared).
 * Reads the server when the cache cannot vouch for the entry, and always
 * when @fresh (state checks before an operation).  VMHI_E_NO_VM if absent. */
int esx_inventory_get(esx_conn *c, const char *name, const char *uuid, bool fresh,
                      esx_vm *out);
/* Whether @vm is no VM for VMHI: a template, or a transient VM that
 * reached shutoff (and is about to be unregistered). */
bool esx_vm_gone(const esx_vm *vm);
/* Reads one VM's properties again into the cache; VMHI_E_NO_VM if gone. */
int esx_inventory_refresh(esx_conn *c, const char *moref, esx_vm *out);
/* Records what our own operation on @moref is about to do, so that the
 * state change it causes gets @reason (and the cache is re-read later). */
void esx_inventory_expect(esx_conn *c, const char *moref, esx_power power,
                          vmhi_state_reason reason);
/* After our own operation: the entry must be read again before use.  When
 * @power is known (not ESX_POWER_UNKNOWN) the VM is in it now, for @reason. */
void esx_inventory_done(esx_conn *c, const char *moref, esx_power power,
                        vmhi_state_reason reason);
void esx_inventory_set_shutdown(esx_conn *c, const char *moref, bool requested);
/* Applies one property (name, val) to @vm. */
void esx_vm_apply_prop(esx_vm *vm, const char *name, const xmlNode *val);
/* Applies the propSets of one <objects> element read with @paths. */
void esx_vm_apply_object(esx_vm *vm, const xmlNode *object, const char *const *paths);
/* The VM properties a listing reads, and those a read of one VM reads. */
extern const char *const esx_list_props[];
extern const char *const esx_vm_props[];
/* Appends the objectSet that reaches every VM below @c's scope. */
void esx_spec_object_set(const esx_conn *c, esx_buf *b);
/* Reads properties @paths (NULL-terminated) of one object. */
int esx_read_props(esx_conn *c, const char *type, const char *moref, const char *const *paths,
                   esx_reply *out);
/* The RetrievePropertiesEx body of esx_read_props(). */
void esx_props_body(const esx_conn *c, esx_buf *b, const char *type, const char *moref,
                    const char *const *paths);
/* Puts the <objects> of one VM read at @sent_ns into the cache (lock held):
 * the entry, or NULL when out of memory. */
esx_vm *esx_inventory_apply(esx_conn *c, const char *moref, const xmlNode *object,
                            uint64_t sent_ns);
/* The <val> of property @path of the first object in a reply, or NULL. */
xmlNode *esx_reply_prop(const esx_reply *r, const char *path);

/* ---- esx_spec.c ----------------------------------------------------- */

#define ESX_PATH_MAX 4096

/* One device of config.hardware.device, as far as VMHI cares: what ESX
 * says about it, and the VMHI view of it (esx_meta_annotate()). */
typedef struct esx_device {
    uint32_t key;
    vmhi_device_type kind;       /* 0 for devices VMHI does not manage */
    char type[48];               /* VirtualDisk, VirtualVmxnet3, ParaVirtualSCSIController... */
    int32_t controller_key;
    int32_t unit;
    int32_t bus;                 /* controllers: busNumber */
    char file[ESX_PATH_MAX];     /* disks: backing fileName "[ds] dir/f.vmdk" */
    char mac[18];                /* NICs, lower case */
    char portgroup[256];         /* NICs: port group or network name */
    uint64_t capacity_kib;       /* disks */
    /* The VMHI view: from the device notes when they name this device,
     * else derived from the ESX facts. */
    char id[VMHI_DEVICE_ID_MAX + 1];
    char path[ESX_PATH_MAX];     /* disks: the VMHI path */
    char network[256];           /* NICs: the VMHI network name */
    vmhi_disk_format format;
    vmhi_disk_bus disk_bus;      /* concrete: never DEFAULT */
    vmhi_nic_model model;        /* concrete: never DEFAULT */
    uint64_t size_mib;
    char target[32];             /* disks: the guest device name VMHI keeps ("" none) */
} esx_device;

typedef struct esx_devices {
    esx_device *items;
    size_t count;
} esx_devices;

/* Parses an ArrayOfVirtualDevice value (without the VMHI view). */
int esx_devices_parse(const xmlNode *array, esx_devices *out);
void esx_devices_free(esx_devices *d);
const esx_device *esx_devices_find(const esx_devices *d, uint32_t key);
/* The disk or NIC with VMHI id @id, or NULL. */
const esx_device *esx_devices_find_id(const esx_devices *d, const char *id);
/* The disk bus a controller type stands for (PVSCSI, SCSI, SATA or IDE). */
vmhi_disk_bus esx_controller_bus(const char *type);
/* The concrete bus a VMHI bus means on ESX: DEFAULT is PVSCSI. */
vmhi_disk_bus esx_disk_bus(vmhi_disk_bus bus);
/* The concrete model a VMHI model means on ESX: DEFAULT is vmxnet3. */
vmhi_nic_model esx_nic_model(vmhi_nic_model model);
/* The ESX device type of a NIC model (NULL: none) and back. */
const char *esx_nic_type(vmhi_nic_model model);
vmhi_nic_model esx_nic_model_of(const char *type);
/* The port group of a VMHI network name ("default": "VM Network"). */
const char *esx_portgroup(const char *network);

/* Datastore paths "[ds] dir/f.vmdk" <-> VMHI paths: the host's path of the
 * file (the datastore's mount point, or /vmfs/volumes/<ds>/dir/f.vmdk). */
int esx_path_to_datastore(const esx_refs *r, const char *path, char *out, size_t size);
void esx_path_from_datastore(const esx_refs *r, const char *ds_path, char *out, size_t size);
/* VMHI's current and maximum memory and vCPUs of @vm. */
uint64_t esx_vm_memory(const esx_vm *vm);
unsigned int esx_vm_max_vcpus(const esx_vm *vm);

/* Where new disks go: the controller key to use (negative when added in
 * the same spec) and the next free unit on it. */
typedef struct esx_slot_ctl {
    int32_t key;
    bool have;                     /* the VM has it (or it is added in this spec) */
    bool added;                    /* it is added in this spec */
    unsigned int used;             /* unit bitmap */
} esx_slot_ctl;

typedef struct esx_slots {
    esx_slot_ctl pvscsi, lsi, sata; /* the first controller of each kind */
    unsigned int scsi_buses;       /* bitmap of SCSI bus numbers in use */
    unsigned int ide_used;         /* IDE slots 0-3 (controller 200/201, unit 0/1) */
    int32_t next_temp_key;         /* negative keys for added devices */
} esx_slots;

void esx_slots_init(esx_slots *s, const esx_devices *existing);
/* Appends the deviceChange that adds @disk, whose file is @file (its
 * datastore path), and its controller when needed.  Checks format and bus.
 * The file is created when the disk has a size and @create_ok. */
int esx_spec_add_disk(esx_buf *b, esx_slots *s, const vmhi_disk *disk, const char *file,
                      bool create_ok);
/* @nic must have a MAC address (esx_definition_normalize() gives one). */
int esx_spec_add_nic(esx_buf *b, esx_slots *s, const vmhi_nic *nic);
/* Appends a deviceChange that removes @dev (and its file for disks: never). */
void esx_spec_remove_device(esx_buf *b, const esx_device *dev);

/* ---- esx_meta.c ----------------------------------------------------- */

/* What a VMHI description holds and vSphere has no field for, kept in the
 * VM's extraConfig under these keys (an empty value is no value): */
#define ESX_KEY_MAX_VCPUS "vmhi.maxVcpus"     /* the vCPU maximum */
#define ESX_KEY_MEMORY "vmhi.memory"          /* the current memory, MiB (applied as
                                                 memoryAllocation.limit) */
#define ESX_KEY_TRANSIENT "vmhi.transient"    /* TRUE: undefined while active */
#define ESX_KEY_BOOT "vmhi.boot"              /* boot order, "disk,network" */
#define ESX_KEY_DEVICES "vmhi.devices"        /* device notes (esx_meta.c) */
#define ESX_KEY_DEFINITION "vmhi.definition"  /* JSON of a definition waiting
                                                 for the next start from shutoff */
#define ESX_KEY_META "vmhi.meta."             /* + encoded key: one metadata entry */

/* One metadata entry as extraConfig holds it (decoded). */
typedef struct esx_meta_entry {
    char *key;
    char *value;               /* NULL: removed (an empty extraConfig value) */
} esx_meta_entry;

typedef struct esx_meta {
    unsigned int max_vcpus;    /* 0: not set */
    uint64_t memory_mib;       /* 0: not set */
    bool transient;
    size_t nboot;
    vmhi_boot_dev boot[VMHI_BOOT_ORDER_MAX];
    char *devices;             /* the notes; NULL when none */
    char *definition;          /* NULL when none */
    esx_meta_entry *entries;   /* the metadata bag */
    size_t nentries, cap;
} esx_meta;

/* Reads the VMHI keys of an ArrayOfOptionValue (the last value of a key
 * counts: some servers append instead of replacing). */
int esx_meta_parse(const xmlNode *array, esx_meta *out);
void esx_meta_free(esx_meta *m);
/* Appends one extraConfig entry; an empty @value removes the key. */
void esx_meta_spec(esx_buf *b, const char *key, const char *value);
/* The boot order as the value of vmhi.boot. */
void esx_meta_boot_text(const vmhi_vm_config *cfg, char *out, size_t size);
/* Appends the note of one disk or NIC to @notes (the vmhi.devices value). */
void esx_meta_note_disk(esx_buf *notes, const vmhi_disk *disk, const char *file);
void esx_meta_note_nic(esx_buf *notes, const vmhi_nic *nic);
/* The note of a device as esx_meta_annotate() left it. */
void esx_meta_note_device(esx_buf *notes, const esx_device *dev);
/* Gives every disk and NIC of @devs its VMHI view from @notes;
 * VMHI_E_PARSE when a note names a format, bus or model VMHI lacks. */
int esx_meta_annotate(const esx_refs *r, const char *notes, esx_devices *devs);
/* The value of metadata entry @key in @m, or NULL. */
const char *esx_meta_find(const esx_meta *m, const char *key);
/* Appends the extraConfig entries that make the metadata of @old (NULL:
 * none) that of @cfg: changed and new entries, and removals. */
void esx_meta_spec_bag(esx_buf *b, const vmhi_vm_config *cfg, const esx_meta *old);
/* The extraConfig key of metadata key @key (ESX_KEY_META + encoding), and
 * back (false: not one of ours). */
void esx_meta_key_encode(const char *key, char *out, size_t size);
bool esx_meta_key_decode(const char *xkey, char *out, size_t size);

/* ---- esx_definition.c ----------------------------------------------- */

/* The VMHI configuration of a VM as read from the server. */
typedef struct esx_view {
    esx_devices devs;          /* annotated */
    esx_meta meta;
    bool efi;
} esx_view;

int esx_view_read(esx_conn *c, const char *moref, esx_view *out);
void esx_view_free(esx_view *v);
/* The VM's configuration (the live one of an active VM) as a description. */
int esx_view_config(const esx_vm *vm, const esx_view *v, vmhi_vm_config **out);
/* The definition of @vm: the one waiting for its next start from shutoff,
 * else its configuration. */
int esx_view_definition(const esx_vm *vm, const esx_view *v, vmhi_vm_config **out);
/* The definition waiting for the next start from shutoff, or NULL. */
int esx_view_waiting(const esx_vm *vm, const esx_view *v, vmhi_vm_config **out);
/* A MAC address for a new NIC (VMware's range for manual addresses) that
 * no NIC of @cfg has. */
void esx_new_mac(const vmhi_vm_config *cfg, char mac[18]);
/* A copy of @cfg as ESX keeps it: every NIC has a MAC address, and the
 * DEFAULT bus, model and guest type are the concrete choices (PVSCSI,
 * vmxnet3, HVM), so that a definition reads back as it is stored. */
int esx_definition_normalize(const vmhi_vm_config *cfg, vmhi_vm_config **out);
/* Copies of a disk (bus made concrete) and a NIC (model made concrete;
 * @mac, or the NIC's own when NULL). */
int esx_disk_copy(const vmhi_disk *src, vmhi_disk **out);
int esx_nic_copy(const vmhi_nic *src, const char *mac, vmhi_nic **out);
/* Appends the part of a VirtualMachineConfigSpec from numCPUs on that
 * makes a VM with devices @cur and configuration @now (both NULL for a
 * new VM; @now NULL: set everything) match @cfg, and sets extraConfig
 * vmhi.definition to @pending (NULL: left as it is; "": none). */
int esx_spec_definition(const esx_refs *r, esx_buf *b, const vmhi_vm_config *cfg,
                        const esx_devices *cur, const vmhi_vm_config *now,
                        const esx_meta *old, const char *pending);
/* Makes the shut-off VM @vm match @cfg (ReconfigVM_Task). */
int esx_definition_apply(esx_conn *c, const esx_vm *vm, const vmhi_vm_config *cfg,
                         const char *op);
/* Keeps @cfg as the definition the active or suspended VM @vm takes at its
 * next start from shutoff (NULL: none); @persistent also makes a
 * transient VM persistent. */
int esx_definition_store(esx_conn *c, const esx_vm *vm, const vmhi_vm_config *cfg,
                         bool persistent, const char *op);
/* A shut-off VM with a waiting definition takes it now (before it starts
 * or its definition changes). */
int esx_definition_settle(esx_conn *c, esx_vm *vm, const char *op);
/* ReconfigVM_Task of @vm with @spec (the inside of <spec>); the cached
 * entry must be read again afterwards. */
int esx_reconfigure(esx_conn *c, const esx_vm *vm, const esx_buf *spec, const char *op);
/* UnregisterVM: the VM is gone from the inventory, its files stay (a VM
 * that is gone already counts as done). */
int esx_unregister(esx_conn *c, const esx_vm *vm);

/* ---- esx_change.c ----------------------------------------------------- */

/* Makes one change to the description @cfg.  @other is the other
 * description the same change goes to (live and definition), or NULL, so
 * that a new device gets an id and MAC address free in both. */
typedef int (*esx_modify_fn)(vmhi_vm_config *cfg, const vmhi_vm_config *other, void *ctx);

typedef struct esx_change {
    const char *op;              /* "attach-disk"...: messages and progress */
    unsigned int flags;          /* vmhi_affect bits */
    bool current_is_config;      /* VMHI_AFFECT_CURRENT means the definition */
    bool live_ok;                /* ESX can make it to a running VM */
    esx_modify_fn modify;
    void *ctx;
    bool did_live, did_config;   /* out: the configurations changed */
} esx_change;

/* Makes the change to the configurations of the VM @uuid that @ch->flags
 * target; @vm receives the VM as it was read before.  Reports DEFINED when
 * the definition changed (the caller reports its own events first). */
int esx_change_vm(esx_conn *c, const char *uuid, esx_change *ch, esx_vm *vm);

/* ---- esx_watch.c ---------------------------------------------------- */

typedef struct esx_watch {
    pthread_t thread;
    bool started;
    atomic_bool stop;            /* also aborts the channel's transfer */
    atomic_bool live;            /* the filter is in place and followed */
    esx_transport channel;       /* its own HTTP connection, same session */
    bool channel_ready;
    uint64_t session_gen;        /* session the collector belongs to */
    char collector[ESX_MOREF_MAX + 1];
    char version[256];
    uint64_t last_sent_ns;       /* send time of the last answered wait */
    unsigned int mask;           /* event types with subscribers */
} esx_watch;

/* Starts the watcher thread (after the scope is known). */
int esx_watch_start(esx_conn *c);
void esx_watch_stop(esx_conn *c);
/* VMs whose update came too late to be trusted, to be read again. */
#define ESX_MAX_REREAD 64
typedef struct esx_reread {
    char morefs[ESX_MAX_REREAD][ESX_MOREF_MAX + 1];
    size_t count;
    bool overflow;               /* too many: every entry is marked dirty */
} esx_reread;
/* How old the changes of a WaitForUpdatesEx answer sent at @sent_ns may
 * be: a server may queue changes, each with the values of its moment,
 * from the previous answer on (@w->last_sent_ns); the first answer after
 * the filter (no version yet) is the state when it was asked for. */
uint64_t esx_watch_changes_since(const esx_watch *w, uint64_t sent_ns);
/* Applies an UpdateSet whose changes are no older than @since_ns to the
 * cache (takes the lock); @rr (zeroed) receives the VMs to read again. */
void esx_watch_apply_updates(esx_conn *c, const xmlNode *set, uint64_t since_ns,
                             esx_reread *rr);
/* Whether the cached entry @vm may answer without asking the server. */
bool esx_cache_trusted(esx_conn *c, const esx_vm *vm);
/* Events of our own operations.  With esx_conn.lock held: */
/* A change of @vm's state or reason was seen (by a read or the watcher):
 * reports it unless our own operation on it is in flight. */
void esx_event_observed(esx_conn *c, esx_vm *vm);
/* Without the lock: */
/* Our own operation on @moref begins: changes are its to report. */
void esx_event_begin(esx_conn *c, const char *moref);
/* ... and ends: reports the state it left (also when unchanged, with
 * @force: reset), then anything else seen meanwhile. */
void esx_event_end(esx_conn *c, const char *moref, bool force);
/* After our own define: the state the VM has now is known, not news. */
void esx_event_quiet(esx_conn *c, const char *moref);
/* Reports a DEFINED, UNDEFINED, DEVICE_* or MEMORY event of @vm. */
void esx_event_emit(esx_conn *c, const esx_vm *vm, vmhi_event_type type, const char *device_id,
                    uint64_t value);

/* ---- the connection --------------------------------------------------- */

struct esx_conn {
    vmhi_conn *conn;
    esx_options opts;
    esx_session session;
    esx_transport main;
    esx_refs refs;
    bool vpx;
    char *user;                 /* the user name (never the password) */
    pthread_mutex_t lock;       /* guards cache and watcher state */
    esx_cache cache;
    esx_watch watch;
    atomic_bool never_abort;    /* the main channel's abort flag (never set) */
    int reboot_guest;           /* RebootGuest: 1 implemented, -1 not, 0 not known yet */
    bool opened;
};

void esx_lock(esx_conn *c);
void esx_unlock(esx_conn *c);
void esx_log(esx_conn *c, int level, const char *fmt, ...) ESX_PRINTF(3, 4);

/* URI handling (esx_entry.c). */
int esx_options_parse(const vmhi_backend_uri *uri, esx_options *o);
void esx_options_free(esx_options *o);
/* Resolves the compute scope: ESX host, or a vCenter path (esx_scope.c). */
int esx_scope_resolve(esx_conn *c, const char *path);
/* VMHI_E_NOT_FOUND unless the datacenter has the network (port group)
 * @network names ("default": VM Network); the list is read again on a miss. */
int esx_network_check(esx_conn *c, const char *network);
/* The same for every NIC of @cfg. */
int esx_networks_check(esx_conn *c, const vmhi_vm_config *cfg);

/* ---- slots ------------------------------------------------------------- */

int esx_list_vms(void *priv, vmhi_backend_list_add add, void *ctx);
int esx_lookup(void *priv, const char *name, const char *uuid, vmhi_backend_vm_ref *out);
int esx_get_info(void *priv, const char *uuid, vmhi_vm_info *info);

int esx_start(void *priv, const char *uuid, unsigned int flags);
int esx_shutdown(void *priv, const char *uuid, unsigned int flags);
int esx_poweroff(void *priv, const char *uuid, unsigned int flags);
int esx_reboot(void *priv, const char *uuid, unsigned int flags);
int esx_reset(void *priv, const char *uuid, unsigned int flags);
int esx_suspend(void *priv, const char *uuid, unsigned int flags);

int esx_define(void *priv, const vmhi_vm_config *cfg, unsigned int flags,
               vmhi_backend_vm_ref *out);
int esx_undefine(void *priv, const char *uuid, unsigned int flags);
int esx_get_config(void *priv, const char *uuid, unsigned int flags, vmhi_vm_config **out);

int esx_set_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
int esx_set_max_memory(void *priv, const char *uuid, uint64_t mib, unsigned int flags);
int esx_set_vcpus(void *priv, const char *uuid, unsigned int count, unsigned int flags);
int esx_get_memory_stats(void *priv, const char *uuid, vmhi_memory_stats *stats);
int esx_attach_disk(void *priv, const char *uuid, const vmhi_disk *disk, unsigned int flags,
                    char *id);
int esx_detach_disk(void *priv, const char *uuid, const char *id, unsigned int flags,
                    vmhi_completion *completion);
int esx_attach_nic(void *priv, const char *uuid, const vmhi_nic *nic, unsigned int flags,
                   char *id);
int esx_detach_nic(void *priv, const char *uuid, const char *id, unsigned int flags,
                   vmhi_completion *completion);
int esx_list_devices(void *priv, const char *uuid, vmhi_backend_device_add add, void *ctx);
int esx_events_enable(void *priv, unsigned int mask);

#endif /* VMHI_ESX_H */
