/*
 * VMHI - Virtual Machine Hypervisor Interface
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmhi-bench-esx: how close VMHI's ESX backend comes to the cheapest way
 * of asking a vSphere server about every VM.
 *
 *   floor       one RetrievePropertiesEx (name, power state, vCPUs,
 *               memory of every VM) over a reused HTTPS connection, parsed
 *               with libxml2: what any client must at least spend
 *   list+info   vmhi_conn_list_vms() and vmhi_vm_get_info() for each VM
 *   info loop   vmhi_vm_get_info() for each VM with the cache off
 *               (cache_ms=0): one round trip per VM
 *   stop+start  vmhi_vm_poweroff() then vmhi_vm_start() of one VM
 *
 * With --libvirt-port (the xsi:type shim in front of the same server,
 * see xsitype-shim/) also libvirt's esx driver through virsh: list --all,
 * dominfo of every VM, destroy + start of one VM (bench_libvirt.c), and
 * the floor once more through the shim, to show what the shim adds.
 *
 * Medians of --rounds runs; ratios against the floor and VMHI/libvirt.
 *   vmhi-bench-esx --port P [--user U --password W] [--rounds N]
 *                  [--libvirt-port P [--libvirt-sample N] [--virsh-log FILE]]
 */
#include <curl/curl.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmhi/vmhi.h>

#include "bench_esx.h"

static const char *user = "vmhi", *password = "vmhi-pass";
static int port;

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------ the floor */

struct sink {
    char *data;
    size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *opaque)
{
    struct sink *s = opaque;
    char *grown = realloc(s->data, s->len + size * n + 1);
    if (!grown)
        return 0;
    memcpy(grown + s->len, p, size * n);
    s->data = grown;
    s->len += size * n;
    s->data[s->len] = '\0';
    return size * n;
}

static const char envelope_head[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope "
    "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:vim25=\"urn:vim25\">"
    "<soapenv:Body>";

static const char list_body[] =
    "<RetrievePropertiesEx xmlns=\"urn:vim25\"><_this type=\"PropertyCollector\">"
    "ha-property-collector</_this><specSet><propSet><type>VirtualMachine</type>"
    "<pathSet>name</pathSet><pathSet>runtime.powerState</pathSet>"
    "<pathSet>config.hardware.numCPU</pathSet><pathSet>config.hardware.memoryMB</pathSet>"
    "</propSet><objectSet><obj type=\"Folder\">ha-folder-root</obj><skip>true</skip>"
    "<selectSet xsi:type=\"vim25:TraversalSpec\"><name>f</name><type>Folder</type>"
    "<path>childEntity</path><skip>false</skip><selectSet><name>f</name></selectSet>"
    "<selectSet><name>d</name></selectSet></selectSet>"
    "<selectSet xsi:type=\"vim25:TraversalSpec\"><name>d</name><type>Datacenter</type>"
    "<path>vmFolder</path><skip>false</skip><selectSet><name>f</name></selectSet>"
    "</selectSet></objectSet></specSet><options/></RetrievePropertiesEx>";

static int post(CURL *h, const char *inner, struct sink *out)
{
    char *body = malloc(strlen(envelope_head) + strlen(inner) + 64);
    if (!body)
        return -1;
    sprintf(body, "%s%s</soapenv:Body></soapenv:Envelope>", envelope_head, inner);
    out->len = 0;
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    CURLcode rc = curl_easy_perform(h);
    free(body);
    return rc == CURLE_OK ? 0 : -1;
}

static CURL *floor_login(int to_port, struct curl_slist **hdr, struct sink *sink)
{
    char url[128], login[512];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/sdk", to_port);
    CURL *h = curl_easy_init();
    *hdr = curl_slist_append(NULL, "Content-Type: text/xml; charset=utf-8");
    *hdr = curl_slist_append(*hdr, "SOAPAction: \"urn:vim25/6.5\"");
    *hdr = curl_slist_append(*hdr, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdr);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(h, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    snprintf(login, sizeof(login),
             "<Login xmlns=\"urn:vim25\"><_this type=\"SessionManager\">ha-sessionmgr</_this>"
             "<userName>%s</userName><password>%s</password></Login>", user, password);
    if (post(h, login, sink) != 0 || !strstr(sink->data ? sink->data : "", "LoginResponse")) {
        fprintf(stderr, "floor: login failed\n");
        exit(1);
    }
    return h;
}

/* One RetrievePropertiesEx of every VM, parsed; returns the VM count. */
static int floor_once(CURL *h, struct sink *sink)
{
    if (post(h, list_body, sink) != 0)
        return -1;
    xmlDoc *doc = xmlReadMemory(sink->data, (int)sink->len, "r.xml", NULL, XML_PARSE_NONET);
    int n = 0;
    for (const char *p = sink->data; (p = strstr(p, "<objects>")); p++)
        n++;
    xmlFreeDoc(doc);
    return doc ? n : -1;
}

/* ----------------------------------------------------------------- VMHI */

static int answer(vmhi_cred_type type, const char *uri, const char *prompt, char *buf,
                  size_t buflen, void *userdata)
{
    snprintf(buf, buflen, "%s", type == VMHI_CRED_USERNAME ? user : password);
    return 0;
}

static vmhi_conn *open_conn(const char *extra)
{
    char uri[256];
    snprintf(uri, sizeof(uri), "esx://127.0.0.1:%d/?no_verify=1%s", port, extra);
    vmhi_conn_options o = VMHI_CONN_OPTIONS_INIT;
    o.auth_cb = answer;
    vmhi_conn *conn = NULL;
    if (vmhi_conn_open(&conn, uri, &o) != VMHI_OK) {
        fprintf(stderr, "cannot open %s: %s\n", uri, vmhi_error_last_message());
        exit(1);
    }
    return conn;
}

static size_t list_full_info(vmhi_conn *conn)
{
    vmhi_vm **vms = NULL;
    size_t n = 0;
    if (vmhi_conn_list_vms(conn, 0, &vms, &n) != VMHI_OK) {
        fprintf(stderr, "list: %s\n", vmhi_error_last_message());
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(vms[i], &info) != VMHI_OK) {
            fprintf(stderr, "info: %s\n", vmhi_error_last_message());
            exit(1);
        }
    }
    vmhi_vm_list_free(vms, n);
    return n;
}

static void info_loop(vmhi_conn *conn, vmhi_vm **vms, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vmhi_vm_info info = VMHI_VM_INFO_INIT;
        if (vmhi_vm_get_info(vms[i], &info) != VMHI_OK) {
            fprintf(stderr, "info: %s\n", vmhi_error_last_message());
            exit(1);
        }
    }
}

/* Median of `rounds` floors over one logged-in connection to to_port;
 * *nvms gets the VM count. */
static double measure_floor(int to_port, int rounds, int *nvms)
{
    double t[MAX_ROUNDS];
    struct curl_slist *hdr = NULL;
    struct sink sink = { 0 };
    CURL *h = floor_login(to_port, &hdr, &sink);
    *nvms = floor_once(h, &sink); /* warm-up */
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        floor_once(h, &sink);
        t[r] = now_ms() - t0;
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    free(sink.data);
    return median(t, rounds);
}

static const char small_body[] =
    "<RetrieveServiceContent xmlns=\"urn:vim25\"><_this type=\"ServiceInstance\">"
    "ServiceInstance</_this></RetrieveServiceContent>";

/* Median time of a small round trip (RetrieveServiceContent) to to_port:
 * through the shim less directly, what the shim adds to each call. */
static double measure_rtt(int to_port)
{
    enum { N = 200 };
    double t[N];
    struct curl_slist *hdr = NULL;
    struct sink sink = { 0 };
    CURL *h = floor_login(to_port, &hdr, &sink);
    for (int r = 0; r < N; r++) {
        double t0 = now_ms();
        if (post(h, small_body, &sink) != 0) {
            fprintf(stderr, "RetrieveServiceContent failed\n");
            exit(1);
        }
        t[r] = now_ms() - t0;
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(hdr);
    free(sink.data);
    return median(t, N);
}

struct vmhi_result {
    size_t listed;
    double list, loop, cycle;
};

static void measure_vmhi(int rounds, int loop_rounds, struct vmhi_result *res)
{
    double t_list[MAX_ROUNDS], t_loop[MAX_ROUNDS], t_cycle[MAX_ROUNDS];
    vmhi_conn *conn = open_conn("");
    res->listed = list_full_info(conn); /* warm-up */
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        list_full_info(conn);
        t_list[r] = now_ms() - t0;
    }

    vmhi_conn *uncached = open_conn("&cache_ms=0");
    vmhi_vm **vms = NULL;
    size_t n = 0;
    vmhi_conn_list_vms(uncached, 0, &vms, &n);
    for (int r = 0; r < loop_rounds; r++) {
        double t0 = now_ms();
        info_loop(uncached, vms, n);
        t_loop[r] = now_ms() - t0;
    }
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ms();
        if (vmhi_vm_poweroff(vms[0], 0) != VMHI_OK || vmhi_vm_start(vms[0], 0) != VMHI_OK) {
            fprintf(stderr, "stop/start: %s\n", vmhi_error_last_message());
            exit(1);
        }
        t_cycle[r] = now_ms() - t0;
    }
    vmhi_vm_list_free(vms, n);
    vmhi_conn_close(uncached);
    vmhi_conn_close(conn);
    res->list = median(t_list, rounds);
    res->loop = median(t_loop, loop_rounds);
    res->cycle = median(t_cycle, rounds);
}

/* One row: name, median, ratio to the floor (if floor > 0), VMHI/libvirt
 * ratio against `anchor` (if anchor > 0) and what the anchor is. */
static void row(const char *name, double ms, double floor, double vmhi, double anchor,
                const char *anchor_name)
{
    printf("  %-46s %11.2f ms", name, ms);
    if (floor > 0)
        printf("  %8.2fx", ms / floor);
    else if (anchor > 0)
        printf("  %9s", "");
    if (anchor > 0)
        printf("  %9.3gx  (vs %s)", vmhi / anchor, anchor_name);
    printf("\n");
}

/* Says how much of libvirt's times the shim can account for. */
static void print_shim_share(const struct libvirt_result *lv, double per_call)
{
    printf("  shim: +%.3f ms per small round trip; libvirt's round trips (and the shim's\n"
           "  share at most): list --all %.0f (%.0f ms), dominfo every VM %.0f (%.0f ms),\n"
           "  destroy + start %.0f (%.1f ms)\n",
           per_call, lv->list_calls, lv->list_calls * per_call, lv->info_calls,
           lv->info_calls * per_call, lv->cycle_calls, lv->cycle_calls * per_call);
}

static void print_table(int nvms, int rounds, int loop_rounds, double floor,
                        const struct vmhi_result *v, const struct libvirt_result *lv,
                        double shim_floor, double per_call)
{
    printf("VMs: %d (VMHI listed %zu", nvms, v->listed);
    if (lv)
        printf(", virsh listed %d", lv->nvms);
    printf("); medians of %d rounds (%d for loops over every VM)\n", rounds, loop_rounds);
    printf("  %-46s %14s  %9s%s\n", "", "median", "/floor", lv ? "  VMHI/libvirt" : "");
    double full = lv ? lv->list + lv->info : 0;
    row("floor: one RetrievePropertiesEx, parsed", floor, floor, 0, 0, "");
    row("VMHI list + get_info for every VM", v->list, floor, v->list, full,
        "list --all + dominfo each");
    row("VMHI get_info loop, cache off (1 RTT/VM)", v->loop, floor, v->loop, lv ? lv->info : 0,
        "dominfo each");
    row("VMHI poweroff + start of one VM", v->cycle, 0, v->cycle, lv ? lv->cycle : 0,
        "destroy + start");
    if (!lv)
        return;
    char label[96];
    row("libvirt: floor through the xsi:type shim", shim_floor, floor, 0, 0, "");
    row("libvirt: virsh list --all", lv->list, floor, 0, 0, "");
    if (lv->sampled < lv->nvms)
        snprintf(label, sizeof(label), "libvirt: virsh dominfo, every VM (*)");
    else
        snprintf(label, sizeof(label), "libvirt: virsh dominfo, every VM");
    row(label, lv->info, floor, 0, 0, "");
    row("libvirt: virsh destroy + start of one VM", lv->cycle, 0, 0, 0, "");
    if (lv->sampled < lv->nvms)
        printf("  (*) extrapolated: %d of %d VMs timed (evenly spread), scaled by %.1f\n",
               lv->sampled, lv->nvms, (double)lv->nvms / lv->sampled);
    print_shim_share(lv, per_call);
}

int main(int argc, char **argv)
{
    int rounds = 9, libvirt_port = 0, sample = 0;
    const char *virsh_log = "/dev/null";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--user") == 0) user = argv[i + 1];
        else if (strcmp(argv[i], "--password") == 0) password = argv[i + 1];
        else if (strcmp(argv[i], "--rounds") == 0) rounds = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--libvirt-port") == 0) libvirt_port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--libvirt-sample") == 0) sample = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--virsh-log") == 0) virsh_log = argv[i + 1];
    }
    if (!port || rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "usage: vmhi-bench-esx --port P [--user U --password W] [--rounds 1-%d]\n"
                        "         [--libvirt-port P [--libvirt-sample N] [--virsh-log FILE]]\n",
                MAX_ROUNDS);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int loop_rounds = rounds > 3 ? 3 : rounds, nvms = 0, shim_nvms = 0;
    double floor = measure_floor(port, rounds, &nvms);
    struct vmhi_result v;
    measure_vmhi(rounds, loop_rounds, &v);

    struct libvirt_result lv;
    double shim_floor = 0, per_call = 0;
    if (libvirt_port) {
        shim_floor = measure_floor(libvirt_port, rounds, &shim_nvms);
        per_call = measure_rtt(libvirt_port) - measure_rtt(port);
        if (libvirt_measure(libvirt_port, rounds, loop_rounds, sample, virsh_log, &lv) != 0)
            return 1;
    }
    print_table(nvms, rounds, loop_rounds, floor, &v, libvirt_port ? &lv : NULL, shim_floor,
                per_call);
    return 0;
}
